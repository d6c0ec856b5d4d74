/**
 * Where a benchmark's wall time went, for a shared machine (bench helper, Linux /proc): how
 * long a process's threads ran, how long they were runnable but waited for a CPU (the run
 * queue: time lost to the other engineers' work, not to the network), and this process's
 * event loop (its utilization and the delay of its timers). Real: /proc/<pid>/task/<tid>/schedstat
 * (run ns, run-queue wait ns, slices), /proc/<pid>/stat, perf_hooks. Nothing is faked; where
 * /proc is absent the figures are 0.
 */
import { readFileSync, readdirSync } from 'node:fs';
import {
  monitorEventLoopDelay,
  performance,
  type EventLoopUtilization,
  type IntervalHistogram,
} from 'node:perf_hooks';

/** Run and run-queue wait of one thread, ms. */
export interface ThreadTime {
  runMs: number;
  waitMs: number;
}

/** A process's main thread (its event loop) and all its threads together, ms. */
export interface ProcTime {
  main: ThreadTime;
  all: ThreadTime;
  /**
   * Run ms of the other threads by their name (/proc/…/comm: "V8 DefaultWorke" are V8's GC and
   * compiler helpers, "libuv-worker" the thread pool): what the process's CPU beyond its event
   * loop went to.
   */
  others: Record<string, number>;
}

function schedstat(path: string): ThreadTime {
  try {
    const [run, wait] = readFileSync(path, 'utf8').trim().split(/\s+/).map(Number);
    return { runMs: (run ?? 0) / 1e6, waitMs: (wait ?? 0) / 1e6 };
  } catch {
    return { runMs: 0, waitMs: 0 };
  }
}

/** The run and run-queue time of a process's threads so far (`self` or a pid). */
export function procTime(pid: number | 'self' = 'self'): ProcTime {
  const all: ThreadTime = { runMs: 0, waitMs: 0 };
  const others: Record<string, number> = {};
  const mainTid = String(pid === 'self' ? process.pid : pid);
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    tids = [];
  }
  for (const t of tids) {
    const s = schedstat(`/proc/${pid}/task/${t}/schedstat`);
    all.runMs += s.runMs;
    all.waitMs += s.waitMs;
    if (t === mainTid) continue;
    let name = '?';
    try {
      name = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
    } catch {
      // The thread ended between the listing and this read.
    }
    others[name] = (others[name] ?? 0) + s.runMs;
  }
  // The thread group leader (tid = pid) is the main thread: the event loop.
  const main = schedstat(`/proc/${pid}/task/${pid === 'self' ? process.pid : pid}/schedstat`);
  return { main, all, others };
}

function minus(a: ThreadTime, b: ThreadTime): ThreadTime {
  return { runMs: a.runMs - b.runMs, waitMs: a.waitMs - b.waitMs };
}

function minusProc(a: ProcTime, b: ProcTime): ProcTime {
  const others: Record<string, number> = {};
  // A thread that ended since counts for nothing (its time left the sums at its end).
  for (const [k, v] of Object.entries(a.others)) others[k] = Math.max(0, v - (b.others[k] ?? 0));
  return { main: minus(a.main, b.main), all: minus(a.all, b.all), others };
}

export interface WallSplit {
  wallMs: number;
  self: ProcTime;
  /** The other process measured (the emulator), when there is one. */
  peer: ProcTime | undefined;
  elu: EventLoopUtilization;
  /** Timer delay of this event loop, ms. */
  loopDelay: { p50: number; p99: number; max: number; mean: number };
}

/** Starts measuring; the returned function stops and answers the split. */
export function startWallSplit(peerPid?: number): () => WallSplit {
  const t0 = performance.now();
  const s0 = procTime('self');
  const p0 = peerPid ? procTime(peerPid) : undefined;
  const e0 = performance.eventLoopUtilization();
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return () => {
    h.disable();
    const s1 = procTime('self');
    const p1 = peerPid ? procTime(peerPid) : undefined;
    const ms = (n: number) => n / 1e6;
    return {
      wallMs: performance.now() - t0,
      self: minusProc(s1, s0),
      peer: p0 && p1 ? minusProc(p1, p0) : undefined,
      elu: performance.eventLoopUtilization(e0),
      loopDelay: {
        p50: ms(h.percentile(50)),
        p99: ms(h.percentile(99)),
        max: ms(h.max),
        mean: ms(h.mean),
      },
    };
  };
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const pct = (a: number, b: number) => `${((a / Math.max(1, b)) * 100).toFixed(0)} %`;

/** The split as lines: each process's main thread ran / waited for a CPU / slept. */
export function describeWallSplit(w: WallSplit, peerName = 'emulator'): string[] {
  const line = (name: string, p: ProcTime) => {
    const slept = Math.max(0, w.wallMs - p.main.runMs - p.main.waitMs);
    const top = Object.entries(p.others)
      .filter(([, v]) => v >= 10)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([k, v]) => `${k} ${s(v)}`)
      .join(', ');
    return `  ${name}: main thread ran ${s(p.main.runMs)} (${pct(p.main.runMs, w.wallMs)} of the wall), waited for a CPU ${s(p.main.waitMs)} (${pct(p.main.waitMs, w.wallMs)}), idle ${s(slept)} (${pct(slept, w.wallMs)}); all threads ran ${s(p.all.runMs)}, waited ${s(p.all.waitMs)}${top ? ` (other threads: ${top})` : ''}`;
  };
  return [
    line('smartlic', w.self),
    ...(w.peer ? [line(peerName, w.peer)] : []),
    `  smartlic event loop: utilization ${(w.elu.utilization * 100).toFixed(0)} %, timer delay p50 ${w.loopDelay.p50.toFixed(1)} ms, p99 ${w.loopDelay.p99.toFixed(1)} ms, max ${w.loopDelay.max.toFixed(0)} ms`,
  ];
}
