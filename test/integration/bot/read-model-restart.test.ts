// The read-model thread of `smartlic bot` killed for real and started again (issue 23;
// bin/cli/read-model-thread.ts, the fed cache's detach in core/reports/read-cache.ts, the
// bot worker's re-attach in bin/cli/bot-worker.ts, asOfNote in bot/commands/handlers/common.ts).
// Real: the read-model thread and a command worker as `smartlic bot` starts them
// (bin/cli/host.ts startReadModelWorker / startWorker: worker threads running
// read-model-worker.ts and bot-worker.ts through tsx), the MessagePorts between them, the
// RemoteCommandLayer on this side, a SQLite temp file migrated by `smartlic db migrate`, the
// thread ended by Worker.terminate(). Faked: nothing; the estate is a few clusters written
// through the real repositories (no sync: whole-estate answers only read the store).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { RemoteCommandLayer, type Actor } from '../../../bot/commands/index.ts';
import type { Reply } from '../../../bot/commands/reply.ts';
import { startReadModelWorker, startWorker } from '../../../bin/cli/host.ts';
import { ReadModelThread } from '../../../bin/cli/read-model-thread.ts';
import { systemClock } from '../../../core/clock.ts';
import { createLogger } from '../../../core/log.ts';
import {
  SecretBox,
  createRepositories,
  openDatabase,
  resolveSecretKey,
  type DatabaseHandle,
} from '../../../core/store/index.ts';
import { runCli } from '../../support/helpers.ts';

const viewer: Actor = { platform: 'slack', userId: 'URESTART', channelId: 'CRESTART' };
const COMPUTED_HERE = 'Computed for this ask';

let dir: string;
let env: NodeJS.ProcessEnv;
let h: DatabaseHandle;
let repos: ReturnType<typeof createRepositories>;
let models: ReadModelThread;
let worker: Worker;
let layer: RemoteCommandLayer;
const logs: string[] = [];

const text = (r: Reply) => JSON.stringify(r);
const ask = async (line: string) => {
  const o = await layer.execute(line, viewer);
  expect(o.reply.status, text(o.reply)).toBe('ok');
  return o.reply;
};
const addCluster = async (customer: string, name: string) => {
  const c = await repos.customers.upsert({ name: customer });
  await repos.clusters.upsert({
    customerId: c.id,
    name,
    type: 'CUCM',
    version: '15.0',
    publisherAddress: `https://${name}.example.test`,
    adminUsername: 'admin',
    adminPassword: 'not-a-real-password',
  });
};
/** Asks `line` until `ok(reply)` (the threads start through tsx: seconds on a busy machine). */
const askUntil = async (line: string, ok: (r: Reply) => boolean, ms = 60_000) => {
  const until = Date.now() + ms;
  for (;;) {
    const r = await ask(line);
    if (ok(r)) return r;
    if (Date.now() > until) throw new Error(`no answer to "${line}" as expected: ${text(r)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smartlic-rmrestart-'));
  env = {
    ...process.env,
    SMARTLIC_DB: join(dir, 'db.sqlite'),
    SMARTLIC_SECRET_KEY: 'read-model restart test',
    SMARTLIC_LOG_LEVEL: 'error',
    SMARTLIC_EMULATOR: 'false',
  };
  expect((await runCli(['db', 'migrate'], env)).code).toBe(0);
  h = openDatabase({ path: env.SMARTLIC_DB! });
  const secrets = new SecretBox(
    resolveSecretKey({ envValue: env.SMARTLIC_SECRET_KEY, dbPath: env.SMARTLIC_DB! }).key,
  );
  repos = createRepositories(h.db, secrets, systemClock);
  await addCluster('Globex', 'globex-cucm-01');
  await addCluster('Globex', 'globex-cucm-02');
  await addCluster('Initech', 'initech-cucm-01');
  models = new ReadModelThread({
    spawn: () => startReadModelWorker(env, 128),
    logger: createLogger({ level: 'warn', write: (l) => logs.push(l) }),
    // Long enough that the asks below run while the thread is down, on any machine.
    minBackoffMs: 3_000,
  });
  models.start();
  worker = await startWorker(env, 128, models);
  layer = new RemoteCommandLayer([worker]);
}, 120_000);

afterAll(async () => {
  await layer?.close();
  await models?.close();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the read-model thread, killed', () => {
  it('is started again; meanwhile commands compute alone and say so; then are fed again', async () => {
    // Fed: the first round's snapshot answers, with no note.
    const fed = await askUntil('clusters', (r) => !text(r).includes(COMPUTED_HERE));
    expect(fed.title).toBe('Clusters (3)');
    const statusBefore = await ask('status');

    // Killed for real; the worker's cache sees its port close.
    const first = models.current!;
    await first.terminate();
    expect(models.current).toBeUndefined();
    // The data changes while the thread is down: the answer cannot be the old snapshot.
    await addCluster('Initech', 'initech-cucm-02');
    const alone = await askUntil('clusters', (r) => r.title === 'Clusters (4)', 10_000);
    expect(text(alone)).toContain(COMPUTED_HERE);
    expect(text(alone)).toContain('restarting');
    const statusAlone = await ask('status');
    expect(text(statusAlone)).toContain(COMPUTED_HERE);
    expect(text(statusBefore)).toMatch(/"label":"clusters","value":"3 \(/);
    expect(text(statusAlone)).toMatch(/"label":"clusters","value":"4 \(/);

    // Started again after the backoff: a new thread, a new port. Until its first round the
    // answer computed alone (current) is served; then the data changes again, and an answer
    // with no note can only come from the new thread's snapshots (fed, the cache computes
    // nothing: "As of" until the round, then current).
    await askUntil('status', () => models.restarts === 1 && models.current !== undefined);
    expect(models.current).not.toBe(first);
    const note = (b: Reply['blocks'][number]) =>
      b.kind === 'context' && b.text.startsWith(COMPUTED_HERE);
    const meanwhile = await ask('clusters');
    expect(meanwhile.blocks).toEqual(alone.blocks.filter((b) => !note(b)));
    await addCluster('Initech', 'initech-cucm-03');
    const back = await askUntil(
      'clusters',
      (r) => r.title === 'Clusters (5)' && !/"text":"As of/.test(text(r)),
    );
    expect(text(back)).not.toContain(COMPUTED_HERE);
    expect(logs.join('\n')).toContain('the read-model thread ended; starting it again');
  }, 120_000);
});
