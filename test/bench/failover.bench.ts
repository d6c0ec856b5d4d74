/**
 * Failover benchmark (`npm run bench failover`): two `smartlic serve` processes on one
 * database, the Slack adapter of each on a fake Slack (test/fakes) in this process, alert
 * delivery running while the leader is killed. BENCH_KILLS times (20): find the leader through
 * /healthz, wait until Slack has taken its next post (while delivery runs: its answer is held,
 * so the kill lands "in doubt"), `kill -9` it, time until the other says it leads, start a new
 * follower in the dead one's place. Prints each failover with the RSS of every instance (the
 * process, from /proc), then min / p50 / max, and checks that every alert message arrived
 * exactly once across all the kills (one top-level post per alert, each delivery key once, as
 * many as the database recorded, none unsent). Stops by itself; every process it started is
 * killed at the end.
 *
 * The database: PostgreSQL when DB is a postgres:// URL, or else SMARTLIC_TEST_PG is set (a
 * fresh database of that server, test/support/pg.ts); otherwise a temp SQLite file. The
 * election: BENCH_ELECTION (advisory | lease), else the store's default (advisory on
 * PostgreSQL, lease on SQLite). Lease TTL and heartbeat are the defaults (15 s, 5 s) unless
 * SMARTLIC_LEADER_TTL_MS / SMARTLIC_LEADER_HEARTBEAT_MS are set.
 *
 * Alerts come the way they do in production: a real `smartlic start --once` provisions the
 * emulator's lab, the emulator (restored here from the lab's files) moves its clock on, and a
 * real `smartlic sync` process writes the alert events; BENCH_RAISE_EVERY kills (5) the
 * emulator moves on 30 more days and another sync raises more.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { labPaths } from '../../bin/cli/lab.ts';
import { openStore } from '../../core/store/index.ts';
import { startEmulator, type JournalEntry, type LocalEmulator } from '../../emulator/index.ts';
import { startFakeSlack } from '../fakes/fake-slack.ts';
import { TEST_PG_URL, extraTestDatabaseUrl } from '../support/pg.ts';

const KILLS = Number(process.env.BENCH_KILLS ?? 20);
const RAISE_EVERY = Number(process.env.BENCH_RAISE_EVERY ?? 5);
const CHANNEL = 'C0BENCH';
const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'smartlic-failover-bench-'));
const out = (s: string) => process.stdout.write(`${s}\n`);
/** Progress on stderr (BENCH_VERBOSE=1): where a slow machine spends its time. */
const step = (s: string) => {
  if (process.env.BENCH_VERBOSE) process.stderr.write(`[${new Date().toISOString()}] ${s}\n`);
};
const load = () => loadavg()[0]!.toFixed(1);
const isPg = (u: string | undefined) => u !== undefined && /^postgres(ql)?:\/\//.test(u);

const url = isPg(process.env.DB)
  ? process.env.DB
  : TEST_PG_URL !== undefined
    ? await extraTestDatabaseUrl('failover_bench')
    : undefined;
const path = !isPg(process.env.DB) && process.env.DB ? process.env.DB : join(dir, 'bench.db');
const election = process.env.BENCH_ELECTION;
const dbEnv: Record<string, string> = url
  ? { SMARTLIC_DB: path, SMARTLIC_DATABASE_URL: url, SMARTLIC_SECRET_KEY: 'cd'.repeat(32) }
  : { SMARTLIC_DB: path };
const shown = url ? url.replace(/:[^:@/]*@/, ':[redacted]@') : path;

function rssMb(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

function run(args: string[]): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, ['bin/smartlic.js', ...args], {
    cwd: root,
    env: { ...process.env, SMARTLIC_LOG_LEVEL: 'warn', ...dbEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, err })));
}

interface Instance {
  id: string;
  child: ChildProcess;
  http: string;
}

const slack = await startFakeSlack();
const live: Instance[] = [];
let emu: LocalEmulator | undefined;
let n = 0;
const config = join(dir, 'serve.yaml');
// No scheduled sync (the bench raises alerts itself); delivery polls often, a message a second.
writeFileSync(
  config,
  'sync:\n  enabled: false\nbot:\n  notify:\n    pollMs: 500\n    channelIntervalMs: 300\n',
);

