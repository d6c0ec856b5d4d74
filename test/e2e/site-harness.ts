/**
 * Set-up of the site tests: a database made by a real sync against the emulator (demo lab,
 * fixed frozen clock, loopback HTTP), hostile names written into every field a page shows,
 * the real site build, the real static server on 127.0.0.1 and Debian's Chromium through
 * playwright-core.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  provisionCloud,
  provisionSatellite,
  seedClusters,
  setup,
  type Fixture,
} from '../integration/sync-fixture.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Screenshots are kept here (git-ignored) as test artifacts. */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'site');

/** Text that would run if any page put it into HTML unescaped; also CSV-formula shaped. */
export const HOSTILE = {
  script: '<script>alert(1)</script>',
  img: '"><img src=x onerror=alert(2)>',
  formula: '=HYPERLINK("http://evil.example/","x")',
  at: '@SUM(1+1)',
  plus: "+cmd|' /C calc'!A0",
};

export interface SiteEnv {
  fx: Fixture;
  dbPath: string;
  dir: string;
  /** Environment for the CLI (`smartlic site build`) on this database. */
  env: NodeJS.ProcessEnv;
}

/**
 * A database from a real sync of the demo lab (every cloud and satellite account provisioned,
 * every smart-licensed cluster stored), on the emulator's fixed, frozen clock, plus hostile
 * names. The fixture stays open (close it with `fx.close()`).
 */
export async function makeDatabase(): Promise<SiteEnv> {
  const fx = await setup();
  for (const c of fx.emu.ready.clients) {
    if (c.for === 'cloud')
      await provisionCloud(fx, fx.emu.ready.clients.filter((x) => x.for === 'cloud').indexOf(c));
    else await provisionSatellite(fx, c.account);
  }
  await seedClusters(fx);
  const outcomes = await fx.services.sync.syncAll({ requestedBy: 'site-test', full: true });
  const failed = outcomes.filter((o) => o.status === 'Failed');
  if (failed.length > 0) throw new Error(`sync failed: ${JSON.stringify(failed[0]?.error)}`);
  await addHostileNames(fx);
  return {
    fx,
    dbPath: fx.dbPath,
    dir: fx.dir,
    env: { SMARTLIC_DB: fx.dbPath, SMARTLIC_LOG_LEVEL: 'silent', SMARTLIC_SYNC_ENABLED: 'false' },
  };
}

/** Writes hostile text into a Smart Account, a VA, a license, a customer, a cluster, a job. */
async function addHostileNames(fx: Fixture): Promise<void> {
  {
    const repos = fx.repos;
    const sa = await repos.smartAccounts.upsert({
      domain: 'hostile.example',
      name: HOSTILE.script,
      type: 'CUSTOMER',
      status: HOSTILE.img,
      source: 'cssm',
      transportMode: 'Direct',
    });
    const va = await repos.virtualAccounts.upsert(sa.id, {
      name: HOSTILE.script,
      description: HOSTILE.img,
      commerceAccessLevel: HOSTILE.formula,
    });
    await repos.licenses.replaceForVirtualAccount(va.id, [
      {
        licenseType: HOSTILE.img,
        displayName: HOSTILE.script,
        quantity: 5,
        inUse: 7,
        available: 0,
        status: HOSTILE.formula,
        billingType: 'PREPAID',
        details: [
          {
            licenseType: 'TERM',
            quantity: 5,
            startDate: new Date('2026-01-01T00:00:00Z'),
            endDate: new Date('2027-01-01T00:00:00Z'),
            subscriptionId: HOSTILE.at,
            status: HOSTILE.plus,
          },
        ],
      },
    ]);
    const customer = await repos.customers.upsert({
      name: HOSTILE.script,
      description: HOSTILE.img,
    });
    const cluster = await repos.clusters.upsert({
      customerId: customer.id,
      name: HOSTILE.img,
      type: 'CUCM',
      version: HOSTILE.plus,
      publisherAddress: 'https://hostile.example:8443',
    });
    await repos.clusters.assign(cluster.id, va.id, 'Manual Registration Failed');
    for (let i = 0; i < 7; i++) {
      const j = await repos.jobs.create({
        jobType: i === 6 ? HOSTILE.img : 'Register',
        entityType: 'Cluster',
        entityName: cluster.name,
        entityId: cluster.id,
      });
      await repos.jobs.complete(j.id, `step ${i}`);
    }
    const job = await repos.jobs.create({
      jobType: HOSTILE.script,
      entityType: 'Cluster',
      entityName: HOSTILE.formula,
      description: HOSTILE.img,
      requestedBy: HOSTILE.at,
    });
    await repos.jobs.fail(job.id, {
      errorCode: 'CAA1048',
      statusInformation: HOSTILE.script,
      recommendedAction: HOSTILE.plus,
    });
    const candidate = (n: number, severity: 'critical' | 'warning') => ({
      rule: 'insufficient-licenses' as const,
      dedupeKey: `insufficient-licenses:VA:${va.id}:${n}`,
      severity,
      entity: { kind: 'VA' as const, id: String(va.id), name: HOSTILE.script },
      scope: `sa:${sa.id}` as const,
      smartAccount: { id: sa.id, domain: sa.domain },
      customer: { id: customer.id, name: HOSTILE.script },
      title: `${HOSTILE.script} short by ${n}`,
      facts: { note: HOSTILE.img },
      action: HOSTILE.formula,
    });
    const at = fx.clock.now();
    await repos.alerts.apply(
      `sa:${sa.id}`,
      [candidate(1, 'critical'), candidate(2, 'warning'), candidate(3, 'warning')],
      at,
    );
    // One stays open, one is muted, one resolves (no longer produced by the next evaluation).
    await repos.alerts.apply(
      `sa:${sa.id}`,
      [candidate(1, 'critical'), candidate(2, 'warning')],
      at,
    );
    const muted = await repos.alerts.getByDedupeKey(`insufficient-licenses:VA:${va.id}:2`, at);
    await repos.alerts.muteAlert(
      muted!.id,
      { until: new Date(at.getTime() + 7 * 86_400_000), reason: HOSTILE.plus, by: HOSTILE.at },
      at,
    );
  }
}

export interface Browsing {
  browser: Browser;
  context: BrowserContext;
  /** Console errors, page errors, dialogs and requests that left 127.0.0.1, per page. */
  problems: string[];
  open(url: string): Promise<Page>;
  close(): Promise<void>;
}

export async function startBrowser(opts: { javaScript?: boolean } = {}): Promise<Browsing> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({
    javaScriptEnabled: opts.javaScript ?? true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  const problems: string[] = [];
  await context.route('**/*', async (route) => {
    const u = new URL(route.request().url());
    if (u.protocol === 'blob:' || u.protocol === 'data:' || u.hostname === '127.0.0.1') {
      return route.continue();
    }
    problems.push(`request left 127.0.0.1: ${u.href}`);
    return route.abort();
  });
  return {
    browser,
    context,
    problems,
    async open(url) {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console error on ${url}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error on ${url}: ${e.message}`));
      page.on('dialog', (d) => {
        problems.push(`dialog on ${url}: ${d.message()}`);
        void d.dismiss();
      });
      const res = await page.goto(url, { waitUntil: 'load' });
      if (!res || res.status() !== 200) problems.push(`${url}: HTTP ${res?.status()}`);
      return page;
    },
    async close() {
      await context.close();
      await browser.close();
    },
  };
}
