/**
 * Failover benchmark (`npm run bench failover`): two `smartlic serve` processes with
 * leader.election lease on one fresh database (DB, default a temp SQLite file), the Slack
 * adapter on a fake Slack (test/fakes) in this process. BENCH_KILLS times (20): find the
 * leader through /healthz, `kill -9` it, time until the other says it leads, start a new
 * follower in the dead one's place. Prints each failover, min / median / max, and the RSS of
 * each instance (the process and its command worker thread, from /proc, after it has run a
 * while). Stops by itself; every process it started is killed at the end.
 *
 * TTL and heartbeat are the defaults (15 s, 5 s: worst case 20 s) unless
 * SMARTLIC_LEADER_TTL_MS / SMARTLIC_LEADER_HEARTBEAT_MS are set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startFakeSlack } from '../fakes/fake-slack.ts';

const KILLS = Number(process.env.BENCH_KILLS ?? 20);
const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'smartlic-failover-bench-'));
const DB = process.env.DB ?? join(dir, 'bench.db');
const out = (s: string) => process.stdout.write(`${s}\n`);
const load = () => loadavg()[0]!.toFixed(1);

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

interface Instance {
  id: string;
  child: ChildProcess;
  http: string;
}

const slack = await startFakeSlack();
const live: Instance[] = [];
let n = 0;

function serve(): Promise<Instance> {
  const id = `i${++n}`;
  const child = spawn(process.execPath, ['bin/smartlic.js', 'serve'], {
    cwd: root,
    env: {
      ...process.env,
      ...(/^postgres/.test(DB) ? { SMARTLIC_DATABASE_URL: DB } : { SMARTLIC_DB: DB }),
      SMARTLIC_HTTP_PORT: '0',
      SMARTLIC_LOG_LEVEL: 'warn',
      SMARTLIC_LEADER_ELECTION: 'lease',
      SMARTLIC_INSTANCE_ID: id,
      SMARTLIC_SYNC_ENABLED: 'false',
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_API_URL: slack.apiUrl,
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (l) => {
      if (!l.startsWith('{"ready":true')) return;
      const inst = { id, child, http: (JSON.parse(l) as { http: string }).http };
      live.push(inst);
      resolve(inst);
    });
    child.once('exit', (c) => reject(new Error(`serve ${id} exited ${c} before ready`)));
  });
}

async function leads(i: Instance): Promise<boolean> {
  try {
    const r = await fetch(`${i.http}/healthz`, { signal: AbortSignal.timeout(2000) });
    return ((await r.json()) as { leader?: { leader: boolean } }).leader?.leader === true;
  } catch {
    return false;
  }
}

const times: number[] = [];
try {
  await serve();
  await serve();
  out(`failover over ${KILLS} kills, 2 instances, lease election, db ${DB}`);
  for (let k = 0; k < KILLS; k++) {
    let leader: Instance | undefined;
    for (let t = 0; t < 200 && !leader; t++) {
      for (const i of live) if (await leads(i)) leader = i;
      if (!leader) await new Promise((r) => setTimeout(r, 100));
    }
    if (!leader) throw new Error('nobody leads');
    if (k === 0 || k === KILLS - 1) {
      for (const i of live)
        out(
          `  RSS ${i.id} (${i === leader ? 'leader' : 'follower'}): ${rssMb(i.child.pid!)} MB (load ${load()})`,
        );
    }
    const other = live.find((i) => i !== leader)!;
    leader.child.kill('SIGKILL');
    const t0 = performance.now();
    live.splice(live.indexOf(leader), 1);
    while (!(await leads(other))) await new Promise((r) => setTimeout(r, 50));
    const ms = Math.round(performance.now() - t0);
    times.push(ms);
    out(`  kill ${k + 1}: ${leader.id} → ${other.id} leads after ${ms} ms (load ${load()})`);
    await serve();
  }
  const s = [...times].sort((a, b) => a - b);
  out(
    `failover ms: min ${s[0]} median ${s[Math.floor(s.length / 2)]} max ${s[s.length - 1]} (load ${load()})`,
  );
} finally {
  for (const i of live) i.child.kill('SIGKILL');
  await slack.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
