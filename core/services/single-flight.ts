/**
 * At most one run per key at a time. A second caller for a key that is already running joins
 * the run in flight instead of starting another (a sync asked for while the scheduled sync of
 * the same account is running gets that sync's result).
 */
export class SingleFlight<K, V> {
  private readonly inFlight = new Map<K, Promise<V>>();

  /** Whether a run for `key` is in flight. */
  isRunning(key: K): boolean {
    return this.inFlight.has(key);
  }

  run(key: K, fn: () => Promise<V>): { promise: Promise<V>; joined: boolean } {
    const existing = this.inFlight.get(key);
    if (existing) return { promise: existing, joined: true };
    const p = (async () => {
      try {
        return await fn();
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, p);
    return { promise: p, joined: false };
  }

  /** Resolves when every run now in flight has settled (for shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }
}
