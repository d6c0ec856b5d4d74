/**
 * Chat benchmark (`npm run bench bot`): how fast `smartlic bot` acknowledges and answers Slack
 * commands, and how much memory it holds (issue 23 targets: answer p99 ≤ 500 ms, ack p99 ≤
 * 100 ms, idle and during a full sync in another process, RSS ≤ 300 MB, at scale 1000).
 *
 * The emulator at `--scale` BENCH_SCALE (1000) in its own process; every account provisioned,
 * every smart-licensed cluster stored and a first full sync run (not timed). Then the real
 * `smartlic bot` in its own process (Bolt HTTP receiver, command workers) against a fake Slack
 * on loopback, and signed read commands from BENCH_CONC (8) concurrent users, each waiting for
 * its answer (response_url) before sending the next:
 *   1. idle: BENCH_N (1000) commands;
 *   2. BENCH_SYNC_RUNS (2) times, while `smartlic sync --full` of the same database runs in
 *      another process (as many commands as fit in the sync).
 * Printed per phase: p50 / p99 / max from request to ack (the HTTP answer Slack waits 3 s for)
 * and to the answer, per command answer p50 / p99 and ack p99, the bot's CPU seconds and CPU
 * per command (the honest figure on a loaded machine; the load average is printed beside), the
 * bot process's RSS (at rest after start, peak per phase, peak overall), and the whole run's
 * length. On a quiet 2-core machine the defaults take about 3 minutes, set-up included.
 * Environment: BENCH_SCALE, BENCH_N, BENCH_CONC, BENCH_SYNC_RUNS; BENCH_PHASES=idle (or sync)
 * runs one phase; BENCH_COMMANDS="status;clusters --failed" sends only those commands;
 * BENCH_BOT_NODE_ARGS adds Node options to the bot process (e.g. "--cpu-prof
 * --cpu-prof-dir=/tmp/p": a profile per thread); BENCH_KEEP=1 keeps the database and prints it
 * with the emulator's port; BENCH_DB=<that path> BENCH_EMULATOR_PORT=<that port> runs on it
 * without the set-up (the emulator is deterministic: its clusters are where the kept database
 * says).
 * Bounded on a loaded machine: each phase stops after BENCH_PHASE_S (90) seconds, and a sync is
 * ended (SIGTERM, said in the output) after BENCH_SYNC_CAP_S (90) seconds; an answer not
 * received within 60 s is counted as lost, not waited for.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBenchEstate, seedChatBenchEstate } from './chat-bench-estate.ts';
import { child } from './cli-child.ts';
import { slashCommandBody, startFakeSlack } from '../fakes/fake-slack.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1000);
const N = Number(process.env.BENCH_N ?? 1000);
const CONC = Number(process.env.BENCH_CONC ?? 8);
const PHASE_S = Number(process.env.BENCH_PHASE_S ?? 90);
const SYNC_CAP_S = Number(process.env.BENCH_SYNC_CAP_S ?? 90);
/** A database kept by an earlier run (BENCH_KEEP=1 prints it): no set-up; never removed. */
const KEPT_DB = process.env.BENCH_DB || undefined;
/** The emulator's port; with BENCH_DB, the one of the run that made it (its clusters name it). */
const EMULATOR_PORT = process.env.BENCH_EMULATOR_PORT || undefined;
/** Which phases run: `idle`, `sync` (BENCH_PHASES=idle runs only the first). */
const SYNC_RUNS = Number(process.env.BENCH_SYNC_RUNS ?? 2);
const PHASES = new Set((process.env.BENCH_PHASES ?? 'idle,sync').split(',').map((p) => p.trim()));
const out = (s: string) => process.stdout.write(`${s}\n`);

