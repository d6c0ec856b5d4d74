/**
 * What the pages show, read through core's read models (core/reports, read-only) and shaped
 * into the site's view types (site/lib/types.ts). One module per kind of page does the shaping
 * (site/lib/pages/<kind>.ts) from the read models every page shares (pages/context.ts); this
 * file puts them together: `streamSiteData` hands out the entity pages one at a time (the build
 * writes each and lets it go), `loadSiteData` holds them all (for the tests and small callers).
 */
import type { Clock } from '../../core/index.ts';
import { accountPage } from './pages/account.ts';
import { clusterDetails, clusterPage } from './pages/cluster.ts';
import { loadContext, showable, type Db, type SiteContext } from './pages/context.ts';
import { customerPage } from './pages/customer.ts';
import { listPages } from './pages/lists.ts';
import { vaPage } from './pages/virtual-account.ts';
import type { EntityPage, SiteData } from './types.ts';

export { LIST_PAGE_SIZE } from './pages/context.ts';

/** The kinds of entity page, in the order the site lists them, and the nav entry each belongs to. */
export const ENTITY_KINDS = [
  ['accountPages', '/accounts/'],
  ['vaPages', '/virtual-accounts/'],
  ['customerPages', '/customers/'],
  ['clusterPages', '/clusters/'],
] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number][0];

export interface SiteDataStream {
  /** Everything but the entity pages (their arrays are empty). */
  data: SiteData;
  /** The Excel workbooks (slow to write, not needed by any page). */
  workbooks: () => Promise<Map<string, Buffer>>;
  /** Every entity page, one at a time, in site order (the database must stay open meanwhile). */
  pages: () => AsyncGenerator<{ kind: EntityKind; page: EntityPage }>;
}

/** The shared read models and the list pages; the entity pages come from `pages()`, streamed. */
export async function streamSiteData(db: Db, clock: Clock): Promise<SiteDataStream> {
  const ctx = await loadContext(db, clock);
  const { data, workbooks } = await listPages(ctx);
  return { data, workbooks, pages: () => entityPages(ctx) };
}

async function* entityPages(
  ctx: SiteContext,
): AsyncGenerator<{ kind: EntityKind; page: EntityPage }> {
  for (const a of ctx.accounts) yield { kind: 'accountPages', page: showable(accountPage(ctx, a)) };
  for (const v of ctx.vaRows) yield { kind: 'vaPages', page: showable(await vaPage(ctx, v)) };
  for (const c of ctx.customers) {
    yield { kind: 'customerPages', page: showable(customerPage(ctx, c)) };
  }
  // Core reads every cluster's detail at once; each page is shaped and handed out in turn.
  const details = await clusterDetails(ctx);
  for (let i = 0; i < details.length; i++) {
    const d = details[i]!;
    yield { kind: 'clusterPages', page: showable(clusterPage(ctx, d)) };
  }
}

/**
 * The site's data with every page held, and the Excel workbooks (the build writes them while
 * Astro renders).
 */
export async function loadSiteData(
  db: Db,
  clock: Clock,
): Promise<{ data: SiteData; workbooks: () => Promise<Map<string, Buffer>> }> {
  const s = await streamSiteData(db, clock);
  for await (const { kind, page } of s.pages()) s.data[kind].push(page);
  return { data: s.data, workbooks: s.workbooks };
}
