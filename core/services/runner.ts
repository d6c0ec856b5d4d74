/**
 * Which process runs a job or holds a sync lease (`host|pid|instance`), and whether such a
 * process still lives. A job left InProgress by a process that died (a crash, `kill -9`,
 * Ctrl-C) can then be told from one another process is still running.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

export interface RunnerIdentity {
  /** This process (and this service container within it). */
  readonly id: string;
  /** Whether the runner named still runs; unknown (another host) counts as alive. */
  alive(runner: string | null): boolean;
}

/** Whether a process with this pid runs on this host (EPERM: it does, as someone else's). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, it is just not ours to signal.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function processRunner(): RunnerIdentity {
  const host = hostname();
  const id = `${host}|${process.pid}|${randomUUID().slice(0, 8)}`;
  return {
    id,
    alive(runner) {
      if (!runner) return false;
      const [h, p] = runner.split('|');
      const pid = Number(p);
      if (h !== host || !Number.isInteger(pid) || pid <= 0) return h !== host;
      return pid === process.pid || pidAlive(pid);
    },
  };
}

/** `pid 1234 on host` for messages. */
export function describeRunner(runner: string | null): string {
  if (!runner) return 'an earlier smartlic process';
  const [h, p] = runner.split('|');
  return `smartlic process ${p ?? '?'} on ${h ?? '?'}`;
}
