// Real: worker threads (node:worker_threads) running the real serveCommands of
// bot/commands/remote.ts, with V8's real heap limit (resourceLimits) and a real out-of-memory
// end; the real RemoteCommandLayer on the main side.
// Faked: the command layer inside the worker (a few lines that answer, wait, exit or allocate
// without end, and a close hook that says it ran), so that each way a worker can end is asked
// for on purpose.
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteCommandLayer, type WorkerPort } from '../../../bot/commands/index.ts';

const remote = new URL('../../../bot/commands/remote.ts', import.meta.url).href;
const code = `
const { parentPort } = require('node:worker_threads');
// vitest's module runner has no import.meta.resolve: the worker resolves tsx from the checkout.
import('tsx/esm/api')
  .then((m) => { m.register(); return import(${JSON.stringify(remote)}); })
  .then(({ serveCommands }) => {
    serveCommands({
      async execute(line) {
        if (line === 'exit') process.exit(3);
        if (line === 'oom') { const keep = []; for (;;) keep.push(new Array(100000).fill(keep.length)); }
        if (line === 'slow') await new Promise((r) => setTimeout(r, 300));
        return { reply: { status: 'ok', blocks: [], title: 'ok ' + line + ' from ' + require('node:worker_threads').threadId } };
      },
    }, parentPort, async () => {
      // What a command worker does when the bot stops: write what it holds (its audit queue).
      await new Promise((r) => setTimeout(r, 100));
      parentPort.postMessage({ id: -1, kind: 'drained' });
    });
    parentPort.postMessage({ ready: true });
  });
`;

const started: Worker[] = [];
function startWorker(heapMb = 64): Promise<WorkerPort> {
  const w = new Worker(code, {
    eval: true,
    resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 4 },
  });
  started.push(w);
  return new Promise((resolve, reject) => {
    w.once('message', () => resolve(w));
    w.once('error', reject);
  });
}

const actor = { platform: 'console' as const, userId: 'test' };
const title = async (layer: RemoteCommandLayer, line: string) =>
  (await layer.execute(line, actor)).reply.title;

afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.terminate()));
});

describe('RemoteCommandLayer over real worker threads', () => {
  it('answers the commands a worker held when it exits, and a new worker serves the next', async () => {
    const ends: { code: number; commands: number }[] = [];
    const layer = new RemoteCommandLayer([await startWorker()], {
      replace: () => startWorker(),
      onWorkerEnd: ({ code, commands }) => ends.push({ code, commands }),
    });
    const first = await title(layer, 'hello');
    expect(first).toMatch(/^ok hello from \d+$/);
    const [slow, exit] = await Promise.all([
      layer.execute('slow', actor),
      layer.execute('exit', actor),
    ]);
    for (const o of [slow, exit]) {
      expect(o.reply.status).toBe('error');
      expect(JSON.stringify(o.reply)).toContain('exited with code 3');
    }
    expect(ends).toEqual([{ code: 3, commands: 2 }]);
    const next = await title(layer, 'again');
    expect(next).toMatch(/^ok again from \d+$/);
    expect(next.split(' ').pop()).not.toBe(first.split(' ').pop());
    await layer.close();
  });

  it('a command that outgrows the heap limit is answered with the setting to raise', async () => {
    const layer = new RemoteCommandLayer([await startWorker(64)], { replace: () => startWorker() });
    const o = await layer.execute('oom', actor);
    const text = JSON.stringify(o.reply);
    expect(o.reply.status).toBe('error');
    expect(text).toMatch(/out of memory/i);
    expect(text).toContain('bot.workerHeapMb');
    expect(await title(layer, 'after')).toMatch(/^ok after/);
    await layer.close();
  }, 30_000);

  it('with two workers, the running one takes the commands while the other is replaced', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const layer = new RemoteCommandLayer([await startWorker(), await startWorker()], {
      replace: async () => {
        await gate;
        return startWorker();
      },
    });
    await layer.execute('exit', actor);
    const during = await Promise.all([title(layer, 'a'), title(layer, 'b')]);
    expect(new Set(during.map((t) => t.split(' ').pop())).size).toBe(1);
    release();
    await layer.close();
  });

  it('close asks each worker to write what it holds before it is ended', async () => {
    const w = await startWorker();
    const seen: string[] = [];
    w.on('message', (m: unknown) => {
      const kind = (m as { kind?: string }).kind;
      if (kind === 'drained' || kind === 'closed') seen.push(kind);
    });
    w.once('exit', () => seen.push('exit'));
    const layer = new RemoteCommandLayer([w]);
    expect(await title(layer, 'one')).toMatch(/^ok one/);
    await layer.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(['drained', 'closed', 'exit']);
  });

  it('after close, no worker is replaced and a command is told the bot is stopping', async () => {
    let replaced = 0;
    const layer = new RemoteCommandLayer([await startWorker()], {
      replace: () => {
        replaced++;
        return startWorker();
      },
    });
    await layer.close();
    await new Promise((r) => setTimeout(r, 50));
    const o = await layer.execute('late', actor);
    expect(o.reply.status).toBe('error');
    expect(JSON.stringify(o.reply)).toContain('the bot is stopping');
    expect(replaced).toBe(0);
  });
});
