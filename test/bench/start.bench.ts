/**
 * `npm start` benchmark (`npm run bench start`): spawns `node bin/smartlic.js start --port 0`
 * (what `npm start` runs) on a fresh temp database, non-interactively, and measures
 *
 * - the time from spawning to the ready JSON line, for a first start (emulator, provisioning,
 *   import, the lab's 90-day past synced once a simulated day, first full sync, site build;
 *   target under 60 s), a second start on the same database (lab restored from its journal,
 *   no import, no past; target under 15 s), and a first start without the past
 *   (SMARTLIC_LAB_HISTORY_DAYS=0, what a first start cost before the lab had one);
 * - the RSS of the running process and of its children (from /proc, 5 s after ready).
 *
 * Figures are printed, not asserted. Environment: BENCH_RUNS (1) starts of each kind.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const root = fileURLToPath(new URL('../../', import.meta.url));
const out = (s: string) => process.stdout.write(`${s}\n`);

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function children(pid: number): number[] {
  const all: number[] = [];
  const walk = (p: number) => {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === p) {
          all.push(Number(d));
          walk(Number(d));
        }
      } catch {
        // gone
      }
    }
  };
  walk(pid);
  return all;
}

async function once(
  db: string,
  site: string,
  env: Record<string, string> = {},
): Promise<{ ms: number; rss: number; kids: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['bin/smartlic.js', 'start', '--port', '0'], {
    cwd: root,
    env: {
      ...process.env,
      SMARTLIC_DB: db,
      SMARTLIC_SITE_OUT: site,
      SMARTLIC_LOG_LEVEL: 'warn',
      ASTRO_TELEMETRY_DISABLED: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      if (l.startsWith('{"ready":true')) resolve();
    });
    child.once('exit', (c) => reject(new Error(`smartlic start exited with ${c}`)));
  });
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 5000));
  const pid = child.pid!;
  const rss = rssKb(pid);
  const kids = children(pid).reduce((s, p) => s + rssKb(p), 0);
  child.kill('SIGTERM');
  await exited;
  return { ms, rss, kids };
}

const dir = mkdtempSync(join(tmpdir(), 'smartlic-bench-start-'));
try {
  for (let i = 0; i < RUNS; i++) {
    const db = join(dir, `run${i}.db`);
    const site = join(dir, `site${i}`);
    const kinds: { kind: string; target: number; db: string; env: Record<string, string> }[] = [
      { kind: 'first start (90-day past)', target: 60, db, env: {} },
      { kind: 'second start', target: 15, db, env: {} },
      {
        kind: 'first start without the past',
        target: 15,
        db: join(dir, `run${i}-nopast.db`),
        env: { SMARTLIC_LAB_HISTORY_DAYS: '0' },
      },
    ];
    for (const k of kinds) {
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
      const r = await once(k.db, site, k.env);
      out(
        `${k.kind}: ready in ${(r.ms / 1000).toFixed(1)} s (target < ${k.target} s; load before ${load}); RSS ${(r.rss / 1024).toFixed(0)} MB, children ${(r.kids / 1024).toFixed(0)} MB`,
      );
    }
  }
  out(`load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
