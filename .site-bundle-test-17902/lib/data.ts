/**
 * What the pages show, read through core's read models (core/reports, read-only) and shaped
 * into the site's view types (site/lib/types.ts). One module per kind of page does the shaping
 * (site/lib/pages/<kind>.ts) from the read models every page shares (pages/context.ts); this
 * file puts them together: `streamSiteData` hands out the entity pages one at a time (the build
 * writes each and lets it go), `loadSiteData` holds them all (for the tests and small callers).
 */
import type { Clock } from '../../core/index.ts';
import { accountPage } from './pages/account.ts';
import { clusterDetails, clusterKey, clusterPage } from './pages/cluster.ts';
import { loadContext, showable, type Db, type SiteContext } from './pages/context.ts';
import { customerPage } from './pages/customer.ts';
import { listPages } from './pages/lists.ts';
import { vaPage } from './pages/virtual-account.ts';
import { clusterPath } from './paths.ts';
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

/** One entity page of the stream. */
export interface EntityItem {
  kind: EntityKind;
  /** Address below the site root (`clusters/12-x/`). */
  path: string;
  /**
   * What the page is made of, known without reading its data (a cluster page, see
   * `clusterKey`): two builds with the same key render the same page.
   */
  key?: string;
  /** The page; absent when `reuse` said the last build's page stands (its data not read). */
  page?: EntityPage;
}

/** Whether the page at `path` whose key is `key` need not be read (the last build's stands). */
export type Reuse = (path: string, key: string) => boolean;

export interface SiteDataStream {
  /** Everything but the entity pages (their arrays are empty). */
  data: SiteData;
  /** The Excel workbooks (slow to write, not needed by any page). */
  workbooks: () => Promise<Map<string, Buffer>>;
  /**
   * Every entity page, one at a time, in site order (the database must stay open meanwhile);
   * a page `reuse` accepts comes without its data.
   */
  pages: (reuse?: Reuse) => AsyncGenerator<EntityItem>;
}

/** The shared read models and the list pages; the entity pages come from `pages()`, streamed. */
export async function streamSiteData(db: Db, clock: Clock): Promise<SiteDataStream> {
  const ctx = await loadContext(db, clock);
  const { data, workbooks } = await listPages(ctx);
  return { data, workbooks, pages: (reuse) => entityPages(ctx, reuse) };
}

async function* entityPages(ctx: SiteContext, reuse?: Reuse): AsyncGenerator<EntityItem> {
  const item = (kind: EntityKind, page: EntityPage): EntityItem => ({
    kind,
    path: page.path,
    page: showable(page),
  });
  for (const a of ctx.accounts) yield item('accountPages', accountPage(ctx, a));
  for (const v of ctx.vaRows) yield item('vaPages', await vaPage(ctx, v));
  for (const c of ctx.customers) yield item('customerPages', customerPage(ctx, c));
  // A cluster's detail is read only when its key says its page may have changed; core reads
  // those details at once, and each page is shaped and handed out in turn, in id order.
  const rows = [...ctx.clusterRows].sort((a, b) => a.id - b.id);
  const keyed = rows.map((r) => ({ r, path: clusterPath(r.id, r.name), key: clusterKey(ctx, r) }));
  const kept = new Set(
    reuse
      ? keyed.filter((k) => k.key !== undefined && reuse(k.path, k.key)).map((k) => k.r.id)
      : [],
  );
  const details = reuse
    ? await clusterDetails(
        ctx,
        keyed.filter((k) => !kept.has(k.r.id)).map((k) => k.r.id),
      )
    : await clusterDetails(ctx);
  const byId = new Map(details.map((d) => [d.id, d]));
  for (const k of keyed) {
    const key = k.key === undefined ? {} : { key: k.key };
    if (kept.has(k.r.id)) {
      yield { kind: 'clusterPages', path: k.path, ...key };
      continue;
    }
    const d = byId.get(k.r.id);
    if (d) yield { ...item('clusterPages', clusterPage(ctx, d)), ...key };
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
  for await (const { kind, page } of s.pages()) if (page) s.data[kind].push(page);
  return { data: s.data, workbooks: s.workbooks };
}
