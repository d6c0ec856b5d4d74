/**
 * What a whole-estate chat answer costs the command thread when a read-model refresher feeds
 * it (issue 23; core/reports/read-model-refresher.ts, read-cache.ts fed mode): `status`,
 * `clusters`, `clusters --failed` and `alerts` through the real command layer (as
 * bin/cli/bot-worker.ts builds it), answered from snapshots that came over a real MessagePort.
 *
 * `BENCH_DB=<path> SMARTLIC_SECRET_KEY=<key> node --import tsx test/bench/chat-fed.bench.ts`
 * on a database kept by `BENCH_KEEP=1 npm run bench bot` (scale 1000 by default; its path and
 * key are printed). The refresher runs in this thread but is driven by hand (`round()`), so
 * its work is not in the asks' figures (in the bot it has a thread of its own); its own CPU
 * per round is printed apart. Per command, BENCH_N (40) asks of each kind:
 *   - quiet: nothing written (the snapshot is current; the cost is the version query + reply);
 *   - stale: a write (one cluster's updated_at moved) before each ask, no round: the answer is
 *     the last snapshot, labelled "As of";
 *   - fresh after a round: a write, a round, then the ask (the first ask decodes the snapshot).
 * Wall and CPU (process.cpuUsage: this thread's work, whatever the machine's load) p50 / p99.
 * `status "<first customer>"` is asked the same way: it is computed by each ask, on its scope.
 * The database is written (a cluster's updated_at): use a kept copy, not a real one.
 */
import { MessageChannel } from 'node:worker_threads';
import { loadavg } from 'node:os';
import { commandLayer } from '../../bin/cli/chat.ts';
import { openRuntime } from '../../bin/cli/runtime.ts';
import * as reports from '../../core/reports/index.ts';
import { createRepositories, openDatabase } from '../../core/store/index.ts';
import type { Actor } from '../../bot/commands/index.ts';

const N = Number(process.env.BENCH_N ?? 40);
const out = (s: string) => process.stdout.write(`${s}\n`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} / p99 ${pct(xs, 99).toFixed(1)} ms`;

async function main(): Promise<void> {
  const path = process.env.BENCH_DB;
  if (!path) throw new Error('set BENCH_DB to a database kept by `BENCH_KEEP=1 npm run bench bot`');
  const env = { ...process.env, SMARTLIC_DB: path, SMARTLIC_LOG_LEVEL: 'error' };
  const rt = await openRuntime({
    io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env, isTty: false },
    debug: false,
  });
  const refresherDb = openDatabase({ path, readonly: true, clock: rt.clock });
  const askerDb = openDatabase({ path, readonly: true, clock: rt.clock });
  const channel = new MessageChannel();
  const roundCpu: number[] = [];
  const refresher = new reports.ReadModelRefresher({
    db: refresherDb.db,
    clock: rt.clock,
    compute: (snap, now) =>
      reports.wholeEstateModels(
        snap,
        (filter, at) => createRepositories(snap, rt.secrets, rt.clock).alerts.list(filter, at),
        now,
      ),
    publish: (s) => {
      const { message, transfer } = reports.snapshotMessage(s);
      channel.port1.postMessage(message, transfer);
    },
  });
  const round = async () => {
    const c = process.cpuUsage();
    await refresher.round();
    const u = process.cpuUsage(c);
    roundCpu.push((u.user + u.system) / 1000);
    // Let the snapshots arrive on the other end of the port.
    await new Promise((r) => setTimeout(r, 20));
  };
  const cache = reports.readCache(askerDb.db);
  cache.attach(channel.port2);
  const layer = commandLayer(rt, askerDb.db);
  const viewer: Actor = { platform: 'slack', userId: 'UBENCH', channelId: 'CBENCH' };
  const clusterIds = (await rt.db.selectFrom('clusters').select('id').execute()).map((r) => r.id);
  let w = 0;
  const write = async () => {
    const id = clusterIds[w++ % clusterIds.length]!;
    await rt.db
      .updateTable('clusters')
      .set({ updated_at: new Date(rt.clock.now().getTime() + w).toISOString() })
      .where('id', '=', id)
      .execute();
  };
  const ask = async (command: string) => {
    const t = performance.now();
    const c = process.cpuUsage();
    const o = await layer.execute(command, viewer);
    const u = process.cpuUsage(c);
    if (o.reply.status === 'error') throw new Error(`${command}: ${o.reply.title}`);
    const asOf = o.reply.blocks.some((b) => b.kind === 'context' && b.text.startsWith('As of'));
    return { wall: performance.now() - t, cpu: (u.user + u.system) / 1000, asOf };
  };

  out(`chat answers fed by a refresher: ${clusterIds.length} clusters, load ${load()}`);
  await round();
  // `status <customer>` is not a whole-estate model: it computes its customer's scope each ask.
  const customer = (
    await rt.db.selectFrom('customers').select('name').orderBy('id').executeTakeFirst()
  )?.name;
  const asks = ['status', 'clusters', 'clusters --failed', 'alerts'];
  if (customer) asks.push(`status "${customer}"`);
  for (const command of asks) {
    const cases: Record<string, { wall: number[]; cpu: number[]; asOf: number }> = {};
    const add = (k: string, r: { wall: number; cpu: number; asOf: boolean }) => {
      const c = (cases[k] ??= { wall: [], cpu: [], asOf: 0 });
      c.wall.push(r.wall);
      c.cpu.push(r.cpu);
      if (r.asOf) c.asOf++;
    };
    await ask(command); // the first decode of this round's snapshot
    for (let i = 0; i < N; i++) add('quiet', await ask(command));
    for (let i = 0; i < N; i++) {
      await write();
      add('stale', await ask(command));
    }
    for (let i = 0; i < N; i++) {
      await write();
      await round();
      add('fresh after a round', await ask(command));
    }
    out(`${command}:`);
    for (const [k, c] of Object.entries(cases))
      out(
        `  ${k.padEnd(20)} wall ${fmt(c.wall)}; CPU ${fmt(c.cpu)}; ${c.asOf}/${c.wall.length} labelled "As of"; load ${load()}`,
      );
  }
  out(`refresher round (every model, in its own thread in the bot): CPU ${fmt(roundCpu)}`);
  channel.port1.close();
  channel.port2.close();
  await refresherDb.close();
  await askerDb.close();
  await rt.close();
}

await main();
