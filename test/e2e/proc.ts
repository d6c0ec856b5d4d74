/**
 * Helpers of the end-to-end tests that run smartlic as a user does: a child process of
 * `node bin/smartlic.js …`, its stdout read line by line, its process tree, and checks that
 * nothing is left running or listening after it stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface Proc {
  child: ChildProcess;
  lines: string[];
  err: () => string;
  /** Resolves with the first stdout line matching `re` (rejects when the process exits first). */
  line(re: RegExp, ms?: number): Promise<string>;
  exited: Promise<number | null>;
}

export function smartlic(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['bin/smartlic.js', ...args], {
    cwd: process.cwd(),
    // The lab's 90-day past is not what these tests are about: it has its own test
    // (start-history.test.ts); a test that wants it passes SMARTLIC_LAB_HISTORY_DAYS.
    env: { ...process.env, SMARTLIC_LOG_LEVEL: 'warn', SMARTLIC_LAB_HISTORY_DAYS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let err = '';
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(l);
    for (const w of [...waiters]) {
      if (w.re.test(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return {
    child,
    lines,
    err: () => err,
    exited,
    line(re, ms = 120_000) {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`no line ${re} in ${ms} ms; stderr:\n${err.slice(-2000)}`)),
          ms,
        );
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          },
        });
        void exited.then((code) => {
          clearTimeout(t);
          reject(new Error(`exited with ${code} before ${re}; stderr:\n${err.slice(-2000)}`));
        });
      });
    },
  };
}

/** Every descendant pid of `pid` (from /proc), children first. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(d), ppid);
    } catch {
      // Gone meanwhile.
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parentOf) {
      if (pp === p) {
        out.push(c);
        walk(c);
      }
    }
  };
  walk(pid);
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The pids of `pids` still alive after waiting up to `ms` for them to end: a grandchild (an
 * esbuild service under a site build) ends a moment after its parent, not at the same instant.
 */
export async function survivors(pids: number[], ms = 5000): Promise<number[]> {
  const until = Date.now() + ms;
  let left = pids.filter(alive);
  while (left.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    left = left.filter(alive);
  }
  return left;
}

/** True when nothing accepts a connection at `url` any more. */
export async function closed(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await r.arrayBuffer();
    return false;
  } catch {
    return true;
  }
}
