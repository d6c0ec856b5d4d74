/**
 * `npm run screenshot`: the README's picture of the report site (docs/img/site-overview.png).
 * A database from a real sync of the emulator's demo lab (every cloud and satellite account,
 * every smart-licensed cluster, the emulator's fixed frozen clock), the real site build, the
 * static server on 127.0.0.1, and Debian's Chromium (/usr/bin/chromium) through playwright-core.
 * Light theme, 1280×900 viewport, the top of the Overview page.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { buildSite } from '../site/lib/build.ts';
import { serveSite } from '../site/lib/serve.ts';
import {
  provisionCloud,
  provisionSatellite,
  seedClusters,
  setup,
} from '../test/integration/sync-fixture.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'docs', 'img', 'site-overview.png');
const LIMIT = 300 * 1024;

const fx = await setup();
const out = mkdtempSync(join(tmpdir(), 'smartlic-shot-'));
try {
  const cloud = fx.emu.ready.clients.filter((c) => c.for === 'cloud');
  for (let i = 0; i < cloud.length; i++) await provisionCloud(fx, i);
  for (const c of fx.emu.ready.clients.filter((x) => x.for === 'onprem')) {
    await provisionSatellite(fx, c.account);
  }
  await seedClusters(fx);
  const outcomes = await fx.services.sync.syncAll({ requestedBy: 'screenshot', full: true });
  const failed = outcomes.find((o) => o.status === 'Failed');
  if (failed) throw new Error(`sync of ${failed.domain} failed: ${failed.error?.message ?? ''}`);

  await buildSite({
    dbPath: fx.dbPath,
    outDir: out,
    clock: fx.clock,
    logLevel: 'error',
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
  });
  const site = await serveSite({ dir: out, port: 0 });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage({
      viewport: { width: 1280, height: 900 },
      colorScheme: 'light',
      deviceScaleFactor: 1,
    });
    await page.goto(site.url, { waitUntil: 'networkidle' });
    mkdirSync(join(ROOT, 'docs', 'img'), { recursive: true });
    await page.screenshot({ path: OUT, fullPage: false });
  } finally {
    await browser.close();
    await site.close();
  }
  const size = statSync(OUT).size;
  process.stdout.write(`${OUT}: ${Math.round(size / 1024)} KB\n`);
  if (size > LIMIT) {
    process.stderr.write(`the screenshot is larger than ${LIMIT / 1024} KB\n`);
    process.exitCode = 1;
  }
} finally {
  await fx.close();
  rmSync(out, { recursive: true, force: true });
}
