/**
 * Metrics benchmark (`npm run bench metrics`; issue 12). Two figures:
 *   1. the cost of one event through the prom-client sink (what every HTTP answer, sync,
 *      command and ack adds): 1 000 000 `http` events with a realistic spread of labels;
 *   2. one `GET /metrics` scrape over loopback HTTP with BENCH_ALERTS open alerts in SQLite
 *      (default 20 000, over 6 rules and 3 severities) read through reports.operationalCounts,
 *      plus 500 queued notifications: median and worst of 20 scrapes.
 * No target is set by the issue; the figures say whether scraping every 15 s is cheap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChatServer } from '../../bot/http.ts';
import { createPromMetrics } from '../../bin/cli/metrics.ts';
import { TestClock } from '../../core/clock.ts';
import { reports, type PeerKind } from '../../core/index.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
} from '../../core/store/index.ts';

const ALERTS = Number(process.env.BENCH_ALERTS ?? 20_000);
const out = (s: string) => process.stdout.write(`${s}\n`);
const load = () => `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`;

const dir = mkdtempSync(join(tmpdir(), 'smartlic-bench-metrics-'));
const h = openDatabase({ path: join(dir, 'db.sqlite') });
try {
  await migrateToLatest(h.db);
  const clock = new TestClock('2026-11-28T12:00:00Z');
  const repos = createRepositories(h.db, SecretBox.random(), clock);
  const rules = [
    'authorization-expiry',
    'registration-expiry',
    'insufficient-licenses',
    'cluster-unreachable',
    'token-expiry',
    'sync-failing',
  ] as const;
  const severities = ['info', 'warning', 'critical'] as const;
  const candidates = Array.from({ length: ALERTS }, (_, i) => ({
    rule: rules[i % rules.length]!,
    dedupeKey: `bench:${i}`,
    severity: severities[i % 3]!,
    entity: { kind: 'cluster' as const, id: `c${i}`, name: `cluster-${i}` },
    scope: 'global' as const,
    title: `bench alert ${i}`,
    facts: {},
  }));
  await repos.alerts.apply('global', candidates, clock.now());
  for (let i = 0; i < 500; i++) {
    await repos.notifications.enqueue(i % 2 ? 'slack' : 'webex', `C${i % 7}`, 'post', {
      reply: { status: 'ok', title: 'x', blocks: [] },
    });
  }

  const prom = createPromMetrics({ counts: () => reports.operationalCounts(h.db) });
  // 1. Event cost.
  const peers: PeerKind[] = ['cssm', 'satellite', 'cucm', 'cuc', 'cer'];
  const codes = ['200', '200', '200', '201', '404', '429', '503', 'network_error'];
  const N = 1_000_000;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    prom.metrics.record({ kind: 'http', peer: peers[i % 5]!, code: codes[i % 8]!, ms: i % 900 });
  }
  const perEvent = ((performance.now() - t0) * 1e6) / N;
  out(`record(): ${perEvent.toFixed(0)} ns per http event (${N} events; ${load()})`);

  // 2. Scrapes over HTTP.
  const server = await startChatServer({ metrics: prom.route }, '127.0.0.1', 0);
  try {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      const r = await fetch(`${server.url}/metrics`);
      const text = await r.text();
      times.push(performance.now() - t);
      bytes = text.length;
      if (!text.includes('smartlic_open_alerts{')) throw new Error('no open alert gauge');
    }
    times.sort((a, b) => a - b);
    out(
      `GET /metrics with ${ALERTS} open alerts and 500 queued messages: median ${times[10]!.toFixed(1)} ms, worst ${times[19]!.toFixed(1)} ms, ${Math.round(bytes / 1024)} KB (${load()})`,
    );
    out(`RSS ${Math.round(process.memoryUsage().rss / 1048576)} MB`);
  } finally {
    await server.close();
  }
} finally {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
}
