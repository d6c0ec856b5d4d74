/**
 * Opening PostgreSQL: a `pg` pool wrapped in kysely with smartlic's dialect (dialect.ts), and
 * the checks that turn a wrong URL, a wrong password or a server too old into one clear error
 * at start instead of a stack at the first query.
 */
import { Kysely } from 'kysely';
import pg from 'pg';
import type { Clock } from '../clock.ts';
import { SmartlicError } from '../errors.ts';
import { createPostgresDialect, pgTypes } from './dialect.ts';
import type { Database } from './schema.ts';

/** The oldest PostgreSQL smartlic runs on (`json_array_elements … with ordinality`, MATERIALIZED CTEs, and the docs' support window). */
export const PG_MIN_VERSION_NUM = 130000;

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

/** The URL without its password, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    for (const k of [...u.searchParams.keys()]) {
      if (/pass|secret|key/i.test(k)) u.searchParams.set(k, 'redacted');
    }
    return u
      .toString()
      .replace('redacted@', '[redacted]@')
      .replace(/=redacted/g, '=[redacted]');
  } catch {
    return url.replace(/(\/\/[^/@\s:]*):[^/@\s]*@/, '$1:[redacted]@');
  }
}

export interface OpenPostgresOptions {
  url: string;
  clock: Clock;
  /** Reads only (the site build, doctor): every transaction is read-only. */
  readonly?: boolean;
  /** Connections in the pool. */
  poolSize?: number;
  /** Milliseconds to wait for a connection before DB_UNREACHABLE. */
  connectTimeoutMs?: number;
}

export interface PostgresHandle {
  kind: 'postgres';
  db: Kysely<Database>;
  clock: Clock;
  /** The URL without its password (messages, `doctor`). */
  path: string;
  url: string;
  /** `server_version` as the server tells it, e.g. "15.8". */
  serverVersion: string;
  close(): Promise<void>;
}

/**
 * Connects, checks the server (reachable, credentials, version ≥ 13) and returns the handle.
 * Does not migrate.
 */
export async function openPostgres(opts: OpenPostgresOptions): Promise<PostgresHandle> {
  const shown = redactDatabaseUrl(opts.url);
  let config: pg.PoolConfig;
  try {
    new URL(opts.url);
    config = {
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      // Waiting for a free connection is waiting for the write lock (dialect.ts: a transaction
      // holds its connection while it waits), as SQLite's writers wait on the busy timeout; a
      // timeout here failed syncs under load. The start check below has its own timeout.
      connectionTimeoutMillis: 0,
      types: pgTypes,
      ...(opts.readonly === true ? { options: '-c default_transaction_read_only=on' } : {}),
    };
  } catch (e) {
    throw new SmartlicError({
      code: 'CONFIG',
      message: `the database URL ${shown} is not a valid URL`,
      action:
        'set SMARTLIC_DATABASE_URL (db.url) as postgres://user:password@host:5432/database (percent-encode special characters in the password)',
      cause: e,
    });
  }
  let serverVersion: string;
  try {
    const client = new pg.Client({
      ...config,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const r = await client.query<{ v: string; n: string }>(
        "select current_setting('server_version') as v, current_setting('server_version_num') as n",
      );
      serverVersion = r.rows[0]!.v;
      const num = Number(r.rows[0]!.n);
      if (!(num >= PG_MIN_VERSION_NUM)) {
        throw new SmartlicError({
          code: 'DB_VERSION',
          message: `PostgreSQL ${serverVersion} at ${shown} is too old: smartlic needs PostgreSQL 13 or later`,
          action:
            'upgrade the server to PostgreSQL 13 or later (15 or 16 recommended), or point SMARTLIC_DATABASE_URL at one',
          details: { serverVersion, serverVersionNum: num },
        });
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (e) {
    throw e instanceof SmartlicError ? e : connectError(e, shown);
  }
  const pool = new pg.Pool(config);
  // An idle connection the server drops (a restart, a failover) must not crash the process.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: createPostgresDialect({ pool }) });
  let closed = false;
  return {
    kind: 'postgres',
    db,
    clock: opts.clock,
    path: shown,
    url: opts.url,
    serverVersion,
    async close() {
      if (closed) return;
      closed = true;
      // kysely's destroy ends the pool.
      await db.destroy();
    },
  };
}

/** Why a connection failed, in the operator's terms. */
export function connectError(e: unknown, shown: string): SmartlicError {
  const code = (e as { code?: unknown } | null)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  if (code === '28P01' || code === '28000') {
    return new SmartlicError({
      code: 'DB_AUTH',
      message: `PostgreSQL at ${shown} refused the login: ${msg}`,
      action:
        'check the user and password in SMARTLIC_DATABASE_URL (db.url), and that pg_hba.conf lets this host in',
      cause: e,
    });
  }
  if (code === '3D000') {
    return new SmartlicError({
      code: 'DB_MISSING',
      message: `PostgreSQL at ${shown} has no such database: ${msg}`,
      action:
        'create it first (`createdb -O <user> <name>`, with LC_COLLATE C), then run `smartlic db migrate`',
      cause: e,
    });
  }
  if (
    typeof code === 'string' &&
    ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET'].includes(
      code,
    )
  ) {
    return new SmartlicError({
      code: 'DB_UNREACHABLE',
      message: `cannot reach PostgreSQL at ${shown} (${code})`,
      action:
        'check the host and port in SMARTLIC_DATABASE_URL (db.url), that the server runs and listens there, and any firewall between',
      cause: e,
    });
  }
  if (/timeout/i.test(msg)) {
    return new SmartlicError({
      code: 'DB_UNREACHABLE',
      message: `PostgreSQL at ${shown} did not answer in time (${msg})`,
      action: 'check the host and port in SMARTLIC_DATABASE_URL (db.url) and that the server runs',
      cause: e,
    });
  }
  return new SmartlicError({
    code: 'DB',
    message: `cannot open PostgreSQL at ${shown}: ${msg}`,
    action: 'check SMARTLIC_DATABASE_URL (db.url) and the server log',
    cause: e,
  });
}
