/**
 * Fault injection (`POST /__emulator/faults`), seeded so a failing test can be replayed:
 * latency, error rate, 429s, a per-client rate limit, hung requests, dropped connections,
 * unreachable cloud or satellite, and failures of exactly chosen requests (`failRequests`).
 */
import { z } from 'zod';
import { Rng } from '../util/rng.ts';

export type Scope = 'cloud' | 'onprem' | 'uc';

export const faultSchema = z
  .object({
    latencyMs: z.number().nonnegative().default(0),
    errorRate: z.number().min(0).max(1).default(0),
    errorStatus: z.number().int().min(400).max(599).default(503),
    rateLimit: z
      .object({
        perClientPerSecond: z.number().int().positive(),
        retryAfterSeconds: z.number().int().nonnegative().default(1),
      })
      .nullable()
      .default(null),
    status429: z
      .object({
        rate: z.number().min(0).max(1),
        retryAfterSeconds: z.number().int().nonnegative().default(1),
      })
      .nullable()
      .default(null),
    timeoutRate: z.number().min(0).max(1).default(0),
    dropRate: z.number().min(0).max(1).default(0),
    unreachable: z
      .object({ cloud: z.boolean().default(false), satellite: z.boolean().default(false) })
      .default({}),
    cutoff: z.array(z.string()).default([]),
    /**
     * Deterministic failures: of the requests whose path contains `path` (and of `method`, if
     * given), the first `after` pass, the next `times` (all, if not given) get `status` with
     * `message` in CSSM's error envelope. For the one failure a test needs (the second chunk of
     * a transfer), where a rate would be a lottery.
     */
    failRequests: z
      .array(
        z
          .object({
            path: z.string().min(1),
            method: z.string().optional(),
            after: z.number().int().nonnegative().default(0),
            times: z.number().int().positive().optional(),
            status: z.number().int().min(400).max(599).default(400),
            message: z.string().default('Injected fault'),
          })
          .strict(),
      )
      .default([]),
    scope: z.enum(['cloud', 'onprem', 'uc', 'all']).default('all'),
    seed: z.number().int().optional(),
  })
  .strict();

export type FaultConfig = z.infer<typeof faultSchema>;

export type FaultAction =
  | { kind: 'pass' }
  | { kind: 'drop' }
  | { kind: 'hang' }
  | { kind: 'dropMidResponse' }
  | { kind: 'status'; status: number; retryAfter?: number; message: string };

/**
 * What the injector did since the fault set was last replaced: requests it decided on, and how
 * many of them got each action (`pass`, `drop`, `hang`, `dropMidResponse`, or the HTTP status
 * as a string; `outOfScope` for requests outside the fault set's `scope`). A test compares it with what the client says it retried, so a retry is proved
 * at both ends rather than read from the client's own log alone.
 */
export interface FaultTally {
  decided: number;
  outcomes: Record<string, number>;
}

export class Faults {
  config: FaultConfig = faultSchema.parse({});
  private rng: Rng;
  private counts: FaultTally = { decided: 0, outcomes: {} };
  private windows = new Map<string, { second: number; count: number }>();
  /** Matching requests seen so far, per `failRequests` rule. */
  private seen: number[] = [];

  constructor(private readonly seed: number) {
    this.rng = new Rng(seed);
  }

  set(c: FaultConfig): void {
    this.config = c;
    this.rng = new Rng(c.seed ?? this.seed);
    this.windows.clear();
    this.seen = c.failRequests.map(() => 0);
    this.counts = { decided: 0, outcomes: {} };
  }

  /** A copy of the tally since the last `set` / `clear`. */
  get tally(): FaultTally {
    return { decided: this.counts.decided, outcomes: { ...this.counts.outcomes } };
  }

  clear(): void {
    this.set(faultSchema.parse({}));
  }

  get active(): boolean {
    const c = this.config;
    return (
      c.latencyMs > 0 ||
      c.errorRate > 0 ||
      c.rateLimit !== null ||
      c.status429 !== null ||
      c.timeoutRate > 0 ||
      c.dropRate > 0 ||
      c.unreachable.cloud ||
      c.unreachable.satellite ||
      c.failRequests.length > 0
    );
  }

  /** Decides what happens to one request of `scope` from `client` (`method` `path`). */
  decide(scope: Scope, client: string, method = '', path = ''): FaultAction {
    const a = this.choose(scope, client, method, path);
    const c = this.config;
    // A request the scoped faults do not apply to is told apart from one that drew "pass".
    const outside = a.kind === 'pass' && c.scope !== 'all' && c.scope !== scope;
    const key = outside ? 'outOfScope' : a.kind === 'status' ? String(a.status) : a.kind;
    this.counts.decided++;
    this.counts.outcomes[key] = (this.counts.outcomes[key] ?? 0) + 1;
    return a;
  }

  private choose(scope: Scope, client: string, method: string, path: string): FaultAction {
    const c = this.config;
    if (
      (scope === 'cloud' && c.unreachable.cloud) ||
      (scope === 'onprem' && c.unreachable.satellite)
    ) {
      return { kind: 'drop' };
    }
    for (const [i, f] of c.failRequests.entries()) {
      if (!path.includes(f.path)) continue;
      if (f.method !== undefined && f.method.toUpperCase() !== method.toUpperCase()) continue;
      const n = this.seen[i]!;
      this.seen[i] = n + 1;
      if (n >= f.after && (f.times === undefined || n < f.after + f.times))
        return { kind: 'status', status: f.status, message: f.message };
    }
    if (c.scope !== 'all' && c.scope !== scope) return { kind: 'pass' };
    if (c.rateLimit) {
      const second = Math.floor(performance.now() / 1000);
      const w = this.windows.get(client);
      if (!w || w.second !== second) this.windows.set(client, { second, count: 1 });
      else if (++w.count > c.rateLimit.perClientPerSecond) {
        return {
          kind: 'status',
          status: 429,
          retryAfter: c.rateLimit.retryAfterSeconds,
          message: 'Rate limit exceeded. Retry later.',
        };
      }
    }
    if (c.timeoutRate > 0 && this.rng.chance(c.timeoutRate)) return { kind: 'hang' };
    if (c.dropRate > 0 && this.rng.chance(c.dropRate)) return { kind: 'dropMidResponse' };
    if (c.status429 && this.rng.chance(c.status429.rate)) {
      return {
        kind: 'status',
        status: 429,
        retryAfter: c.status429.retryAfterSeconds,
        message: 'Too Many Requests',
      };
    }
    if (c.errorRate > 0 && this.rng.chance(c.errorRate)) {
      return {
        kind: 'status',
        status: c.errorStatus,
        message: `Injected fault: HTTP ${c.errorStatus}`,
      };
    }
    return { kind: 'pass' };
  }
}
