/**
 * The Cisco emulator's programmatic face: start it on 127.0.0.1 and get the ready line.
 * See docs/emulator.md for everything it serves.
 */
import { EmulatorCore, type ReadyInfo } from './server.ts';
import { parseTime } from './util/time.ts';

export type { ReadyInfo } from './server.ts';

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
  /** Extension: keep the simulated clock still until advanced (default: it runs in real time). */
  frozen?: boolean;
}

export interface RunningEmulator {
  baseUrl: string;
  ready: ReadyInfo;
  close(): Promise<void>;
}

export async function startEmulator(opts: StartOptions = {}): Promise<RunningEmulator> {
  const now = opts.now === undefined ? undefined : new Date(parseTime(opts.now)).toISOString();
  const core = new EmulatorCore(opts.scenario ?? 'demo', {
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.scale !== undefined ? { scale: opts.scale } : {}),
    ...(now !== undefined ? { now, nowOverride: parseTime(now) } : {}),
    frozen: opts.frozen ?? false,
  });
  await core.listen(opts.port ?? 0);
  return {
    baseUrl: core.baseUrl,
    ready: core.ready(),
    close: () => core.close(),
  };
}
