/**
 * Whole-estate read models computed once per data version (issue 23): `status`, `clusters` and
 * `alerts` with no filter read every cluster or alert of the estate, and a chat asks them again
 * and again between two syncs. The answer is kept with the data version it was computed on and
 * the instant it is true as of (effective states and days left depend on `now`), and reused
 * while both hold; concurrent asks of the same model share one computation.
 *
 * Two ways to fill it:
 *   - by itself (a terminal, a test, an in-memory database): a miss computes in this thread;
 *   - fed (`attach`): a refresher in another thread (read-model-refresher.ts) computes every
 *     model after each write and sends snapshots here, so no ask waits for a recomputation. An
 *     ask then gets the newest snapshot, and `current: false` when the data changed since it
 *     was computed: the answer is the truth as of `asOf`, and the reply says so.
 *
 * The version is read from the database on every ask, so a write by any process (the
 * scheduler's sync, another terminal's command) is seen at the next ask.
 */
import { deserialize, serialize } from 'node:v8';
import { sql } from 'kysely';
import type { ReportDb } from './common.ts';
import { dataFingerprint } from './freshness.ts';

/**
 * How long an answer computed while nothing was written stays current: answers are as of at
 * most this long ago. A minute is below what any timer shown reads (days left, a deadline
 * passed to the minute).
 */
export const READ_CACHE_BUCKET_MS = 60_000;

/**
 * What every whole-estate answer depends on, as one string: the site's fingerprint (syncs,
 * alert evaluations, jobs) and what an operator may write outside a job (mutes, clusters,
 * virtual accounts, customers). Aggregates only: a few index or table scans, no row reaches JS.
 */
export async function readModelVersion(db: ReportDb): Promise<string> {
  const r = await sql<Record<string, string | number | null>>`SELECT
      (SELECT max(muted_at) FROM alerts) AS "alertMutedAt",
      (SELECT count(*) FROM alerts WHERE muted_until IS NOT NULL) AS "alertsMuted",
      (SELECT max(id) FROM alert_mutes) AS "muteId",
      (SELECT count(*) FROM alert_mutes) AS mutes,
      (SELECT max(updated_at) FROM clusters) AS clusters,
      (SELECT count(*) FROM clusters) AS "clusterCount",
      (SELECT max(updated_at) FROM virtual_accounts) AS vas,
      (SELECT max(updated_at) FROM customers) AS customers,
      (SELECT count(*) FROM customers) AS "customerCount"`.execute(db);
  return `${await dataFingerprint(db)}|${JSON.stringify(r.rows[0] ?? {})}`;
}

/** One model computed by a refresher: what a fed cache receives. */
export interface ReadModelSnapshot {
  key: string;
  value: unknown;
  /** readModelVersion of the data it was computed on (in one read transaction with it). */
  version: string;
  /** The instant it is true as of (the `now` it was computed for). */
  at: Date;
}

/** Messages on the port between a fed cache and its refresher. */
export type ReadModelMessage =
  /** `bytes`: the value as v8.serialize wrote it (snapshotMessage). */
  | { kind: 'snapshot'; key: string; version: string; at: Date; bytes: ArrayBuffer }
  /** A cache was asked for `key`: the refresher keeps the models warm while they are asked. */
  | { kind: 'asked'; key: string };

/** What a fed cache needs of its port (a worker_threads MessagePort has it). */
export interface ReadModelPort {
  postMessage(m: ReadModelMessage): void;
  on(event: 'message', fn: (m: unknown) => void): unknown;
  /** A MessagePort says when the other end is gone (its thread ended). */
  once?(event: 'close', fn: () => void): unknown;
}

/**
 * A snapshot as a message, its value serialized here into a buffer of its own to be moved
 * (`transfer`), not copied. The receiving cache decodes a model when it is first asked, not
 * when it arrives: the whole-estate Cluster Summary is ~10 MB and ~100 ms of CPU to decode at
 * scale 1000, and a round that nobody asks about should cost the command thread nothing.
 */
