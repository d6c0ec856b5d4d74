// Real: a database made by a real sync of the demo lab against the emulator (loopback HTTP,
// real SQLite file, hostile names added); the real site build (pages rendered in-process
// through the cached Astro server bundle), run again on the same output as `smartlic start`
// does after each sync, and a change written to the database with SQL between builds. Faked:
// the clock (fixed, moved by hand), so two builds of the same data are comparable byte for byte.
// Covers site/lib/build.ts (page hashes, page keys, manifest, unchanged files left in place
// and changed ones renamed in, fall-back to a whole build), site/lib/bundle.ts,
// core/reports/data-versions.ts with the account's data version a sync bumps
// (smart-accounts.repository updateSyncStatus), site/lib/data.ts and site/lib/pages/*.ts (pages
// streamed one at a time), and site/src/data.ts with site/src/pages/[...page].astro (a page's
// data as locals, the header left to stamp.js).
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSite, manifestPath } from '../../site/lib/build.ts';
import { LIST_PAGES } from '../../site/lib/paths.ts';
import { makeDatabase, type SiteEnv } from './site-harness.ts';

let env: SiteEnv;

beforeAll(async () => {
  env = await makeDatabase();
}, 240_000);

afterAll(async () => {
  await env?.fx.close();
});

/**
 * Every file of a tree (relative path → content), to compare two builds. The Excel workbooks
 * are left out: ExcelJS stamps them with the wall-clock time they were written (not the
 * build's clock), so two builds never write the same bytes; they are rewritten by every build.
 */
function tree(dir: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || e.name.endsWith('.xlsx')) continue;
    const f = join(e.parentPath, e.name);
    m.set(relative(dir, f), readFileSync(f));
  }
  return m;
}

/** Every file of a tree → its inode: a file left in place by a rebuild keeps it. */
function inodes(dir: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile())
      m.set(relative(dir, join(e.parentPath, e.name)), statSync(join(e.parentPath, e.name)).ino);
  }
  return m;
}

/** The files that differ between two trees (missing on either side included). */
function differences(a: Map<string, Buffer>, b: Map<string, Buffer>): string[] {
  const out: string[] = [];
  for (const [f, x] of a) if (!b.get(f)?.equals(x)) out.push(f);
  for (const f of b.keys()) if (!a.has(f)) out.push(f);
  return out.sort();
}

const at = (iso: string) => ({ now: () => new Date(iso) });

