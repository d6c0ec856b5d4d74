// Real: a database made by a real sync of the demo lab against the emulator (loopback HTTP,
// real SQLite file) with hostile names added through the repositories, made once per run and
// shared with site.test.ts (test/e2e/site-shared.ts); the real site build
// (Astro in a child process) hosted under a sub-directory (`/smartlic/`), with a list page
// size of 5 so that the demo's Cluster Summary is split into pages; `serveSite` on 127.0.0.1
// serving only under that base, as a web server hosting the sub-directory would; Debian's
// Chromium driven by playwright-core. Faked: nothing (the page size is an option of the build).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reports } from '../../core/index.ts';
import { openDatabase } from '../../core/store/index.ts';
import { serveSite, type RunningSite } from '../../site/lib/serve.ts';
import { runCli } from '../support/helpers.ts';
import { ARTIFACTS, startBrowser, type Browsing } from './site-harness.ts';
import { BUILDS, sharedSite, type SharedSite } from './site-shared.ts';

const BASE = BUILDS.based.base;
const SIZE = BUILDS.based.listPageSize;
let env: SharedSite;
let out: string;
let site: RunningSite;
let web: Browsing;
let origin: string;

beforeAll(async () => {
  // The database and this build are made once per run and shared (site-shared.ts).
  env = await sharedSite('based');
  out = env.out;
  site = await serveSite({ dir: out, port: 0, base: BASE });
  origin = new URL(site.url).origin;
  web = await startBrowser();
}, 240_000);

// Every test here only reads the shared database and site; this proves it, test by test.
afterEach(() => env?.untouched());

