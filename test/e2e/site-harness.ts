/**
 * Set-up of the site tests: a database made by the real `smartlic start --once` (embedded
 * emulator, real sync over loopback HTTP), hostile names written into every field a page shows,
 * the real site build, the real static server on 127.0.0.1 and Debian's Chromium through
 * playwright-core.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SecretBox, createRepositories, openDatabase } from '../../core/store/index.ts';
import { runCli } from '../support/helpers.ts';

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
  dir: string;
  dbPath: string;
  env: NodeJS.ProcessEnv;
}

/** A database from a real sync of the demo lab, plus hostile names. */
export async function makeDatabase(): Promise<SiteEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'smartlic-site-e2e-'));
  const dbPath = join(dir, 'smartlic.db');
  const env = {
    SMARTLIC_DB: dbPath,
    SMARTLIC_LOG_LEVEL: 'silent',
    SMARTLIC_SECRET_KEY: 'site-e2e-passphrase',
    SMARTLIC_SYNC_ENABLED: 'false',
  };
  const r = await runCli(['start', '--once'], env);
  if (r.code !== 0) throw new Error(`start --once failed (${r.code}): ${r.err}\n${r.out}`);
  await addHostileNames(dbPath);
  return { dir, dbPath, env };
}

/** Writes hostile text into a Smart Account, a VA, a license, a customer, a cluster, a job. */
async function addHostileNames(dbPath: string): Promise<void> {
  const h = openDatabase({ path: dbPath });
  try {
    const repos = createRepositories(h.db, SecretBox.random());
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
    await repos.alerts.upsert({
      rule: 'insufficient-licenses',
      entityType: 'virtual-account',
      entityId: `hostile.example/${HOSTILE.script}`,
      severity: 'critical',
      message: HOSTILE.script,
      dedupeKey: `hostile:${HOSTILE.script}`,
      details: { note: HOSTILE.img },
    });
  } finally {
    await h.close();
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
