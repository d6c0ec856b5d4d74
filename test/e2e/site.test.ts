// Real: a database made by a real sync of the demo lab against the emulator (loopback HTTP,
// real SQLite file, frozen clock) with hostile names added through the repositories, and the
// real site build (Astro in two child processes), made once per run and shared with
// site-base.test.ts (test/e2e/site-shared.ts); `serveSite` on 127.0.0.1; the real CLI
// (`smartlic site build`, `whatif`); Debian's Chromium driven by playwright-core; axe-core
// injected from the package. Faked: nothing. Covers site/ (build, serve, pages, downloads).
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reports } from '../../core/index.ts';
import { SecretBox, createRepositories, openDatabase } from '../../core/store/index.ts';
import { serveSite, type RunningSite } from '../../site/lib/serve.ts';
import { runCli } from '../support/helpers.ts';
import { ARTIFACTS, HOSTILE, startBrowser, type Browsing } from './site-harness.ts';
import { fingerprint, sharedSite, type SharedSite } from './site-shared.ts';

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

/** The few browser types the page callbacks use (this project compiles without the DOM lib). */
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  } | null;
}
interface BrowserGlobals {
  document: { body: unknown };
  getComputedStyle(e: unknown): { backgroundColor: string };
}

let env: SharedSite;
let out: string;
let site: RunningSite;
let web: Browsing;

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell !== '' || row.length) rows.push([...row, cell]);
  return rows;
}

async function visibleRows(page: Page, table: string): Promise<number> {
  return page.locator(`#${table} tbody tr:not([hidden])`).count();
}

async function downloadCsv(page: Page, table: string): Promise<string[][]> {
  const [dl] = await Promise.all([
    page.waitForEvent('download'),
    page.locator(`[data-table="${table}"] [data-csv]`).click(),
  ]);
  const path = await dl.path();
  return parseCsv(readFileSync(path, 'utf8'));
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
}

beforeAll(async () => {
  // The database and this site are made once per run and shared (site-shared.ts).
  env = await sharedSite('root');
  out = env.out;
  site = await serveSite({ dir: out, port: 0 });
  web = await startBrowser();
}, 240_000);

// Every test here only reads the shared database and site; this proves it, test by test.
afterEach(() => env?.untouched());

afterAll(async () => {
  await web?.close();
  await site?.close();
  await env?.close();
});

const MAIN = [
  '',
  'accounts/',
  'virtual-accounts/',
  'customers/',
  'clusters/',
  'jobs/',
  'alerts/',
  'reports/',
];

