/**
 * Benchmark of core/domain/allocation.ts: the real `allocate` on seeded synthetic virtual
 * accounts (nothing faked). 500 VAs own every license type in random quantities; 10k, 100k
 * and 1M requests of random type, mode and count are spread over them in shuffled order, and
 * `allocate` runs once per VA. Target: 100k requests in under 200 ms in total.
 *
 * Run: `npm run bench allocation` or `npx tsx test/bench/allocation.bench.ts`.
 */
import { LICENSE_TYPE_IDS } from '../../core/domain/catalog.ts';
import type { RequestMode } from '../../core/domain/catalog.ts';
import { allocate } from '../../core/domain/allocation.ts';
import type { AllocationInput, LicenseRequest } from '../../core/domain/allocation.ts';

const VAS = 500;
const TARGET_MS = 200;
const SIZES = [
  { requests: 10_000, runs: 15 },
  { requests: 100_000, runs: 9 },
  { requests: 1_000_000, runs: 3 },
] as const;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function build(total: number, seed: number): AllocationInput[] {
  const rnd = mulberry32(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const perVa: LicenseRequest[][] = Array.from({ length: VAS }, () => []);
  for (let k = 0; k < total; k++) {
    const mode: RequestMode = rnd() < 0.8 ? 'Enterprise' : 'HCS';
    perVa[int(0, VAS - 1)]!.push({
      id: `req-${k.toString(36)}`,
      type: LICENSE_TYPE_IDS[int(0, LICENSE_TYPE_IDS.length - 1)]!,
      count: int(1, 50),
      mode,
    });
  }
  // Average demand per type and VA; owning 0–120 % of it leaves some shortages and some slack.
  const meanDemand = (total / VAS / LICENSE_TYPE_IDS.length) * 25.5;
  return perVa.map((requests) => {
    for (let i = requests.length - 1; i > 0; i--) {
      const j = int(0, i);
      [requests[i], requests[j]] = [requests[j]!, requests[i]!];
    }
    const entitlements = LICENSE_TYPE_IDS.map((type) => ({
      type,
      quantity: int(0, Math.ceil(meanDemand * 1.2)),
    }));
    return { entitlements, requests };
  });
}

function runOnce(inputs: AllocationInput[]): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const start = performance.now();
  let sink = 0;
  for (const input of inputs) sink += allocate(input).allocations.length;
  const ms = performance.now() - start;
  if (sink < 0) throw new Error('unreachable');
  return ms;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const warm = build(10_000, 7);
for (let i = 0; i < 20; i++) runOnce(warm);

const rows: { requests: number; ms: number }[] = [];
for (const { requests, runs } of SIZES) {
  const inputs = build(requests, 42 + requests);
  const times: number[] = [];
  for (let r = 0; r < runs; r++) times.push(runOnce(inputs));
  rows.push({ requests, ms: median(times) });
}

const pad = (s: string, w: number): string => s.padStart(w);
console.log(`allocate(): ${VAS} VAs, one call per VA, median of runs`);
console.log(
  `${pad('requests', 10)} ${pad('total ms', 10)} ${pad('ns/request', 11)} ${pad('time ×', 8)} ${pad('ns/req ×', 9)}`,
);
rows.forEach((row, i) => {
  const prev = i > 0 ? rows[i - 1] : undefined;
  const nsPer = (row.ms * 1e6) / row.requests;
  const growth = prev ? (row.ms / prev.ms).toFixed(2) : '-';
  const perGrowth = prev ? (nsPer / ((prev.ms * 1e6) / prev.requests)).toFixed(2) : '-';
  console.log(
    `${pad(row.requests.toLocaleString('en-US'), 10)} ${pad(row.ms.toFixed(1), 10)} ${pad(nsPer.toFixed(0), 11)} ${pad(growth, 8)} ${pad(perGrowth, 9)}`,
  );
});
const at100k = rows.find((r) => r.requests === 100_000)!;
const pass = at100k.ms < TARGET_MS;
console.log(
  `${pass ? 'PASS' : 'FAIL'}: 100k requests in ${at100k.ms.toFixed(1)} ms (target < ${TARGET_MS} ms)`,
);
if (!pass) process.exitCode = 1;
