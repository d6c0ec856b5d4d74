/** Time port: core never calls Date.now() directly, so tests can move time by days. */
import { DAY_MS } from './domain/lifecycle.ts';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until told to move. */
export class TestClock implements Clock {
  private ms: number;

  constructor(start: Date | string | number = '2026-01-01T00:00:00Z') {
    this.ms = new Date(start).getTime();
    if (Number.isNaN(this.ms)) throw new Error(`TestClock: invalid start time ${String(start)}`);
  }

  now(): Date {
    return new Date(this.ms);
  }

  set(at: Date | string | number): void {
    this.ms = new Date(at).getTime();
  }

  advance(by: {
    ms?: number;
    seconds?: number;
    minutes?: number;
    hours?: number;
    days?: number;
  }): void {
    this.ms +=
      (by.ms ?? 0) +
      (by.seconds ?? 0) * 1000 +
      (by.minutes ?? 0) * 60_000 +
      (by.hours ?? 0) * 3_600_000 +
      (by.days ?? 0) * DAY_MS;
  }
}

/**
 * The system clock, or a fixed time while pinned: `smartlic start` pins it to each step of the
 * lab's past (every service that took this clock then syncs, snapshots and raises alerts at
 * that time), then releases it, so smartlic and the lab agree at the end: now is real now.
 */
export class PinnableClock implements Clock {
  private pinned: number | undefined;

  constructor(private readonly base: Clock = systemClock) {}

  now(): Date {
    return this.pinned === undefined ? this.base.now() : new Date(this.pinned);
  }

  pin(at: Date | number): void {
    this.pinned = new Date(at).getTime();
  }

  release(): void {
    this.pinned = undefined;
  }

  get isPinned(): boolean {
    return this.pinned !== undefined;
  }
}