export function snapshotMessage(s: ReadModelSnapshot): {
  message: ReadModelMessage;
  transfer: ArrayBuffer[];
} {
  const b = serialize(s.value);
  const bytes = new ArrayBuffer(b.length);
  new Uint8Array(bytes).set(b);
  return {
    message: { kind: 'snapshot', key: s.key, version: s.version, at: s.at, bytes },
    transfer: [bytes],
  };
}

export interface ReadModelAnswer<T> {
  value: T;
  /** The instant the value is true as of. */
  asOf: Date;
  /**
   * False when the data changed since `asOf` (or `asOf` is older than the cache's maximum age)
   * and a newer answer is being computed elsewhere: the reply must say "as of".
   */
  current: boolean;
  /**
   * Set when the cache is fed but its refresher is gone (the read-model thread ended and is
   * being restarted): the value was computed by this ask, which is slower than usual, and the
   * reply says so.
   */
  computedHere?: boolean;
}

/** A snapshot as a fed cache holds it: decoded on first use. */
interface Received {
  key: string;
  bytes: ArrayBuffer;
  version: string;
  at: Date;
  value?: unknown;
}

interface Entry {
  version: string;
  at: Date;
  value: Promise<unknown>;
}

export interface ReadModelCacheOptions {
  /** How long an answer stays current while nothing is written (READ_CACHE_BUCKET_MS). */
  maxAgeMs?: number;
  /**
   * Fed: how long an ask waits for the refresher's first snapshot (or a newer one than a
   * snapshot too old to serve) before computing itself.
   */
  firstSnapshotWaitMs?: number;
  /**
   * Fed: a snapshot not current and older than this is not served; the ask computes itself
   * (the refresher is gone or starved: staleness stays bounded).
   */
  staleLimitMs?: number;
}

export class ReadModelCache {
  private readonly entries = new Map<string, Entry>();
  private readonly snapshots = new Map<string, Received>();
  private readonly waiting = new Map<string, ((s: Received | undefined) => void)[]>();
  private port: ReadModelPort | undefined;
  /** Was ever attached: a cache with no port then is one whose refresher is gone. */
  private everFed = false;
  private readonly maxAgeMs: number;
  private readonly firstSnapshotWaitMs: number;
  private readonly staleLimitMs: number;
  /** Asks answered from the cache, computed, and served as of an earlier version (fed). */
  readonly stats = { hits: 0, misses: 0, stale: 0 };

  constructor(
    private readonly db: ReportDb,
    opts: ReadModelCacheOptions | number = {},
  ) {
    const o = typeof opts === 'number' ? { maxAgeMs: opts } : opts;
    this.maxAgeMs = o.maxAgeMs ?? READ_CACHE_BUCKET_MS;
    this.firstSnapshotWaitMs = o.firstSnapshotWaitMs ?? 30_000;
    this.staleLimitMs = o.staleLimitMs ?? 5 * 60_000;
  }

  /**
   * Takes its answers from the refresher at the other end of `port` from now on (in place of
   * an earlier one: a restarted read-model thread sends a new port). When the port closes (the
   * refresher's thread ended), asks stop waiting for it and compute here until the next attach.
   */
  attach(port: ReadModelPort): void {
    this.port = port;
    this.everFed = true;
    port.once?.('close', () => this.detach(port));
    port.on('message', (m: unknown) => {
      if (this.port !== port) return;
      const s = m as ReadModelMessage;
      if (s.kind !== 'snapshot') return;
      const snap: Received = { key: s.key, bytes: s.bytes, version: s.version, at: s.at };
      this.snapshots.set(s.key, snap);
      for (const w of this.waiting.get(s.key) ?? []) w(snap);
      this.waiting.delete(s.key);
    });
  }

  /** The refresher behind `port` is gone: asks waiting for its snapshots compute now. */
  private detach(port: ReadModelPort): void {
    if (this.port !== port) return;
    this.port = undefined;
    const waiting = [...this.waiting.values()].flat();
    this.waiting.clear();
    for (const w of waiting) w(undefined);
  }

  /** Whether a refresher feeds this cache now. */
  get attached(): boolean {
    return this.port !== undefined;
  }

  /**
   * Whether a refresher was ever attached (a chat worker's cache, even while its refresher is
   * being restarted): its answers are asked by the keys the refresher publishes.
   */
  get fed(): boolean {
    return this.everFed;
  }