describe('site build', () => {
  it('writes every list page and one page per account, VA, customer and cluster', async () => {
    for (const p of MAIN) expect(existsSync(join(out, p, 'index.html')), p).toBe(true);
    const h = openDatabase({ path: env.dbPath, readonly: true });
    try {
      const repos = createRepositories(h.db, SecretBox.random());
      const clusters = await repos.clusters.list();
      const html = readFileSync(join(out, 'clusters', 'index.html'), 'utf8');
      for (const c of clusters) {
        const m = new RegExp(`href="/(clusters/${c.id}(-[a-z0-9-]+)?/)"`).exec(html);
        expect(m, c.name).not.toBeNull();
        expect(existsSync(join(out, m![1]!, 'index.html'))).toBe(true);
      }
      const vas = await repos.virtualAccounts.listAll();
      const customers = await repos.customers.list();
      const accounts = await repos.smartAccounts.list();
      const dirs = (d: string) =>
        readFileSync(join(out, d, 'index.html'), 'utf8').match(new RegExp(`href="/${d}/\\d+`, 'g'))
          ?.length ?? 0;
      expect(dirs('virtual-accounts')).toBeGreaterThanOrEqual(vas.length);
      expect(dirs('customers')).toBeGreaterThanOrEqual(customers.length);
      expect(dirs('accounts')).toBeGreaterThanOrEqual(accounts.length);
    } finally {
      await h.close();
    }
  });

  it('a failed build leaves the last good site in place', async () => {
    // A build into a copy of the site: the shared one is read by the other tests.
    const own = mkdtempSync(join(tmpdir(), 'smartlic-site-failed-build-'));
    try {
      const last = join(own, 'site');
      cpSync(out, last, { recursive: true });
      const before = readFileSync(join(last, 'index.html'), 'utf8');
      const whole = fingerprint([last]);
      const bad = join(own, 'not-a-db.db');
      writeFileSync(bad, 'this is not SQLite');
      const r = await runCli(['site', 'build', '--db', bad, '--out', last], env.env);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/smartlic site build: /);
      expect(readFileSync(join(last, 'index.html'), 'utf8')).toBe(before);
      const missing = await runCli(
        ['site', 'build', '--db', join(own, 'nope.db'), '--out', last],
        env.env,
      );
      expect(missing.code).toBe(2);
      expect(missing.err).toMatch(/does not exist/);
      expect(readFileSync(join(last, 'index.html'), 'utf8')).toBe(before);
      expect(fingerprint([last])).toBe(whole);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('contains no secret: no client secret, admin password or registration token', async () => {
    const h = openDatabase({ path: env.dbPath, readonly: true });
    const texts: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else texts.push(readFileSync(p, 'latin1'));
      }
    };
    try {
      walk(out);
      const all = texts.join('\n');
      const { clientSecrets, clusterPasswords, vaTokens } = env.secrets;
      expect(clientSecrets.length * clusterPasswords.length * vaTokens.length).toBeGreaterThan(0);
      for (const s of clientSecrets) expect(all).not.toContain(s);
      for (const p of clusterPasswords) expect(all).not.toContain(`>${p}<`);
      for (const t of vaTokens) expect(all).not.toContain(t);
      const rows = await h.db.selectFrom('registration_tokens').select('token_hash').execute();
      for (const r of rows) expect(all).not.toContain(r.token_hash);
      expect(all).not.toMatch(/v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:/);
    } finally {
      await h.close();
    }
  });
});