function serve(): Promise<Instance> {
  const id = `i${++n}`;
  const child = spawn(process.execPath, ['bin/smartlic.js', 'serve'], {
    cwd: root,
    env: {
      ...process.env,
      ...dbEnv,
      SMARTLIC_CONFIG: config,
      SMARTLIC_HTTP_PORT: '0',
      SMARTLIC_LOG_LEVEL: 'warn',
      ...(election ? { SMARTLIC_LEADER_ELECTION: election } : {}),
      SMARTLIC_INSTANCE_ID: id,
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

async function health(i: Instance): Promise<{ leader: boolean; election: string } | undefined> {
  try {
    const r = await fetch(`${i.http}/healthz`, { signal: AbortSignal.timeout(2000) });
    return ((await r.json()) as { leader?: { leader: boolean; election: string } }).leader;
  } catch {
    return undefined;
  }
}

/** The emulator's clock moves `days` on; a `smartlic sync` process writes the alerts it raises. */
async function raiseAlerts(days: number): Promise<void> {
  await fetch(`${emu!.baseUrl}/__emulator/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advance: `P${days}D` }),
  });
  const r = await run(['sync']);
  if (r.code !== 0 && r.code !== 1) throw new Error(`sync exited ${r.code}: ${r.err}`);
}

// Stopped from outside (a timeout): the instances it started go with it.
process.once('SIGTERM', () => {
  for (const i of live) i.child.kill('SIGKILL');
  process.exit(143);
});

const inChannel = () => slack.messages.filter((m) => m.channel === CHANNEL);
const times: number[] = [];
let inDoubt = 0;
let electionName = '?';
try {
  step('start --once');
  const prep = await run(['start', '--once']);
  if (prep.code !== 0) throw new Error(`start --once exited ${prep.code}: ${prep.err}`);
  const paths = labPaths(path);
  const meta = JSON.parse(readFileSync(paths.meta, 'utf8')) as {
    port: number;
    scenario: string;
    seed: number;
    start: string;
    offsetMs: number;
  };
  emu = await startEmulator({
    port: meta.port,
    scenario: meta.scenario,
    seed: meta.seed,
    now: meta.start,
    replay: readFileSync(paths.journal, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as JournalEntry),
    resumeAt: Date.now() + meta.offsetMs,
  });
  const setup = await openStore({ path, url });
  try {
    await setup.db
      .insertInto('channel_subscriptions')
      .values({
        platform: 'slack',
        channel_id: CHANNEL,
        filters: '{}',
        created_at: new Date().toISOString(),
      })
      .execute();
  } finally {
    await setup.close();
  }
  step('two instances');
  await serve();
  await serve();
  // Each post is answered 1 s late: the kill after Slack took one lands before it is recorded.
  slack.slowPosts(1000);
  step('raising alerts');
  await raiseAlerts(180);
  step('alerts raised');
  // The leader's first post: from then on delivery runs while the kills land.
  await slack.waitFor(() => inChannel().length > 0, 120_000);
  for (let k = 0; k < KILLS; k++) {
    if (k > 0 && k % RAISE_EVERY === 0) await raiseAlerts(30);
    let leader: Instance | undefined;
    for (let t = 0; t < 400 && !leader; t++) {
      for (const i of live) {
        const h = await health(i);
        if (h?.leader) {
          leader = i;
          electionName = h.election;
        }
      }
      if (!leader) await new Promise((r) => setTimeout(r, 100));
    }
    if (!leader) throw new Error('nobody leads');
    step(`kill ${k + 1}: ${leader.id} leads`);
    // Mid-delivery when there is delivery: right after Slack took the next post (10 s at most).
    const before = inChannel().length;
    const posted = await slack
      .waitFor(() => inChannel().length > before, 10_000)
      .then(
        () => true,
        () => false,
      );
    if (posted) inDoubt++;
    const rss = live.map((i) => `${i.id}${i === leader ? '*' : ''} ${rssMb(i.child.pid)} MB`);
    const other = live.find((i) => i !== leader)!;
    leader.child.kill('SIGKILL');
    const t0 = performance.now();
    live.splice(live.indexOf(leader), 1);
    while (!(await health(other))?.leader) await new Promise((r) => setTimeout(r, 50));
    const ms = Math.round(performance.now() - t0);
    times.push(ms);
    out(
      `  kill ${k + 1}: ${leader.id} → ${other.id} leads after ${ms} ms${posted ? ' (mid-delivery)' : ''}; RSS ${rss.join(', ')} (load ${load()})`,
    );
    step('new follower');
    await serve();
  }
  const s = [...times].sort((a, b) => a - b);
  const p = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  out(
    `failover over ${KILLS} kills, 2 instances, ${electionName} election on ${url ? 'PostgreSQL' : 'SQLite'} (${shown}): min ${s[0]} ms, p50 ${p(0.5)} ms, max ${s.at(-1)} ms; ${inDoubt} kills mid-delivery (load ${load()})`,
  );

  step('draining');
  // Delivery drains on the last leader; then exactly once, across every kill.
  slack.slowPosts(0);
  const drained = Date.now() + 180_000;
  const unsent = async () => {
    const h = await openStore({ path, url, readonly: true });
    try {
      const r = await h.db
        .selectFrom('notify_outbox')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      const m = await h.db
        .selectFrom('notify_messages')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('message_ref', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(r.n) + Number(m.n);
    } finally {
      await h.close();
    }
  };
  while ((await unsent()) > 0 && Date.now() < drained)
    await new Promise((r) => setTimeout(r, 1000));
  const ro = await openStore({ path, url, readonly: true });
  try {
    const told = (
      await ro.db
        .selectFrom('notify_messages')
        .select('alert_id')
        .where('platform', '=', 'slack')
        .where('channel_id', '=', CHANNEL)
        .execute()
    ).map((r) => Number(r.alert_id));
    const tops = inChannel().filter((m) => !m.threadTs);
    const ids = tops.map((m) =>
      Number(/alert\*?[^0-9]{0,40}?(\d+)/.exec(JSON.stringify(m.blocks))?.[1]),
    );
    const keys = inChannel().map((m) => m.metadata?.event_payload.delivery_key);
    const problems: string[] = [];
    if ((await unsent()) > 0) problems.push(`${await unsent()} still queued or unsent after 180 s`);
    if (new Set(ids).size !== ids.length) problems.push('an alert was posted twice');
    if (!keys.every(Boolean) || new Set(keys).size !== keys.length)
      problems.push('a delivery key was used twice (or is missing)');
    const a = [...ids].sort((x, y) => x - y).join(',');
    const b = [...told].sort((x, y) => x - y).join(',');
    if (a !== b)
      problems.push(`posted alerts (${ids.length}) differ from recorded (${told.length})`);
    out(
      `delivery: ${tops.length} alert messages (${inChannel().length} posts with threads) across ${KILLS} kills, ${told.length} recorded: ${problems.length === 0 ? 'each exactly once' : `NOT exactly once: ${problems.join('; ')}`}`,
    );
    if (problems.length > 0) process.exitCode = 1;
  } finally {
    await ro.close();
  }
} finally {
  for (const i of live) i.child.kill('SIGKILL');
  await emu?.close();
  await slack.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