describe('site build after a change', () => {
  it('renders only the pages whose data changed, and the result equals a whole build', async () => {
    const out = join(env.dir, 'site-inc');
    const whole = join(env.dir, 'site-whole');
    const build = (o: { outDir: string; clock: { now(): Date }; full?: boolean }) =>
      buildSite({ dbPath: env.dbPath, env: process.env, ...o });

    const first = await build({ outDir: out, clock: at('2026-12-07T10:00:00Z') });
    expect(first.rendered).toBe(first.pages);
    expect(first.pages).toBeGreaterThan(20);

    // Nothing changed, the clock moved: only the Overview (it says when the site was built) is
    // rendered; every other page is left as it is, the bytes a whole build writes.
    const clock2 = at('2026-12-07T10:05:00Z');
    const kept = inodes(out);
    const again = await build({ outDir: out, clock: clock2 });
    expect(again.rendered).toBe(1);
    const rewritten = [...inodes(out)]
      .filter(([f, ino]) => kept.get(f) !== ino && !f.endsWith('.xlsx'))
      .map(([f]) => f);
    expect(rewritten.sort()).toEqual(['index.html', 'stamp.js']);
    expect(again.pages).toBe(first.pages);
    await build({ outDir: whole, clock: clock2, full: true });
    expect(differences(tree(out), tree(whole))).toEqual([]);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('2026-12-07 10:05 UTC');

    // One VA's description changes: its page is rendered, the rest copied.
    const va = await env.fx.h.db
      .selectFrom('virtual_accounts')
      .select(['id', 'name'])
      .orderBy('id')
      .executeTakeFirstOrThrow();
    await env.fx.h.db
      .updateTable('virtual_accounts')
      .set({ description: 'changed for the incremental build' })
      .where('id', '=', va.id)
      .execute();
    const clock3 = at('2026-12-07T10:10:00Z');
    const changed = await build({ outDir: out, clock: clock3 });
    expect(changed.rendered).toBe(2); // the VA's page and the Overview
    await build({ outDir: whole, clock: clock3, full: true });
    expect(differences(tree(out), tree(whole))).toEqual([]);
    const vaPage = readdirSync(join(out, 'virtual-accounts')).find((d) =>
      d.startsWith(`${va.id}-`),
    );
    expect(readFileSync(join(out, 'virtual-accounts', vaPage!, 'index.html'), 'utf8')).toContain(
      'changed for the incremental build',
    );
  }, 600_000);

  it("after a sync of one account reads only that account's clusters (and what a write outside a sync touched), and equals a whole build", async () => {
    const out = join(env.dir, 'site-sync');
    const whole = join(env.dir, 'site-sync-whole');
    const db = env.fx.h.db;
    const build = (o: { outDir: string; clock: { now(): Date }; full?: boolean }) =>
      buildSite({ dbPath: env.dbPath, env: process.env, ...o });
    // The pages read whatever changed: every account, VA and customer page (cheap, or
    // dependent on the clock), and the clusters no account's sync vouches for (not in a VA).
    const [accounts, vas, customers, loose] = await Promise.all([
      db
        .selectFrom('smart_accounts')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('virtual_accounts')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('customers')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('clusters')
        .where('virtual_account_id', 'is', null)
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    const always = Number(accounts.n) + Number(vas.n) + Number(customers.n) + Number(loose.n);

    const first = await build({ outDir: out, clock: at('2026-12-07T12:00:00Z') });
    expect(first.read).toBe(first.pages - LIST_PAGES.length - 1); // every entity page
    const same = await build({ outDir: out, clock: at('2026-12-07T12:05:00Z') });
    expect(same.read).toBe(always);

    // A real full sync of one cloud account (it re-reads tokens, devices and every cluster's
    // status, so its version moves: a sync that changed nothing leaves it), and a write outside any sync to a
    // cluster of another account (its row's updated_at moves, as every cluster writer sets it).
    const synced = await db
      .selectFrom('smart_accounts')
      .where('source', '=', 'cssm')
      .where('domain', '!=', 'hostile.example')
      .select(['id', 'domain'])
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const outcome = await env.fx.services.sync.syncAccount(synced.id, {
      requestedBy: 'site-test',
      full: true,
    });
    expect(outcome.status).toBe('Completed');
    const mine = await db
      .selectFrom('clusters as c')
      .innerJoin('virtual_accounts as v', 'v.id', 'c.virtual_account_id')
      .where('v.smart_account_id', '=', synced.id)
      .select('c.id')
      .execute();
    expect(mine.length).toBeGreaterThan(0);
    const other = await db
      .selectFrom('clusters as c')
      .innerJoin('virtual_accounts as v', 'v.id', 'c.virtual_account_id')
      .where('v.smart_account_id', '!=', synced.id)
      .select(['c.id', 'c.name'])
      .orderBy('c.id')
      .executeTakeFirstOrThrow();
    await db
      .updateTable('clusters')
      .set({ publisher_address: 'pub-moved.example.net', updated_at: '2026-12-07T12:07:00.000Z' })
      .where('id', '=', other.id)
      .execute();

    const clock = at('2026-12-07T12:10:00Z');
    const kept = inodes(out);
    const after = await build({ outDir: out, clock });
    expect(after.read).toBe(always + mine.length + 1);
    // Written: pages of the synced account only (its account page, its clusters), the cluster
    // changed outside a sync, and estate pages; every other account's and cluster's page is the
    // file that was there.
    const written = [...inodes(out)].filter(([f, ino]) => kept.get(f) !== ino).map(([f]) => f);
    const ids = (kind: string) =>
      written
        .filter((f) => f.startsWith(`${kind}/`) && /^[^/]+\/\d+-?[^/]*\/index\.html$/.test(f))
        .map((f) => Number(/\/(\d+)/.exec(f)![1]));
    expect(ids('accounts').every((id) => id === synced.id)).toBe(true);
    const mineIds = new Set([...mine.map((c) => c.id), other.id]);
    expect(ids('clusters').filter((id) => !mineIds.has(id))).toEqual([]);
    expect(written.length).toBe(after.written);
    expect(after.written).toBeLessThan(after.pages / 2);
    await build({ outDir: whole, clock, full: true });
    expect(differences(tree(out), tree(whole))).toEqual([]);
    const page = readdirSync(join(out, 'clusters')).find((d) => d.startsWith(`${other.id}-`));
    expect(readFileSync(join(out, 'clusters', page!, 'index.html'), 'utf8')).toContain(
      'pub-moved.example.net',
    );
  }, 600_000);

  it('renders every page again when the last site lost a page it should copy', async () => {
    const out = join(env.dir, 'site-lost');
    const clock = at('2026-12-07T11:00:00Z');
    const first = await buildSite({ dbPath: env.dbPath, outDir: out, clock, env: process.env });
    const cluster = readdirSync(join(out, 'clusters')).find((d) => /^\d+-/.test(d))!;
    rmSync(join(out, 'clusters', cluster), { recursive: true });
    const again = await buildSite({ dbPath: env.dbPath, outDir: out, clock, env: process.env });
    expect(again.rendered).toBe(first.pages);
    expect(readFileSync(join(out, 'clusters', cluster, 'index.html'), 'utf8')).toContain(
      'Permalink',
    );
    // The manifest lives beside the site, never in it (it would be served).
    expect(manifestPath(out)).toBe(join(env.dir, '.site-lost.site-build.json'));
  }, 600_000);
});