describe('site in Chromium', { timeout: 180_000 }, () => {
  it('every page loads with no console error and no request leaving 127.0.0.1', async () => {
    const start = web.problems.length;
    const pages = [...MAIN];
    const index = await web.open(site.url);
    for (const kind of ['accounts', 'virtual-accounts', 'customers', 'clusters']) {
      const list = await web.open(`${site.url}${kind}/`);
      const hrefs = await list
        .locator(`a[href^="/${kind}/"]`)
        .evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
      pages.push(...[...new Set(hrefs)].slice(0, 6).map((h) => h.slice(1)));
      await list.close();
    }
    await index.close();
    for (const p of pages) {
      const page = await web.open(`${site.url}${p}`);
      expect(await page.locator('.asof time').count()).toBeGreaterThan(0);
      expect(await page.locator('.asof').innerText()).toMatch(/Data as of \d{4}-\d{2}-\d{2}/);
      await page.close();
    }
    expect(web.problems.slice(start)).toEqual([]);
  });

  it('hostile names are shown as text and never run', async () => {
    const start = web.problems.length;
    for (const p of ['accounts/', 'virtual-accounts/', 'customers/', 'clusters/', 'jobs/']) {
      const page = await web.open(`${site.url}${p}`);
      const text = await page.locator('main').innerText();
      expect(text, p).toContain(p === 'clusters/' ? HOSTILE.img : HOSTILE.script);
      expect(await page.locator('main img').count(), p).toBe(0);
      const links = await page
        .locator('main a')
        .evaluateAll((as) =>
          as
            .map((a) => a.getAttribute('href') ?? '')
            .filter((h) => /hostile|^\/[a-z-]+\/\d+\/$/.test(h)),
        );
      for (const href of links.slice(0, 5)) {
        const sub = await web.open(`${site.url}${href.slice(1)}`);
        expect(await sub.locator('main img').count()).toBe(0);
        await sub.close();
      }
      await page.close();
    }
    expect(web.problems.slice(start)).toEqual([]);
  });

  it('the Alerts page lists open, muted and resolved alerts', async () => {
    const page = await web.open(`${site.url}alerts/`);
    const text = async (id: string) => page.locator(`#${id} tbody`).innerText();
    expect(await text('alerts-open')).toContain(`${HOSTILE.script} short by 1`);
    expect(await text('alerts-muted')).toContain(`${HOSTILE.script} short by 2`);
    expect(await text('alerts-muted')).toContain(HOSTILE.plus);
    expect(await text('alerts-resolved')).toContain(`${HOSTILE.script} short by 3`);
    expect(await text('alerts-open')).not.toContain(`${HOSTILE.script} short by 2`);
    expect(await page.locator('main img').count()).toBe(0);
    await page.close();
  });

  it('tables are readable with JavaScript off', async () => {
    const off = await startBrowser({ javaScript: false });
    try {
      const page = await off.open(`${site.url}clusters/`);
      expect(await page.locator('#clusters tbody tr').count()).toBeGreaterThan(5);
      expect(await page.locator('.table-tools').first().isHidden()).toBe(true);
      await page.close();
      expect(off.problems).toEqual([]);
    } finally {
      await off.close();
    }
  });

  it('filters and sorting change the rows and the URL, and the URL restores them', async () => {
    const page = await web.open(`${site.url}clusters/`);
    const all = await visibleRows(page, 'clusters');
    await page.locator('[data-table="clusters"] [data-toggle="failed"]').check();
    const failed = await visibleRows(page, 'clusters');
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(all);
    expect(page.url()).toContain('clusters.t.failed=1');
    await page.locator('[data-table="clusters"] [data-toggle="failed"]').uncheck();
    const type = page.locator('[data-table="clusters"] select[data-filter="type"]');
    await type.selectOption('CUC');
    const cuc = await visibleRows(page, 'clusters');
    expect(cuc).toBeGreaterThan(0);
    expect(cuc).toBeLessThan(all);
    expect(page.url()).toContain('clusters.f.type=CUC');
    await page.locator('[data-table="clusters"] th[data-key="name"] button').click();
    await page.locator('[data-table="clusters"] th[data-key="name"] button').click();
    expect(page.url()).toContain('clusters.sort=name');
    expect(page.url()).toContain('clusters.dir=desc');
    const names = await page
      .locator('#clusters tbody tr:not([hidden]) td:first-child')
      .allInnerTexts();
    expect(names).toEqual([...names].sort((a, b) => b.localeCompare(a)));
    const again = await web.open(page.url());
    expect(await visibleRows(again, 'clusters')).toBe(cuc);
    expect(await again.locator('select[data-filter="type"]').inputValue()).toBe('CUC');
    await again.locator('[data-table="clusters"] [data-search]').fill('zzz-no-such-cluster');
    expect(await visibleRows(again, 'clusters')).toBe(0);
    expect(again.url()).toContain('clusters.q=zzz-no-such-cluster');
    await shot(page, 'clusters-filtered');
    await page.close();
    await again.close();
  });

  it('the CSV download parses, matches the database and neutralises formulas', async () => {
    const page = await web.open(`${site.url}clusters/`);
    const rows = await downloadCsv(page, 'clusters');
    const [header, ...body] = rows;
    expect(header).toContain('Name');
    const h = openDatabase({ path: env.dbPath, readonly: true });
    try {
      const repos = createRepositories(h.db, SecretBox.random());
      const clusters = await repos.clusters.list();
      expect(body.length).toBe(clusters.length);
      const nameCol = header!.indexOf('Name');
      const versionCol = header!.indexOf('Version');
      const typeCol = header!.indexOf('Type');
      for (const c of clusters) {
        const row = body.find((r) => r[nameCol] === c.name || r[nameCol] === `'${c.name}`);
        expect(row, c.name).toBeDefined();
        expect(row![typeCol]).toBe(c.type);
        if (c.version === HOSTILE.plus) expect(row![versionCol]).toBe(`'${HOSTILE.plus}`);
        else expect(row![versionCol]).toBe(c.version ?? '');
      }
    } finally {
      await h.close();
    }
    const jobs = await web.open(`${site.url}jobs/`);
    const jr = await downloadCsv(jobs, 'jobs');
    const entityCol = jr[0]!.indexOf('Entity Name');
    expect(jr.some((r) => r[entityCol] === `'${HOSTILE.formula}`)).toBe(true);
    expect(jr.some((r) => r[entityCol] === HOSTILE.formula)).toBe(false);
    await page.close();
    await jobs.close();
  });

  it('charts draw (non-blank canvas) and each has a data table', async () => {
    const list = await web.open(`${site.url}virtual-accounts/`);
    const href = await list
      .locator('#virtual-accounts a', { hasText: 'va-globex' })
      .first()
      .getAttribute('href');
    await list.close();
    const page = await web.open(`${site.url}${href!.slice(1)}`);
    const canvases = page.locator('canvas[data-chart]');
    expect(await canvases.count()).toBeGreaterThan(0);
    await page.waitForTimeout(200);
    const painted = await canvases.evaluateAll((cs) =>
      (cs as unknown as Canvas[]).map((c) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
        return n;
      }),
    );
    for (const n of painted) expect(n).toBeGreaterThan(500);
    expect(await page.locator('figure.chart details table').count()).toBe(await canvases.count());
    await shot(page, 'virtual-account');
    await page.close();
  });

  it('light and dark themes: system preference, toggle kept across pages, print always light', async () => {
    const dark = await web.browser.newContext({ colorScheme: 'dark' });
    try {
      const page = await dark.newPage();
      await page.goto(site.url);
      const bg = () =>
        page.evaluate(() => {
          const g = globalThis as unknown as BrowserGlobals;
          return g.getComputedStyle(g.document.body).backgroundColor;
        });
      expect(await bg()).toBe('rgb(17, 20, 24)');
      await page.locator('[data-theme-toggle]').click();
      expect(await bg()).toBe('rgb(255, 255, 255)');
      await page.goto(`${site.url}jobs/`);
      expect(await bg()).toBe('rgb(255, 255, 255)');
      await page.locator('[data-theme-toggle]').click();
      expect(await bg()).toBe('rgb(17, 20, 24)');
      await page.emulateMedia({ media: 'print' });
      expect(await bg()).toBe('rgb(255, 255, 255)');
    } finally {
      await dark.close();
    }
  });

  it('axe-core finds no serious or critical violation', async () => {
    const pages = [...MAIN];
    const list = await web.open(`${site.url}virtual-accounts/`);
    const href = await list
      .locator('#virtual-accounts a[href^="/virtual-accounts/"]')
      .first()
      .getAttribute('href');
    pages.push(href!.slice(1));
    await list.close();
    const found: string[] = [];
    for (const p of pages) {
      const page = await web.open(`${site.url}${p}`);
      await page.addScriptTag({ content: axeSource });
      const result = (await page.evaluate(() =>
        (globalThis as unknown as { axe: { run: (o?: unknown) => Promise<unknown> } }).axe.run({
          resultTypes: ['violations'],
        }),
      )) as { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
      for (const v of result.violations) {
        if (v.impact === 'serious' || v.impact === 'critical') {
          found.push(
            `${p || '/'}: ${v.id} (${v.impact}) ${v.nodes
              .slice(0, 3)
              .map((n) => n.target.join(' '))
              .join(', ')}`,
          );
        }
      }
      await shot(page, (p || 'overview').replace(/\/$/, '').replace(/\//g, '_') || 'overview');
      await page.close();
    }
    expect(found).toEqual([]);
  });
});

describe('reports', { timeout: 120_000 }, () => {
  it('clusterDetails (one pass, for the page per cluster) equals clusterDetail of each cluster', async () => {
    const h = openDatabase({ path: env.dbPath, readonly: true });
    try {
      const now = env.clock.now();
      const all = await reports.clusterDetails(h.db, { now });
      const summary = await reports.clusterSummary(h.db, { now });
      expect(all.map((d) => d.id).sort((a, b) => a - b)).toEqual(
        summary.map((c) => c.id).sort((a, b) => a - b),
      );
      for (const d of all)
        expect(d).toEqual(await reports.clusterDetail(h.db, { now, clusterId: d.id }));
      expect(all.some((d) => d.usage.length > 0)).toBe(true);
      expect(Math.max(...all.map((d) => d.jobs.length))).toBe(5);
    } finally {
      await h.close();
    }
  });

  it('the Service Inventory download matches the golden file and the readable table', async () => {
    const text = readFileSync(
      join(out, 'reports', 'service-inventory-license-summary.txt'),
      'utf8',
    );
    const golden = join(import.meta.dirname, 'golden', 'site-service-inventory.txt');
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
    const page = await web.open(`${site.url}reports/`);
    expect((await page.locator('pre.si').innerText()).trimEnd()).toBe(text.trimEnd());
    const plm = text.split(/\r?\n/).filter((l) => l.startsWith('|SUMMARY|PLMINFO|'));
    expect(await page.locator('#si-plminfo tbody tr').count()).toBe(plm.length);
    const [dl] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('a[href="/reports/service-inventory-license-summary.txt"]').click(),
    ]);
    expect(readFileSync(await dl.path(), 'utf8')).toBe(text);
    await page.close();
  });

  it('the HLM report is a table, a CSV and an Excel workbook at VA and customer level', async () => {
    const page = await web.open(`${site.url}reports/`);
    for (const level of ['va', 'customer'] as const) {
      const csv = parseCsv(readFileSync(join(out, 'reports', `hlm-${level}.csv`), 'utf8'));
      const rows = await page.locator(`#hlm-${level} tbody tr`).count();
      expect(rows).toBe(csv.length - 1);
      const table = await downloadCsv(page, `hlm-${level}`);
      expect(table).toEqual(csv);
      const xlsx = readFileSync(join(out, 'reports', `hlm-${level}.xlsx`));
      expect(xlsx.subarray(0, 2).toString()).toBe('PK');
    }
    const va = parseCsv(readFileSync(join(out, 'reports', 'hlm-va.csv'), 'utf8'));
    expect(va[0]![0]).toBe('LM Name');
    expect(va.some((r) => r[0] === 'va-globex @ nimbus-hcs.example.com')).toBe(true);
    await page.close();
  });

  it('the what-if page gives the numbers `smartlic whatif move` prints for the same move', async () => {
    const h = openDatabase({ path: env.dbPath, readonly: true });
    try {
      const clusters = await reports.clusterSummary(h.db, { now: env.clock.now() });
      const from = clusters.filter((c) => c.virtualAccount === 'nimbus-hcs.example.com/va-acme');
      const target = (await reports.resolveVirtualAccount(h.db, 'nimbus-hcs.example.com/va-globex'))
        .id;
      expect(from.length).toBeGreaterThan(0);
      const ids = from.map((c) => c.id);
      const expected = await reports.whatIfMove(h.db, {
        clusterIds: ids,
        toVirtualAccountId: target,
      });
      const page = await web.open(`${site.url}whatif/?clusters=${ids.join(',')}&to=${target}`);
      for (const ch of expected.changes) {
        const section = page.locator(`section[data-va="${ch.va.id}"]`);
        expect(await section.count()).toBe(1);
        for (const type of new Set(
          [...ch.before.licenses, ...ch.after.licenses].map((l) => l.type),
        )) {
          const cells = await section.locator(`tr[data-type="${type}"] td`).allInnerTexts();
          const b = ch.before.licenses.find((l) => l.type === type);
          const a = ch.after.licenses.find((l) => l.type === type);
          const sb = ch.before.shortages.find((s) => s.type === type)?.quantity ?? 0;
          const sa = ch.after.shortages.find((s) => s.type === type)?.quantity ?? 0;
          expect(cells.map(Number), `${ch.va.label} ${type}`).toEqual([
            b?.quantity ?? a?.quantity ?? 0,
            b?.inUse ?? 0,
            a?.inUse ?? 0,
            b?.available ?? 0,
            a?.available ?? 0,
            sb,
            sa,
          ]);
        }
      }
      const moved = await page.locator('#whatif-result section').count();
      expect(moved).toBe(expected.changes.length);
      await shot(page, 'whatif');
      await page.close();
    } finally {
      await h.close();
    }
  });
});

describe('site serve', () => {
  it('serves on 127.0.0.1 only and refuses paths outside the site', async () => {
    expect(site.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await fetch(`${site.url}..%2f..%2fetc%2fpasswd`);
    expect([403, 404]).toContain(r.status);
    const post = await fetch(site.url, { method: 'POST' });
    expect(post.status).toBe(405);
    const redirect = await fetch(`${site.url}jobs`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/jobs/');
  });
});