/** CPU seconds (user + system, every thread) the process has used: /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return NaN;
  }
}
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;

async function main(): Promise<void> {
  const t0 = performance.now();
  const emu = child(
    [
      'emulator',
      '--scale',
      String(SCALE),
      '--frozen',
      ...(EMULATOR_PORT ? ['--port', EMULATOR_PORT] : []),
    ],
    { ...process.env },
  );
  const ready = JSON.parse((await emu.line(/^\{.*\}$/))[0]) as {
    cloud: { tokenUrl: string; apiBase: string; devicesApiBase: string };
    onprem: { tokenUrl: string; apiBase: string };
    admin: string;
    clients: { for: 'cloud' | 'onprem'; account: string; clientId: string; clientSecret: string }[];
  };
  const dir = mkdtempSync(join(tmpdir(), 'smartlic-botbench-'));
  const dbPath = KEPT_DB ?? join(dir, 'smartlic.db');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SMARTLIC_DB: dbPath,
    SMARTLIC_SECRET_KEY: 'bot bench passphrase',
    SMARTLIC_EMULATOR: 'false',
    SMARTLIC_CSSM_TOKEN_URL: ready.cloud.tokenUrl,
    SMARTLIC_CSSM_API_BASE: ready.cloud.apiBase,
    // The device list's base too: provisioning refuses URLs that would reach two CSSMs.
    SMARTLIC_CSSM_DEVICES_API_BASE: ready.cloud.devicesApiBase,
    SMARTLIC_LOG_LEVEL: 'error',
    SMARTLIC_HTTP_CONCURRENCY: '32',
  };
  let bot: ReturnType<typeof child> | undefined;
  const slack = await startFakeSlack();
  try {
    // ---- set-up (not timed): provision, store clusters, first full sync; or the kept database
    const { h, repos, services, accounts } = KEPT_DB
      ? await openBenchEstate(env, KEPT_DB)
      : await seedChatBenchEstate(ready, env, dbPath, { scale: SCALE, t0, out });
    if (KEPT_DB) out(`set-up: the kept database ${KEPT_DB} (${accounts.length} accounts)`);
    const sampleCluster = (await repos.clusters.list())[0]!.name;
    const sampleCustomer = (await repos.customers.list())[0]!.name;
    const va = (await repos.virtualAccounts.listAll())[0]!;
    const vaLabel = `${accounts.find((a) => a.id === va.smartAccountId)!.domain}/${va.name}`;
    await services.close();
    await h.close();

    // ---- the bot in its own process
    bot = child(
      ['bot'],
      {
        ...env,
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_SIGNING_SECRET: slack.signingSecret,
        SLACK_API_URL: slack.apiUrl,
        SMARTLIC_HTTP_PORT: '0',
      },
      (process.env.BENCH_BOT_NODE_ARGS ?? '').split(' ').filter(Boolean),
    );
    const url = `${(await bot.line(/listening on (http:\/\/\S+)/))[1]!}/slack/events`;
    const pid = bot.proc.pid!;
    // Let the worker finish starting, then the bot's RSS with nothing to do.
    await new Promise((r) => setTimeout(r, 1000));
    const idleRss = rssMb(pid);
    out(`bot process RSS at rest after start: ${idleRss.toFixed(0)} MB`);
    let peak = idleRss;
    let phasePeak = idleRss;
    const rssTimer = setInterval(() => {
      const now = rssMb(pid);
      peak = Math.max(peak, now);
      phasePeak = Math.max(phasePeak, now);
    }, 200);
    // BENCH_COMMANDS="status;clusters --failed" runs only those (to see what one costs).
    const chosen = process.env.BENCH_COMMANDS?.split(';').map((c) => c.trim());
    const commands = chosen?.filter(Boolean).length
      ? chosen.filter(Boolean)
      : [
          'whoami',
          `cluster ${sampleCluster}`,
          'vas',
          'accounts',
          'jobs',
          'alerts',
          `usage ${vaLabel}`,
          'status',
          'clusters --failed',
          `tokens ${vaLabel}`,
          'clusters',
          `status "${sampleCustomer}"`,
        ];

    const run = async (label: string, until?: () => boolean) => {
      const acks: number[] = [];
      const answers: number[] = [];
      const perVerb = new Map<string, { acks: number[]; answers: number[] }>();
      let sent = 0;
      let lost = 0;
      const phaseEnd = performance.now() + PHASE_S * 1000;
      const user = async (u: number) => {
        while (sent < N && !(until?.() ?? false) && performance.now() < phaseEnd) {
          const text = commands[sent++ % commands.length]!;
          const responseUrl = slack.responseUrl();
          const id = responseUrl.split('/').pop()!;
          const body = slashCommandBody({
            text,
            user: `UBENCH${u}`,
            channel: 'CBENCH',
            responseUrl,
          });
          const t = performance.now();
          const r = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', ...slack.sign(body) },
            body,
          });
          await r.arrayBuffer();
          const ack = performance.now() - t;
          acks.push(ack);
          if (r.status !== 200) throw new Error(`ack ${r.status}`);
          // The verb and its scope (`status <customer>` apart from `status`).
          const v = text.startsWith('status "')
            ? 'status <customer>'
            : text.startsWith('cluster ') || text.startsWith('usage ') || text.startsWith('tokens ')
              ? text.split(' ')[0]!
              : text;
          const pv = perVerb.get(v) ?? { acks: [], answers: [] };
          perVerb.set(v, pv);
          pv.acks.push(ack);
          try {
            await slack.waitFor(() => slack.responses.some((x) => x.id === id), 60_000);
          } catch {
            lost++;
            continue;
          }
          const ms = performance.now() - t;
          answers.push(ms);
          pv.answers.push(ms);
        }
      };
      const t = performance.now();
      const since = Date.now();
      const cpu0 = cpuSeconds(pid);
      const load0 = load();
      await Promise.all(Array.from({ length: CONC }, (_, u) => user(u)));
      const health = (await (
        await fetch(`${url.replace(/\/slack\/events$/, '')}/healthz?since=${since}`)
      ).json()) as {
        acks: { n: number; p50Ms: number; p99Ms: number; maxMs: number };
        eventLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number };
      };
      const cpu = cpuSeconds(pid) - cpu0;
      out(
        `${label}: ${acks.length} commands in ${((performance.now() - t) / 1000).toFixed(1)} s, ${CONC} concurrent; bot CPU ${cpu.toFixed(1)} s (${((cpu / Math.max(1, acks.length)) * 1000).toFixed(0)} ms per command, the read-model thread's rounds included); load average ${load0} at start, ${load()} at end`,
      );
      out(`  request → ack:    ${fmt(acks)} (target p99 < 100 ms)`);
      out(
        `  ack measured in the bot (request in → ack written, ${health.acks.n}): p50 ${health.acks.p50Ms} ms, p99 ${health.acks.p99Ms} ms, max ${health.acks.maxMs} ms`,
      );
      out(
        `  the bot's listener thread, event-loop delay since its start: p50 ${health.eventLoopDelay.p50Ms} ms, p99 ${health.eventLoopDelay.p99Ms} ms, max ${health.eventLoopDelay.maxMs} ms`,
      );
      out(`  request → answer: ${fmt(answers)}`);
      out(
        `  bot RSS: peak ${phasePeak.toFixed(0)} MB in this phase, ${rssMb(pid).toFixed(0)} MB at its end`,
      );
      phasePeak = 0;
      if (lost > 0) out(`  ${lost} answers not received within 60 s`);
      out('  by command (n; answer p50 / p99; ack p99, ms):');
      for (const [v, x] of perVerb)
        out(
          `    ${v.padEnd(18)} n ${String(x.answers.length).padStart(4)}; answer ${pct(x.answers, 50).toFixed(0)} / ${pct(x.answers, 99).toFixed(0)}; ack p99 ${pct(x.acks, 99).toFixed(1)}`,
        );
    };

    // One or more full syncs of the whole database by another process (BENCH_SYNC_RUNS: more
    // commands answered during a sync, for a p99 of more than a few hundred).
    const syncPhase = async (k: number) => {
      const sync = child(['sync', '--full'], env);
      let syncDone = false;
      let capped = false;
      const syncStart = performance.now();
      const syncExit = new Promise((r) => sync.proc.once('exit', r));
      sync.proc.once('exit', () => (syncDone = true));
      // The sync is capped: on a machine shared with others it may not finish in any bound.
      const cap = setTimeout(() => {
        capped = true;
        sync.proc.kill('SIGTERM');
      }, SYNC_CAP_S * 1000);
      await run(`during full sync ${k} (other process)`, () => syncDone);
      await syncExit;
      clearTimeout(cap);
      out(
        `  the full sync ${capped ? `was ended after the ${SYNC_CAP_S} s cap` : 'took'} ${((performance.now() - syncStart) / 1000).toFixed(1)} s; load average ${load()}`,
      );
    };

    if (PHASES.has('idle')) await run('idle');
    if (PHASES.has('sync')) for (let k = 1; k <= SYNC_RUNS; k++) await syncPhase(k);
    clearInterval(rssTimer);
    out(`bot process RSS: peak ${peak.toFixed(0)} MB (target < 300 MB)`);
    out(
      `bench: ${((performance.now() - t0) / 1000).toFixed(0)} s in all; load average at the end ${load()}`,
    );
  } finally {
    bot?.proc.kill('SIGTERM');
    emu.proc.kill('SIGTERM');
    await slack.close();
    await new Promise((r) => setTimeout(r, 500));
    // BENCH_KEEP=1 keeps the database (its path and key are printed) to try commands on it.
    if (process.env.BENCH_KEEP === '1')
      out(
        `kept: SMARTLIC_DB=${dbPath} SMARTLIC_SECRET_KEY='bot bench passphrase'; again without the set-up: BENCH_DB=${dbPath} BENCH_EMULATOR_PORT=${new URL(ready.admin).port}`,
      );
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
