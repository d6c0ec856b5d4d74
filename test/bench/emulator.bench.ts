/**
 * Emulator benchmark (standalone: `node --import tsx test/bench/emulator.bench.ts`, or
 * `npm run bench emulator`). The emulator runs as a child process (`smartlic emulator`) so
 * its RSS and CPU are its own. Measures:
 * - license-page requests per second at zero injected latency, 16 keep-alive clients
 *   (undici Pool), ~5 s — target ≥ 2,000/s;
 * - `--scale 1000` (≈12,500 clusters, ≈10,000 of them managed): time to the ready line —
 *   target < 10 s — and RSS after load and after serving — target < 300 MB.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const DURATION_MS = Number(process.env.EMU_BENCH_MS ?? 5000);
const CONCURRENCY = 16;

interface Ready {
  baseUrl: string;
  cloud: { tokenUrl: string; apiBase: string };
  clients: { for: string; account: string; clientId: string; clientSecret: string }[];
}

async function startChild(
  args: string[],
): Promise<{ child: ChildProcess; ready: Ready; ms: number }> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/smartlic.js'), 'emulator', '--port', '0', ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (c) => reject(new Error(`emulator exited with ${c}`)));
  });
  return { child, ready: JSON.parse(line) as Ready, ms: performance.now() - t0 };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function throughput(
  ready: Ready,
  vas: string[],
): Promise<{ rps: number; errors: number; p99: number }> {
  const c = ready.clients.find((x) => x.for === 'cloud')!;
  const tr = await fetch(ready.cloud.tokenUrl, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: c.clientId,
      client_secret: c.clientSecret,
    }),
  });
  const token = ((await tr.json()) as { access_token: string }).access_token;
  const url = new URL(ready.cloud.apiBase);
  const pool = new Pool(url.origin, { connections: CONCURRENCY, pipelining: 1 });
  const path = `${url.pathname}/v1/accounts/${c.account}/licenses`;
  const body = JSON.stringify({ virtualAccounts: vas, limit: 50, offset: 0 });
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json',
  };
  let done = 0;
  let errors = 0;
  const lat: number[] = [];
  const end = performance.now() + DURATION_MS;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      const r = await pool.request({ path, method: 'POST', headers, body });
      await r.body.text();
      if (r.statusCode === 200) done++;
      else errors++;
      lat.push(performance.now() - t);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const secs = (performance.now() - t0) / 1000;
  await pool.close();
  lat.sort((a, b) => a - b);
  return { rps: done / secs, errors, p99: lat[Math.floor(lat.length * 0.99)] ?? NaN };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

let failed = false;
const verdict = (ok: boolean): string => {
  if (!ok) failed = true;
  return ok ? 'PASS' : 'FAIL';
};

// 1. Demo scenario, one VA's license page.
{
  const { child, ready } = await startChild(['--scenario', 'demo', '--frozen']);
  await throughput(ready, ['va-acme']); // warm-up is the first run; measure the second
  const r = await throughput(ready, ['va-acme']);
  console.log(
    `license page (demo, 1 VA): ${r.rps.toFixed(0)} req/s, p99 ${r.p99.toFixed(1)} ms, ${r.errors} errors, ${CONCURRENCY} clients — target ≥ 2000/s: ${verdict(r.rps >= 2000 && r.errors === 0)}`,
  );
  await stop(child);
}

// 2. --scale 1000: load time, RSS, and the license page of a 50-VA smart account.
{
  const { child, ready, ms } = await startChild(['--scale', '1000', '--frozen']);
  const rssLoaded = rssMb(child.pid!);
  const st = (await (await fetch(`${ready.baseUrl}/__emulator/state`)).json()) as {
    clusters: unknown[];
    customers: unknown[];
  };
  console.log(`--scale 1000: ${st.customers.length} customers, ${st.clusters.length} clusters`);
  console.log(
    `--scale 1000 load (spawn to ready line): ${(ms / 1000).toFixed(2)} s — target < 10 s: ${verdict(ms < 10_000)}`,
  );
  const r = await throughput(ready, []);
  const rssAfter = rssMb(child.pid!);
  console.log(
    `license page (scale 1000, all 50 VAs of one SA, limit 50): ${r.rps.toFixed(0)} req/s, p99 ${r.p99.toFixed(1)} ms, ${r.errors} errors`,
  );
  console.log(
    `--scale 1000 RSS: ${rssLoaded.toFixed(0)} MB after load, ${rssAfter.toFixed(0)} MB after serving — target < 300 MB: ${verdict(Math.max(rssLoaded, rssAfter) < 300)}`,
  );
  await stop(child);
}

process.exit(failed ? 1 : 0);