afterAll(async () => {
  await web?.close();
  await site?.close();
  await env?.close();
});

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.html'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every href / src of a page that points into the site (not `#…`, `data:`, `blob:`). */
function references(html: string): string[] {
  return [...html.matchAll(/\s(?:href|src)="([^"#][^"]*)"/g)]
    .map((m) => m[1]!.replace(/&amp;/g, '&'))
    .filter((u) => !/^(?:data|blob|mailto):/.test(u));
}

async function status(path: string): Promise<number> {
  const res = await fetch(`${origin}${path}`, { method: 'HEAD', redirect: 'manual' });
  return res.status;
}

async function clusterCount(where: (c: reports.ClusterSummaryRow) => boolean): Promise<string[]> {
  const h = openDatabase({ path: env.dbPath, readonly: true });
  try {
    const rows = await reports.clusterSummary(h.db, { now: env.clock.now() });
    return rows.filter(where).map((c) => c.name);
  } finally {
    await h.close();
  }
}

async function visible(page: Page): Promise<string[]> {
  return page
    .locator('#clusters tbody tr:not([hidden]) td:first-child')
    .evaluateAll((tds) => tds.map((td) => (td.textContent ?? '').trim()));
}

describe('a site hosted in a sub-directory', { timeout: 180_000 }, () => {
  it('every link and asset of every page starts with the base and resolves', async () => {
    const files = htmlFiles(out);
    expect(files.length).toBeGreaterThan(40);
    const seen = new Set<string>();
    for (const f of files) {
      for (const ref of references(readFileSync(f, 'utf8'))) {
        const abs = new URL(ref, `${origin}${BASE}${relative(out, f).split(sep).join('/')}`);
        expect(abs.origin, `${f}: ${ref}`).toBe(origin);
        expect(abs.pathname.startsWith(BASE), `${relative(out, f)}: ${ref}`).toBe(true);
        seen.add(abs.pathname);
      }
    }
    // Assets, list pages, each entity page, the report downloads, the pages of the split list.
    expect([...seen].some((p) => p.startsWith(`${BASE}_astro/`))).toBe(true);
    expect(seen.has(`${BASE}clusters/page/2/`)).toBe(true);
    expect(seen.has(`${BASE}`)).toBe(true);
    for (const p of seen) expect(await status(p), p).toBe(200);
    // Nothing is served outside the base (a root-relative link left behind would break).
    expect(await status('/clusters/')).toBe(404);
    expect(await status('/smartlic')).toBe(301);
  });

  it('in Chromium: pages, scripts, styles, charts and links load under the base', async () => {
    const start = web.problems.length;
    const failed: string[] = [];
    web.context.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    for (const p of [
      '',
      'clusters/',
      'clusters/page/2/',
      'virtual-accounts/',
      'reports/',
      'whatif/',
    ]) {
      const page = await web.open(`${site.url}${p}`);
      await page.waitForLoadState('networkidle');
      const hrefs = await page
        .locator('a[href]')
        .evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
      for (const h of hrefs) {
        const u = new URL(h);
        if (u.origin === origin) expect(u.pathname.startsWith(BASE), `${p}: ${h}`).toBe(true);
      }
      if (p === '') {
        // Overview charts from the totals read models draw, each with its data table.
        for (const id of ['owned-in-use', 'trend-totals']) {
          const canvas = page.locator(`canvas[data-chart="${id}"]`);
          expect(await canvas.count(), id).toBe(1);
        }
        const painted = await page.locator('canvas[data-chart="owned-in-use"]').evaluate((c) => {
          const cv = c as unknown as {
            width: number;
            height: number;
            getContext(k: '2d'): {
              getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
            };
          };
          const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
          let n = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
          return n;
        });
        expect(painted).toBeGreaterThan(500);
        await page.screenshot({ path: join(ARTIFACTS, 'overview-base.png') });
      }
      await page.close();
    }
    expect(failed).toEqual([]);
    expect(web.problems.slice(start)).toEqual([]);
  });

  it('the overview charts show the totals read models, and their tables hold the numbers', async () => {
    const h = openDatabase({ path: env.dbPath, readonly: true });
    let totals: reports.LicenseTypeTotal[];
    try {
      totals = await reports.licenseTotals(h.db);
    } finally {
      await h.close();
    }
    const page = await web.open(site.url);
    const rows = await page
      .locator('figure[data-kind="bar"]', { hasText: 'Owned versus in use' })
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) =>
          [...(tr as unknown as { cells: { textContent: string | null }[] }).cells].map((c) =>
            (c.textContent ?? '').trim(),
          ),
        ),
      );
    const expected = totals
      .filter((t) => t.owned > 0 || t.inUse > 0)
      .map((t) => [t.label, String(t.owned), String(t.inUse), String(t.shortage)]);
    expect(rows).toEqual(expected);
    await page.close();
  });

  it('the Cluster Summary is split into pages readable without JavaScript', async () => {
    const all = await clusterCount(() => true);
    const pages = Math.ceil(all.length / SIZE);
    expect(pages).toBeGreaterThan(2);
    const off = await startBrowser({ javaScript: false });
    try {
      const first = await off.open(`${site.url}clusters/`);
      expect(await first.locator('#clusters tbody tr').count()).toBe(SIZE);
      expect(await first.locator('nav.pager').first().locator('a').count()).toBe(pages);
      expect(await first.locator('.page-of').innerText()).toContain(`of ${all.length}`);
      await first.locator('nav.pager').first().locator('a', { hasText: '2' }).first().click();
      await first.waitForLoadState('load');
      expect(first.url()).toBe(`${site.url}clusters/page/2/`);
      expect(await first.locator('#clusters tbody tr').count()).toBe(SIZE);
      expect(await first.locator('h1').innerText()).toContain(`page 2 of ${pages}`);
      // Every cluster is on exactly one page.
      const names: string[] = [];
      for (let n = 1; n <= pages; n++) {
        const p = await off.open(`${site.url}clusters/${n === 1 ? '' : `page/${n}/`}`);
        names.push(...(await visible(p)));
        await p.close();
      }
      expect(names.sort()).toEqual([...all].sort());
      expect(off.problems).toEqual([]);
    } finally {
      await off.close();
    }
  });

  it('a filter covers every page: URL state, permalink, CSV of the whole filtered list', async () => {
    // The demo has 6 CUC clusters: more than a page of 5, spread over several pages.
    const cuc = await clusterCount((c) => c.type === 'CUC');
    expect(cuc.length).toBeGreaterThan(SIZE);
    const start = web.problems.length;
    const page = await web.open(`${site.url}clusters/page/2/`);
    await page.locator('[data-table="clusters"] select[data-filter="type"]').selectOption('CUC');
    const count = page.locator('[data-table="clusters"] [data-count]');
    await count.filter({ hasText: 'matching' }).waitFor();
    expect(page.url()).toContain('clusters.f.type=CUC');
    expect(await count.innerText()).toBe(
      `${SIZE} of ${cuc.length} matching rows shown (${(await clusterCount(() => true)).length} in all)`,
    );
    const first = await visible(page);
    expect(first).toHaveLength(SIZE);
    for (const n of first) expect(cuc).toContain(n);
    expect(await page.locator('nav.pager').first().isHidden()).toBe(true);
    // The CSV has every matching row, not only those drawn.
    const [dl] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-table="clusters"] [data-csv]').click(),
    ]);
    const csv = readFileSync(await dl.path(), 'utf8')
      .trimEnd()
      .split('\r\n');
    expect(csv).toHaveLength(cuc.length + 1);
    expect(
      csv
        .slice(1)
        .map((l) => l.split(',')[0]!.replace(/^"|"$/g, ''))
        .sort(),
    ).toEqual([...cuc].sort());
    await page.locator('[data-table="clusters"] [data-more]').click();
    expect((await visible(page)).sort()).toEqual([...cuc].sort());
    // The URL is a permalink of the filtered list: opened afresh, it shows the same rows.
    const again = await web.open(page.url());
    await again.locator('[data-table="clusters"] [data-count]', { hasText: 'matching' }).waitFor();
    expect(await visible(again)).toEqual(first);
    await page.close();
    await again.close();
    expect(web.problems.slice(start)).toEqual([]);
  });

  it('`site build --full` renders every page; without it a rebuild renders only what changed', async () => {
    // Its own output directory: the shared site is only read.
    const own = mkdtempSync(join(tmpdir(), 'smartlic-site-full-'));
    try {
      const args = ['site', 'build', '--db', env.dbPath, '--out', join(own, 'site')];
      const first = await runCli([...args, '--base', BASE], env.env);
      expect(first.code).toBe(0);
      const pages = Number(/^site: (\d+) pages/.exec(first.out)?.[1]);
      expect(pages).toBeGreaterThan(10);
      // A first build renders every page: no "… rendered" count.
      expect(first.out).not.toMatch(/rendered/);
      const again = await runCli([...args, '--base', BASE], env.env);
      const rendered = Number(/, (\d+) rendered\)/.exec(again.out)?.[1]);
      expect(rendered).toBeGreaterThan(0);
      expect(rendered).toBeLessThan(pages);
      const full = await runCli([...args, '--base', BASE, '--full'], env.env);
      expect(full.code).toBe(0);
      expect(full.out).toMatch(
        new RegExp(`^site: ${pages} pages in .* \\(\\d+\\.\\d s\\), data as of`),
      );
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  }, 180_000);

  it('a base that is not a plain path is refused with exit code 2', async () => {
    const r = await runCli(['site', 'build', '--base', 'http://evil.example/'], env.env);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--base "http:\/\/evil.example\/" is not a path such as \/smartlic\//);
    const dots = await runCli(['site', 'serve', '--base', '/a/../b/'], env.env);
    expect(dots.code).toBe(2);
  });
});