  private fresh(version: string, at: Date, wantVersion: string, now: Date): boolean {
    const age = now.getTime() - at.getTime();
    return version === wantVersion && age >= 0 && age < this.maxAgeMs;
  }

  /** The newest snapshot of `key` other than `older` (waits for one), or undefined in time. */
  private snapshotAfter(key: string, older?: Received): Promise<Received | undefined> {
    const have = this.snapshots.get(key);
    if (have && have !== older) return Promise.resolve(have);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const list = this.waiting.get(key) ?? [];
        list.splice(list.indexOf(done), 1);
        resolve(undefined);
      }, this.firstSnapshotWaitMs);
      timer.unref?.();
      const done = (s: Received | undefined) => {
        clearTimeout(timer);
        resolve(s);
      };
      this.waiting.set(key, [...(this.waiting.get(key) ?? []), done]);
    });
  }

  /**
   * The model `key` as of `now` or, fed, the refresher's newest snapshot of it (labelled by
   * `current`). Computes `compute(now)` in this thread when there is nothing to serve: not fed,
   * no snapshot within `firstSnapshotWaitMs`, or none newer than `staleLimitMs` in that time. A
   * failed computation is not kept.
   */
  async answer<T>(
    key: string,
    now: Date,
    compute: (now: Date) => Promise<T>,
  ): Promise<ReadModelAnswer<T>> {
    const version = await readModelVersion(this.db);
    if (this.port) {
      this.port.postMessage({ kind: 'asked', key });
      let snap = await this.snapshotAfter(key);
      // Too old to serve (the refresher paused, nobody having asked for a while): the ask
      // woke it; its next round is worth a short wait rather than computing here.
      if (snap && now.getTime() - snap.at.getTime() >= this.staleLimitMs)
        snap = (await this.snapshotAfter(key, snap)) ?? snap;
      if (snap) {
        const current = this.fresh(snap.version, snap.at, version, now);
        // Computed here on the current data while the refresher was gone (and its successor
        // has not sent a round yet): better than the older snapshot.
        const own = this.entries.get(key);
        if (!current && own && this.fresh(own.version, own.at, version, now)) {
          this.stats.hits++;
          return { value: (await own.value) as T, asOf: own.at, current: true };
        }
        if (current || now.getTime() - snap.at.getTime() < this.staleLimitMs) {
          if (current) this.stats.hits++;
          else this.stats.stale++;
          if (!('value' in snap)) snap.value = deserialize(Buffer.from(snap.bytes));
          return { value: snap.value as T, asOf: snap.at, current };
        }
      }
    }
    // Fed once, no refresher now (its thread ended): the last snapshot while it is still
    // current, else computed here (and said: slower than usual) until a new one attaches.
    const orphan = this.everFed && !this.port;
    if (orphan) {
      const snap = this.snapshots.get(key);
      if (snap && this.fresh(snap.version, snap.at, version, now)) {
        this.stats.hits++;
        if (!('value' in snap)) snap.value = deserialize(Buffer.from(snap.bytes));
        return { value: snap.value as T, asOf: snap.at, current: true };
      }
    }
    const hit = this.entries.get(key);
    const here = orphan ? { computedHere: true } : {};
    if (hit && this.fresh(hit.version, hit.at, version, now)) {
      this.stats.hits++;
      return { value: (await hit.value) as T, asOf: hit.at, current: true, ...here };
    }
    this.stats.misses++;
    const value = compute(now);
    const entry: Entry = { version, at: now, value };
    this.entries.set(key, entry);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return { value: await value, asOf: now, current: true, ...here };
  }

  /** The model's value (see `answer`; the caller does not label answers as of earlier data). */
  async get<T>(key: string, now: Date, compute: (now: Date) => Promise<T>): Promise<T> {
    return (await this.answer(key, now, compute)).value;
  }
}

const caches = new WeakMap<ReportDb, ReadModelCache>();

/** The cache of one database handle (one per process and connection, made on first use). */
export function readCache(db: ReportDb): ReadModelCache {
  let c = caches.get(db);
  if (!c) {
    c = new ReadModelCache(db);
    caches.set(db, c);
  }
  return c;
}
