/**
 * The Cisco emulator's programmatic face: start it on 127.0.0.1 and get the ready line.
 * See docs/emulator.md for everything it serves.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { EmulatorCore, type JournalEntry, type ReadyInfo } from './server.ts';
import { DAY, parseTime } from './util/time.ts';

export type { JournalEntry, ReadyInfo } from './server.ts';

export interface StartOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** `demo` (default), `empty`, or a scenario file path. */
  // `string & {}` keeps the two names as editor hints next to any file path.

  scenario?: 'demo' | 'empty' | (string & {});
  seed?: number;
  /** Generate this many customers instead of the named scenario. */
  scale?: number;
  /** Start of the simulated clock (default: the scenario's `now`). */
  now?: Date | string;
  /**
   * Extension: the demo scenario as it stood this many days before `now` (required with it),
   * with the timeline that brings it to `now`: the clock starts `historyDays` before `now`.
   */
  historyDays?: number;
  /** Extension: keep the simulated clock still until advanced (default: it runs in real time). */
  frozen?: boolean;
  /**
   * Extension: requests of an earlier run (its journal), replayed in order at their simulated
   * times before the emulator is handed out, so a restarted lab has the state it had.
   */
  replay?: readonly JournalEntry[];
  /** Extension: after a replay, the simulated clock moves on to this time (ms), if later. */
  resumeAt?: number;
  /** Extension: receives every request that may change the lab (after any replay). */
  journal?: (e: JournalEntry) => void;
  /** Every request as it arrives (method, url), reads included; the journal keeps only writes. */
  observe?: (method: string, url: string) => void;
}

export interface RunningEmulator {
  baseUrl: string;
  ready: ReadyInfo;
  close(): Promise<void>;
}

/** An emulator started in this process: its simulated clock can be read directly. */
export interface LocalEmulator extends RunningEmulator {
  /** The simulated clock (ms). */
  now(): number;
}

export async function startEmulator(opts: StartOptions = {}): Promise<LocalEmulator> {
  const now = opts.now === undefined ? undefined : new Date(parseTime(opts.now)).toISOString();
  const history = opts.historyDays ?? 0;
  if (history > 0 && now === undefined) throw new Error('startEmulator: historyDays needs now');
  const core = new EmulatorCore(opts.scenario ?? 'demo', {
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.scale !== undefined ? { scale: opts.scale } : {}),
    ...(now !== undefined ? { now, nowOverride: parseTime(now) - history * DAY } : {}),
    ...(history > 0 ? { historyDays: history } : {}),
    frozen: opts.frozen ?? false,
  });
  await core.listen(opts.port ?? 0);
  if (opts.replay && opts.replay.length > 0) {
    // The clock stands still during the replay and jumps to each request's time.
    core.world.freeze(true);
    // A pool of its own: the process's global one may still hold a keep-alive socket to this
    // port from an earlier emulator of this process (a lab restored on its old port, e.g. a
    // second `start` in one process), and the first POST would take it and find it closed
    // ("fetch failed: other side closed").
    const agent = new Agent();
    try {
      for (const e of opts.replay) {
        if (e.t > core.world.now()) core.world.set(e.t);
        const res = await undiciFetch(`${core.baseUrl}${e.url}`, {
          method: e.method,
          headers: e.headers,
          ...(e.body !== '' ? { body: e.body } : {}),
          dispatcher: agent,
        });
        // Its answer was seen the first time; only its effect on the lab counts.
        await res.arrayBuffer();
      }
    } finally {
      await agent.close();
    }
    core.world.freeze(opts.frozen ?? false);
  }
  if (opts.resumeAt !== undefined && opts.resumeAt > core.world.now()) {
    core.world.set(opts.resumeAt);
  }
  core.journal = opts.journal;
  core.observe = opts.observe;
  return {
    baseUrl: core.baseUrl,
    ready: core.ready(),
    now: () => core.world.now(),
    close: () => core.close(),
  };
}
