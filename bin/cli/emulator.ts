/**
 * `smartlic emulator`: runs the Cisco emulator on 127.0.0.1, prints one ready JSON line on
 * stdout (scripts and tests read it), logs everything else to stderr, and runs until SIGINT
 * or SIGTERM.
 */
import { startEmulator } from '../../emulator/index.ts';
import { didYouMean } from './args.ts';
import type { CliCommand } from './types.ts';

/**
 * Largest --scale accepted. Measured with 8–12 clusters per customer: loading grew by about
 * 3 s and 95 MB per 1000 customers (1000: 4 s / 220 MB, 4000: 13 s / 500 MB); 100000 was not
 * ready after 240 s at 4 GB. With 10–15 per customer: 10000 loads to 1.37 GB RSS (224 s at a
 * load average of 16 on 2 cores; see docs/emulator.md).
 */
export const MAX_SCALE = 10_000;

const USAGE = `Usage: smartlic emulator [--port N] [--scenario demo|empty|FILE] [--seed N] [--scale N]
                         [--now ISO] [--frozen]

Runs a stand-in for Cisco (CSSM cloud, CSSM On-Prem, CUCM/CUC/CER) on 127.0.0.1 and prints
one JSON line when ready: {"ready":true,"baseUrl":…,"cloud":{…},"onprem":{…},"clients":[…]}.

  --port N        port to listen on (default 0: any free port)
  --scenario S    demo (default), empty, or a scenario JSON file (see data/scenarios/)
  --seed N        seed for generated data and faults (default 1)
  --scale N       generate N customers (10–15 clusters each, ~10 of them smart-licensed
                  and registered) instead of the scenario; N from 1 to ${MAX_SCALE}
                  (${MAX_SCALE} takes about 1.4 GB; more would not load in a useful time)
  --now ISO       start of the simulated clock (default: the scenario's)
  --frozen        keep the simulated clock still until POST /__emulator/clock moves it

Admin API: {baseUrl}/__emulator/ (state, clock, faults, scenario). See docs/emulator.md.

Example:
  smartlic emulator --port 8443 --scenario demo --frozen`;

interface Flags {
  port?: number;
  scenario?: string;
  seed?: number;
  scale?: number;
  now?: string;
  frozen?: boolean;
}

function parse(args: string[]): Flags | string {
  const f: Flags = {};
  const int = (name: string, v: string | undefined, min: number, max: number): number | string => {
    const n = Number(v);
    if (v === undefined || !/^\d+$/.test(v) || n < min || n > max) {
      return `--${name} needs an integer from ${min} to ${max}, got ${v ?? 'nothing'}`;
    }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!;
    const eq = raw.indexOf('=');
    const name = raw.startsWith('--') ? (eq > 0 ? raw.slice(2, eq) : raw.slice(2)) : raw;
    const value = (): string | undefined => (eq > 0 ? raw.slice(eq + 1) : args[++i]);
    switch (name) {
      case 'port': {
        const n = int('port', value(), 0, 65535);
        if (typeof n === 'string') return n;
        f.port = n;
        break;
      }
      case 'seed': {
        const n = int('seed', value(), 0, 2 ** 32 - 1);
        if (typeof n === 'string') return n;
        f.seed = n;
        break;
      }
      case 'scale': {
        const n = int('scale', value(), 1, MAX_SCALE);
        if (typeof n === 'string') {
          return `${n} (larger scenarios do not load in a useful time or memory)`;
        }
        f.scale = n;
        break;
      }
      case 'scenario': {
        const v = value();
        if (!v) return '--scenario needs demo, empty or a file path';
        f.scenario = v;
        break;
      }
      case 'now': {
        const v = value();
        if (!v || Number.isNaN(Date.parse(v)))
          return `--now needs an ISO time, got ${v ?? 'nothing'}`;
        f.now = v;
        break;
      }
      case 'frozen':
        f.frozen = true;
        break;
      case 'json':
        // The ready line is JSON anyway.
        break;
      default:
        return `unknown option ${raw}${didYouMean(name, ['port', 'seed', 'scale', 'scenario', 'now', 'frozen'], '--')}`;
    }
  }
  return f;
}

export const emulatorCommand: CliCommand = {
  name: 'emulator',
  summary: 'run the Cisco emulator (CSSM cloud, On-Prem, UC apps) on 127.0.0.1',
  usage: USAGE,
  async run(args, ctx) {
    const flags = parse(args);
    if (typeof flags === 'string') {
      ctx.io.stderr.write(`smartlic emulator: ${flags} (see smartlic emulator --help)\n`);
      return 2;
    }
    let emu;
    try {
      emu = await startEmulator({
        port: flags.port ?? 0,
        scenario: flags.scenario ?? 'demo',
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        ...(flags.scale !== undefined ? { scale: flags.scale } : {}),
        ...(flags.now !== undefined ? { now: flags.now } : {}),
        ...(flags.frozen ? { frozen: true } : {}),
      });
    } catch (e) {
      const msg = (e as Error).message;
      ctx.io.stderr.write(`smartlic emulator: ${msg}\n`);
      return /scenario|EADDRINUSE|EACCES/.test(msg) ? 2 : 1;
    }
    ctx.io.stdout.write(`${JSON.stringify(emu.ready)}\n`);
    ctx.io.stderr.write(
      `emulator: scenario ${emu.ready.scenario}, ${emu.ready.clients.length} API clients, admin at ${emu.ready.admin}; Ctrl-C to stop\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = (sig: string): void => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        ctx.io.stderr.write(`emulator: ${sig}, closing\n`);
        resolve();
      };
      const onInt = (): void => stop('SIGINT');
      const onTerm = (): void => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    });
    await emu.close();
    return 0;
  },
};
