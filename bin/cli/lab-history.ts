/**
 * The demo lab's past, lived through at the first `smartlic start` (issue 21): a new demo lab
 * begins `emulator.historyDays` (90) days ago with its clock still (lab.ts), and smartlic syncs
 * it once a simulated day up to the present — the lab's clock set to each day over its admin
 * API, smartlic's clock pinned to the same instant, a real full sync of every account over
 * HTTP at each step — so the usage snapshots, trends, forecasts and alerts are those three
 * months of use would have left. Nothing is written to the database but by those syncs.
 *
 * Alerts raised and resolved during the past stay history (resolved, in `alerts --all` and the
 * alert log); those still open at the end are open now. Chat learns only of what is open: the
 * notifier posts an alert a channel was never told of only while it is open.
 *
 * At the end the lab's clock is set to the real now and runs again, and smartlic's clock is
 * released to the system clock: both say the same now.
 */
import { systemClock, type PinnableClock } from '../../core/clock.ts';
import { DAY_MS } from '../../core/domain/lifecycle.ts';
import type { Lab } from './lab.ts';
import { statusLineFor } from './output.ts';
import type { Runtime } from './runtime.ts';
import type { CliContext } from './types.ts';

export const HISTORY_REQUESTED_BY = 'lab history';

/** True when this lab still has a past to live through (a new demo lab, or one interrupted). */
export function hasPastToSync(lab: Lab | undefined): lab is Lab & { history: { done: false } } {
  return lab?.history !== undefined && !lab.history.done;
}

export interface PastOutcome {
  /** Stopped before the present: the lab stays in its past until the next start. */
  interrupted: boolean;
  /** Simulated days synced (one round of every account each). */
  rounds: number;
  /** Rounds in which at least one account failed to sync. */
  failedRounds: number;
  from: Date;
  to: Date;
  ms: number;
}

/**
 * Syncs the lab once a simulated day from where its clock stands up to now, then sets it to
 * now and lets it run. Call with smartlic's clock pinned to the lab's (see start.ts): what was
 * provisioned before was provisioned at the start of the past.
 */
export async function syncThePast(o: {
  lab: Lab;
  clock: PinnableClock;
  rt: Runtime;
  ctx: CliContext;
  out: (s: string) => void;
  /** Asked to stop (Ctrl-C): the lab stays where it is, and the next start goes on from there. */
  stopped: () => boolean;
}): Promise<PastOutcome> {
  const { lab, clock, rt } = o;
  const t0 = performance.now();
  const from = lab.emu.now();
  // The wall clock, not smartlic's (pinned): the past ends at the real now.
  const end = () => systemClock.now().getTime();
  const total = Math.max(0, Math.ceil((end() - DAY_MS / 2 - from) / DAY_MS));
  const status = statusLineFor(o.ctx);
  const tty = o.ctx.io.isTty;
  o.out(
    `the lab's past: ${total} days from ${day(from)}, one sync a day (SMARTLIC_LAB_HISTORY_DAYS=0 skips it on a new lab)`,
  );
  let rounds = 0;
  let failedRounds = 0;
  let interrupted = false;
  try {
    // Up to a day before now: the first sync at the present is start's own.
    for (let at = from; at < end() - DAY_MS / 2; at += DAY_MS) {
      if (o.stopped()) {
        interrupted = true;
        break;
      }
      await lab.setClock(at, { freeze: true });
      clock.pin(at);
      const outcomes = await rt.services.sync.syncAll({
        requestedBy: HISTORY_REQUESTED_BY,
        // Each simulated day is read whole, as after any move of the lab's clock (start.ts).
        full: true,
      });
      rounds++;
      if (outcomes.some((x) => x.status !== 'Completed')) failedRounds++;
      const line = `the lab's past: ${day(at)} (day ${rounds} of ${total})${failedRounds ? `, ${failedRounds} round(s) with a failed sync` : ''}`;
      if (tty) status.set(`${bar(rounds / Math.max(1, total))} ${line}`);
      else if (rounds % 10 === 0 || rounds === total) status.write(line);
    }
  } finally {
    if (tty) status.clear();
    clock.release();
  }
  if (!interrupted) {
    // The lab runs on from the real now again.
    await lab.setClock(end(), { freeze: false });
    lab.historyDone();
  }
  return {
    interrupted,
    rounds,
    failedRounds,
    from: new Date(from),
    to: new Date(end()),
    ms: performance.now() - t0,
  };
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function bar(frac: number): string {
  const width = 20;
  const fill = Math.round(Math.min(1, frac) * width);
  return `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}]`;
}
