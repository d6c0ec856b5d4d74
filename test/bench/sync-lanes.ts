/**
 * What a sync benchmark prints about where a sync's time went (bench helper): the HTTP lanes
 * (one HttpClient per peer and origin, each with its own concurrency limit) read from the
 * services' client factory, and the accounts' step times (SyncService `timings` events).
 * Real: the services' own counters; nothing is faked.
 */
import type { HttpCounters } from '../../core/cssm/http.ts';
import type { Services } from '../../core/services/index.ts';
import type { SyncTimings } from '../../core/services/sync-types.ts';

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** One HTTP lane's counters (one HttpClient = one semaphore) and its concurrency limit. */
export interface Lane {
  c: HttpCounters;
  limit: number;
}

/** Every HTTP lane, read from the factory's clients. */
export function lanes(services: Services): Map<string, Lane> {
  const m = new Map<string, Lane>();
  const http = (
    services.clients as unknown as {
      http: Map<string, { counters: HttpCounters; concurrencyLimit: number }>;
    }
  ).http;
  for (const [k, h] of http)
    m.set(k.replace(/\|http:\/\/127\.0\.0\.1:\d+$/, ''), {
      c: h.counters,
      limit: h.concurrencyLimit,
    });
  return m;
}

export function laneDiff(a: Map<string, Lane>, b: Map<string, Lane>): Map<string, Lane> {
  const m = new Map<string, Lane>();
  for (const [k, v] of b) {
    const was = a.get(k)?.c;
    m.set(k, {
      limit: v.limit,
      c: {
        ...v.c,
        requests: v.c.requests - (was?.requests ?? 0),
        retries: v.c.retries - (was?.retries ?? 0),
        queuedMs: v.c.queuedMs - (was?.queuedMs ?? 0),
        busyMs: v.c.busyMs - (was?.busyMs ?? 0),
      },
    });
  }
  return m;
}

/**
 * Each lane over the phase: its bound (requests × latency ÷ limit), how long its slots were
 * held (÷ limit: the time the lane would take always full), the mean attempt (latency + the
 * emulator's work + this loop's delay in reading the answer), the mean wait for a slot, the
 * most in flight (peaks are since the lane was made), and its use of the wall time.
 */
export function describeLanes(ls: Map<string, Lane>, wallMs: number, latencyMs: number): string[] {
  const lines: string[] = [];
  for (const [name, { c, limit }] of ls) {
    if (c.requests === 0) continue;
    lines.push(
      `  lane ${name}: ${c.requests} requests, bound ${secs((c.requests * latencyMs) / limit)}; slots held ${secs(c.busyMs / limit)} (${((c.busyMs / (wallMs * limit)) * 100).toFixed(0)} % of ${limit} × wall), attempt mean ${(c.busyMs / c.requests).toFixed(0)} ms, queued mean ${(c.queuedMs / c.requests).toFixed(0)} ms, peak ${c.peakInFlight} in flight`,
    );
  }
  return lines;
}

/** The accounts' step times over a phase: sums, the longest account, the slots' use. */
export function describeTimings(ts: SyncTimings[], wallMs: number, slots: number): string[] {
  if (ts.length === 0) return [];
  const sum = (k: keyof Omit<SyncTimings, 'accountId' | 'domain'>) =>
    ts.reduce((n, t) => n + t[k], 0);
  const longest = ts.reduce((a, b) => (b.total > a.total ? b : a));
  const total = sum('total');
  return [
    `  account steps (summed over ${ts.length} accounts): lease ${secs(sum('lease'))}, fetch ${secs(sum('fetch'))}, check ${secs(sum('check'))}, tokens ${secs(sum('tokens'))}, write ${secs(sum('write'))} (event loop held), hooks ${secs(sum('hooks'))}; total ${secs(total)} = ${((total / (wallMs * slots)) * 100).toFixed(0)} % of ${slots} account slots × wall`,
    `  longest account ${longest.domain}: ${secs(longest.total)} (fetch ${secs(longest.fetch)}, write ${secs(longest.write)}, hooks ${secs(longest.hooks)})`,
  ];
}
