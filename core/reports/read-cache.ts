/**
 * Whole-estate read models computed once per data version (issue 23): `status`, `clusters` and
 * `alerts` with no filter read every cluster or alert of the estate, and a chat asks them again
 * and again between two syncs. The answer is kept with the data version it was computed on and
 * the clock's time bucket (effective states and days left depend on `now`), and reused while
 * both hold; concurrent asks of the same model share one computation.
 *
 * The version is read from the database on every ask, so a write by any process (the
 * scheduler's sync, another terminal's command) is seen at the next ask.
 */
import { sql } from 'kysely';
import type { ReportDb } from './common.ts';
import { dataFingerprint } from './freshness.ts';

/**
 * Default time bucket: answers are as of at most this long ago while nothing was written. A
 * minute is below what any timer shown reads (days left, a deadline passed to the minute).
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

interface Entry {
  version: string;
  bucket: number;
  value: Promise<unknown>;
}

export class ReadModelCache {
  private readonly entries = new Map<string, Entry>();
  /** Asks answered from the cache, and computed: for benchmarks and `--debug`. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly db: ReportDb,
    private readonly bucketMs = READ_CACHE_BUCKET_MS,
  ) {}

  /**
   * The model `key` as of `now`: the kept answer when the data version and the time bucket are
   * those it was computed on, else `compute(now)` (kept in its place). A failed computation is
   * not kept.
   */
  async get<T>(key: string, now: Date, compute: (now: Date) => Promise<T>): Promise<T> {
    const version = await readModelVersion(this.db);
    const bucket = Math.floor(now.getTime() / this.bucketMs);
    const hit = this.entries.get(key);
    if (hit && hit.version === version && hit.bucket === bucket) {
      this.stats.hits++;
      return hit.value as Promise<T>;
    }
    this.stats.misses++;
    const value = compute(now);
    const entry: Entry = { version, bucket, value };
    this.entries.set(key, entry);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
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
