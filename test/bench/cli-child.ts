/**
 * A bench's `smartlic` child process: the entry users run (`bin/smartlic.js`, the shim that
 * sets the bot's Node flags before loading), its stdout read line by line so the bench can
 * wait for the line that says it is ready. Real: the CLI in its own process; faked: nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const cli = fileURLToPath(new URL('../../bin/smartlic.js', import.meta.url));

export interface CliChild {
  proc: ChildProcess;
  /** The first line (printed so far or later) matching `re`; rejects if the child exits first. */
  line: (re: RegExp) => Promise<RegExpExecArray>;
}

export function child(
  args: string[],
  env: NodeJS.ProcessEnv,
  /** Node options for this child only (BENCH_BOT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p"). */
  nodeArgs: string[] = [],
): CliChild {
  const proc = spawn(process.execPath, [...nodeArgs, cli, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout });
  const seen: string[] = [];
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  lines.on('line', (l) => {
    seen.push(l);
    for (const w of [...waiters]) {
      const m = w.re.exec(l);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  return {
    proc,
    line: (re) =>
      new Promise((resolve, reject) => {
        for (const l of seen) {
          const m = re.exec(l);
          if (m) return resolve(m);
        }
        waiters.push({ re, resolve });
        proc.once('exit', (code) =>
          reject(new Error(`${args[0]} exited with ${code} before printing ${re}`)),
        );
      }),
  };
}
