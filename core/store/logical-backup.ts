/**
 * The logical backup: every row of every table, read in one consistent snapshot, written as
 * JSON lines that either store reads back (`smartlic db backup` on PostgreSQL, or
 * `--format jsonl` on SQLite; `db restore` into PostgreSQL or SQLite). It needs no client
 * tools (pg_dump) and carries the schema version, so a restore builds the schema the rows were
 * written under, puts them in, then runs the later migrations over them.
 *
 * The format (docs/storage.md), one JSON value per line:
 *   {"format":"smartlic-logical-backup","formatVersion":1, …header…, "migrations":[names]}
 *   {"table":"customers","columns":["id","name",…]}     a table, parents before children
 *   [1,"Acme",…]                                         its rows, values in column order
 *   {"end":true,"rows":{"customers":12,…},"sequences":{"customers":12,…}}
 * A file without its end line was cut short, and is refused.
 *
 * Secrets stay as stored: encrypted with the secret key, which is not in the file.
 */
import { Migrator, sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import { SmartlicError } from '../errors.ts';
import { SMARTLIC_VERSION } from '../version.ts';
import { openDatabase, type StoreHandle } from './database.ts';
import { PG_WRITE_LOCK, dialectOf } from './dialect.ts';
import {
  MIGRATION_VERSIONS_TABLE,
  migrateToLatest,
  migrationVersions,
  recordMigrationVersions,
  type MigrationVersion,
} from './migrate.ts';
import { MIGRATIONS } from './migrations/index.ts';
import type { Database } from './schema.ts';

export const LOGICAL_BACKUP_FORMAT = 'smartlic-logical-backup';
export const LOGICAL_BACKUP_FORMAT_VERSION = 1;

/** kysely's and smartlic's migration bookkeeping: the header carries it, not table lines. */
const BOOKKEEPING = new Set([
  'kysely_migration',
  'kysely_migration_lock',
  MIGRATION_VERSIONS_TABLE,
]);

/** Rows fetched at a time from the snapshot (memory stays flat whatever the table's size). */
const FETCH = 2000;

const headerSchema = z.object({
  format: z.literal(LOGICAL_BACKUP_FORMAT),
  formatVersion: z.number().int(),
  smartlicVersion: z.string(),
  source: z.enum(['sqlite', 'postgres']),
  createdAt: z.string(),
  migrations: z.array(z.string()),
  migrationVersions: z.array(
    z.object({ name: z.string(), smartlicVersion: z.string(), appliedAt: z.string() }),
  ),
  secrets: z.string(),
});
export type LogicalBackupHeader = z.infer<typeof headerSchema>;

const tableSchema = z.object({ table: z.string().min(1), columns: z.array(z.string()).min(1) });
const endSchema = z.object({
  end: z.literal(true),
  rows: z.record(z.number().int().nonnegative()),
  sequences: z.record(z.number()),
});
const rowSchema = z.array(z.union([z.string(), z.number(), z.null()]));

export interface TableRows {
  table: string;
  rows: number;
}

export interface LogicalExportResult {
  header: LogicalBackupHeader;
  tables: TableRows[];
}

export interface LogicalRestoreResult {
  header: LogicalBackupHeader;
  tables: TableRows[];
  /** Migrations this smartlic ran over the restored rows (the backup was older). */
  applied: string[];
}

type Untyped = Kysely<Record<string, Record<string, unknown>>>;

// ------------------------------------------------------------------ the tables, in order

/** Parents before the tables that reference them (self-references aside). */
function orderByParents(names: string[], edges: { child: string; parent: string }[]): string[] {
  const parents = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const e of edges) {
    if (e.child !== e.parent && parents.has(e.child) && parents.has(e.parent)) {
      parents.get(e.child)!.push(e.parent);
    }
  }
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const p of parents.get(n) ?? []) visit(p);
    out.push(n);
  };
  for (const n of [...names].sort()) visit(n);
  return out;
}

async function pgTables(db: Kysely<Database>): Promise<string[]> {
  const names = (
    await sql<{
      name: string;
    }>`select tablename as name from pg_tables where schemaname = current_schema() order by 1`.execute(
      db,
    )
  ).rows.map((r) => r.name);
  const edges = (
    await sql<{ child: string; parent: string }>`
      select c.relname as child, p.relname as parent
        from pg_constraint k
        join pg_class c on c.oid = k.conrelid
        join pg_class p on p.oid = k.confrelid
       where k.contype = 'f' and c.relnamespace = current_schema()::regnamespace`.execute(db)
  ).rows;
  return orderByParents(
    names.filter((n) => !BOOKKEEPING.has(n)),
    edges,
  );
}

/** The application tables of a SQLite file, parents before the tables that reference them. */
export function sqliteTables(sqlite: StoreHandleSqlite['sqlite']): string[] {
  const names = (
    sqlite
      .prepare(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
      )
      .all() as { name: string }[]
  )
    .map((r) => r.name)
    .filter((n) => !BOOKKEEPING.has(n));
  const edges = names.flatMap((child) =>
    (
      sqlite.prepare('select "table" as parent from pragma_foreign_key_list(?)').all(child) as {
        parent: string;
      }[]
    ).map((r) => ({ child, parent: r.parent })),
  );
  return orderByParents(names, edges);
}

type StoreHandleSqlite = Extract<StoreHandle, { kind: 'sqlite' }>;

/** The tables smartlic's migrations create (a throw-away in-memory SQLite tells). */
async function smartlicTables(): Promise<string[]> {
  const h = openDatabase({ path: ':memory:' });
  try {
    await migrateToLatest(h.db);
    return [
      ...sqliteTables(h.sqlite),
      'kysely_migration',
      'kysely_migration_lock',
      MIGRATION_VERSIONS_TABLE,
    ];
  } finally {
    await h.close();
  }
}

// ------------------------------------------------------------------ export

function checkValue(v: unknown, table: string, column: string): string | number | null {
  if (v === null || typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  // Nothing in the schema stores these; were one there, JSON would change it silently.
  throw new SmartlicError({
    code: 'DB',
    message: `${table}.${column} holds a value a logical backup cannot carry (${typeof v}); no backup was written`,
    action:
      'report it; meanwhile back up with the database tools (SQLite: db backup, PostgreSQL: pg_dump)',
  });
}

function header(
  source: 'sqlite' | 'postgres',
  migrations: string[],
  versions: MigrationVersion[],
  clock: Clock,
): LogicalBackupHeader {
  return {
    format: LOGICAL_BACKUP_FORMAT,
    formatVersion: LOGICAL_BACKUP_FORMAT_VERSION,
    smartlicVersion: SMARTLIC_VERSION,
    source,
    createdAt: clock.now().toISOString(),
    migrations,
    migrationVersions: versions,
    secrets:
      'encrypted as stored; the secret key is NOT in this file: keep SMARTLIC_SECRET_KEY (or the key file) with it',
  };
}

/**
 * Writes the whole database through `write` (one call per line, awaited: back-pressure is the
 * caller's), read in one snapshot: a REPEATABLE READ READ ONLY transaction on PostgreSQL (it
 * takes no lock, so the instances keep writing meanwhile), a read transaction on SQLite (WAL
 * lets writers go on).
 */
export async function exportLogicalBackup(
  h: StoreHandle,
  write: (line: string) => Promise<void>,
  clock: Clock,
): Promise<LogicalExportResult> {
  if (h.kind === 'postgres') return exportPostgres(h.db, write, clock);
  return exportSqlite(h, write, clock);
}

async function exportPostgres(
  db: Kysely<Database>,
  write: (line: string) => Promise<void>,
  clock: Clock,
): Promise<LogicalExportResult> {
  // A connection of its own with a plain BEGIN: kysely's transactions take smartlic's write
  // lock (dialect.ts), which would stop every instance's writes for the whole export.
  return db.connection().execute(async (conn) => {
    await sql`begin isolation level repeatable read read only`.execute(conn);
    try {
      const has = await sql<{
        n: number;
      }>`select count(*) as n from pg_tables where schemaname = current_schema() and tablename = 'kysely_migration'`.execute(
        conn,
      );
      if (Number(has.rows[0]?.n) === 0) {
        throw new SmartlicError({
          code: 'DB',
          message:
            'the database has no smartlic schema (it was never migrated); no backup was written',
          action:
            'check SMARTLIC_DATABASE_URL names the smartlic database; `smartlic db migrate` creates the schema',
        });
      }
      const migrations = (
        await sql<{ name: string }>`select name from kysely_migration order by name`.execute(conn)
      ).rows.map((r) => r.name);
      const hd = header('postgres', migrations, await migrationVersions(conn), clock);
      await write(JSON.stringify(hd));
      const tables: TableRows[] = [];
      const sequences: Record<string, number> = {};
      for (const t of await pgTables(conn)) {
        const columns = (
          await sql<{ name: string }>`
            select column_name as name from information_schema.columns
             where table_schema = current_schema() and table_name = ${t}
             order by ordinal_position`.execute(conn)
        ).rows.map((r) => r.name);
        const key = (
          await sql<{ name: string }>`
            select a.attname as name
              from pg_index i
              join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
             where i.indrelid = quote_ident(${t})::regclass and i.indisprimary
             order by array_position(i.indkey::int2[], a.attnum)`.execute(conn)
        ).rows.map((r) => r.name);
        await write(JSON.stringify({ table: t, columns }));
        const list = sql.join(columns.map((c) => sql.ref(c)));
        const order = key.length > 0 ? key : columns;
        await sql`declare smartlic_backup no scroll cursor for select ${list} from ${sql.table(t)} order by ${sql.join(order.map((c) => sql.ref(c)))}`.execute(
          conn,
        );
        let n = 0;
        for (;;) {
          const { rows } = await sql<
            Record<string, unknown>
          >`fetch ${sql.lit(FETCH)} from smartlic_backup`.execute(conn);
          for (const r of rows) {
            await write(JSON.stringify(columns.map((c) => checkValue(r[c], t, c))));
          }
          n += rows.length;
          if (rows.length < FETCH) break;
        }
        await sql`close smartlic_backup`.execute(conn);
        tables.push({ table: t, rows: n });
        if (columns.includes('id')) {
          const seq = (
            await sql<{ s: string | null }>`select pg_get_serial_sequence(${t}, 'id') as s`.execute(
              conn,
            )
          ).rows[0]?.s;
          if (seq) {
            // Not transactional, so at least what the snapshot's rows used: never too low.
            const v = (
              await sql<{
                v: number;
                called: number;
              }>`select last_value as v, is_called as called from ${sql.raw(seq)}`.execute(conn)
            ).rows[0]!;
            sequences[t] = v.called ? Number(v.v) : Number(v.v) - 1;
          }
        }
      }
      await write(JSON.stringify({ end: true, rows: rowsOf(tables), sequences }));
      await sql`commit`.execute(conn);
      return { header: hd, tables };
    } catch (e) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw e;
    }
  });
}

function rowsOf(tables: TableRows[]): Record<string, number> {
  return Object.fromEntries(tables.map((t) => [t.table, t.rows]));
}

async function exportSqlite(
  h: StoreHandleSqlite,
  write: (line: string) => Promise<void>,
  clock: Clock,
): Promise<LogicalExportResult> {
  const sqlite = h.sqlite;
  // A deferred BEGIN: the snapshot starts at the first read and blocks no writer (WAL).
  sqlite.prepare('begin').run();
  try {
    const names = new Set(
      (
        sqlite.prepare("select name from sqlite_master where type = 'table'").all() as {
          name: string;
        }[]
      ).map((r) => r.name),
    );
    const migrations = names.has('kysely_migration')
      ? (
          sqlite.prepare('select name from kysely_migration order by name').all() as {
            name: string;
          }[]
        ).map((r) => r.name)
      : [];
    const versions = names.has(MIGRATION_VERSIONS_TABLE)
      ? (
          sqlite
            .prepare(
              `select name, smartlic_version as v, applied_at as a from ${MIGRATION_VERSIONS_TABLE} order by name`,
            )
            .all() as { name: string; v: string; a: string }[]
        ).map((r) => ({ name: r.name, smartlicVersion: r.v, appliedAt: r.a }))
      : [];
    const hd = header('sqlite', migrations, versions, clock);
    await write(JSON.stringify(hd));
    const tables: TableRows[] = [];
    const sequences: Record<string, number> = {};
    for (const t of sqliteTables(sqlite)) {
      const st = sqlite.prepare(`select * from "${t.replaceAll('"', '""')}" order by rowid`);
      const columns = st.columns().map((c) => c.name);
      await write(JSON.stringify({ table: t, columns }));
      let n = 0;
      for (const r of st.raw(true).iterate() as IterableIterator<unknown[]>) {
        await write(JSON.stringify(r.map((v, i) => checkValue(v, t, columns[i]!))));
        n++;
      }
      tables.push({ table: t, rows: n });
    }
    if (names.has('sqlite_sequence')) {
      for (const r of sqlite.prepare('select name, seq from sqlite_sequence').all() as {
        name: string;
        seq: number;
      }[]) {
        if (tables.some((t) => t.table === r.name)) sequences[r.name] = Number(r.seq);
      }
    }
    await write(JSON.stringify({ end: true, rows: rowsOf(tables), sequences }));
    return { header: hd, tables };
  } finally {
    sqlite.prepare('commit').run();
  }
}

// ------------------------------------------------------------------ restore

function badBackup(source: string, what: string): SmartlicError {
  return new SmartlicError({
    code: 'INPUT',
    message: `${source} is not a usable smartlic logical backup: ${what}; nothing was changed`,
    action: 'give a file `smartlic db backup` wrote, whole (a copy cut short is refused)',
  });
}

function parseLine<T>(schema: z.ZodType<T>, line: string, source: string, where: string): T {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw badBackup(source, `${where} is not JSON`);
  }
  const r = schema.safeParse(v);
  if (!r.success) {
    throw badBackup(source, `${where}: ${r.error.issues[0]?.message ?? 'unexpected content'}`);
  }
  return r.data;
}

export interface LogicalRestoreOptions {
  /** The backup's name, for messages. */
  source: string;
  /** Replace what the target holds (all of smartlic's tables are dropped and rebuilt). */
  replace?: boolean;
  /**
   * Runs on the restored database before it is committed (PostgreSQL) or handed back: the
   * key check. When it throws, nothing is restored.
   */
  verify?: (db: Kysely<Database>) => Promise<void>;
  clock: Clock;
}

/**
 * Reads a logical backup (`lines`, one per element) into `target`: PostgreSQL in one
 * transaction (a failure, a short file, a wrong key leave the target as it was), or an empty
 * SQLite file (the caller writes a new file and moves it in place only on success). Refuses a
 * backup of a newer schema (DB_NEWER) and a target that holds data unless `replace`
 * (DB_NOT_EMPTY). Builds the backup's schema, loads the rows, checks every table's count
 * against the end line, then runs the migrations the backup predates.
 */
export async function restoreLogicalBackup(
  lines: AsyncIterable<string>,
  target: StoreHandle,
  opts: LogicalRestoreOptions,
): Promise<LogicalRestoreResult> {
  const it = lines[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done === true) throw badBackup(opts.source, 'the file is empty');
  const hd = parseLine(headerSchema, first.value, opts.source, 'line 1 (the header)');
  if (hd.formatVersion > LOGICAL_BACKUP_FORMAT_VERSION) {
    throw new SmartlicError({
      code: 'DB_NEWER',
      message: `${opts.source} is in logical backup format ${hd.formatVersion}, written by smartlic ${hd.smartlicVersion}; this smartlic ${SMARTLIC_VERSION} reads format ${LOGICAL_BACKUP_FORMAT_VERSION}; nothing was changed`,
      action: `restore it with smartlic ${hd.smartlicVersion} or later`,
    });
  }
  const unknown = hd.migrations.filter((m) => !(m in MIGRATIONS));
  if (unknown.length > 0) {
    throw new SmartlicError({
      code: 'DB_NEWER',
      message: `${opts.source} was written by smartlic ${hd.smartlicVersion} with migration(s) ${unknown.join(', ')} that this smartlic ${SMARTLIC_VERSION} does not know; nothing was changed`,
      action: `restore it with smartlic ${hd.smartlicVersion} or later (upgrade this installation)`,
      details: { unknownMigrations: unknown },
    });
  }
  const known = await smartlicTables();
  if (target.kind === 'postgres') {
    return target.db.connection().execute(async (conn) => {
      await sql`begin`.execute(conn);
      try {
        // The same lock every smartlic transaction takes first (dialect.ts): no instance
        // writes half-way through the restore.
        await sql`select pg_advisory_xact_lock(${sql.lit(PG_WRITE_LOCK)})`.execute(conn);
        const present = new Set(
          (
            await sql<{
              name: string;
            }>`select tablename as name from pg_tables where schemaname = current_schema()`.execute(
              conn,
            )
          ).rows.map((r) => r.name),
        );
        const mine = known.filter((t) => present.has(t));
        await refuseHeld(conn, mine, target.path, opts);
        if (mine.length > 0) {
          await sql`drop table ${sql.join(mine.map((t) => sql.table(t)))} cascade`.execute(conn);
        }
        const r = await load(conn, it, hd, opts, true);
        await sql`commit`.execute(conn);
        return r;
      } catch (e) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw restoreFailed(e, target.path);
      }
    });
  }
  const present = sqliteTables(target.sqlite);
  if (present.length > 0) {
    throw new SmartlicError({
      code: 'DB_NOT_EMPTY',
      message: `${target.path} already has tables: a logical backup is restored into a new SQLite file`,
      action: 'restore into a new file (`smartlic db restore` does so, then moves it in place)',
    });
  }
  try {
    return await load(target.db, it, hd, opts, false);
  } catch (e) {
    throw restoreFailed(e, target.path);
  }
}

function restoreFailed(e: unknown, path: string): SmartlicError {
  if (e instanceof SmartlicError) return e;
  return new SmartlicError({
    code: 'DB',
    message: `restoring into ${path} failed: ${e instanceof Error ? e.message : String(e)}; nothing was restored`,
    action: 'report it (run with --debug for the details); the database was left as it was',
    cause: e,
  });
}

/** DB_NOT_EMPTY unless every table is empty (the key check `db migrate` stores aside). */
async function refuseHeld(
  db: Kysely<Database>,
  tables: string[],
  path: string,
  opts: LogicalRestoreOptions,
): Promise<void> {
  if (opts.replace === true) return;
  const held: string[] = [];
  for (const t of tables) {
    if (BOOKKEEPING.has(t)) continue;
    const q = (db as unknown as Untyped)
      .selectFrom(t)
      .select((eb) => eb.fn.countAll<number>().as('n'));
    const r = await (
      t === 'settings' ? q.where('key', '!=', 'secret_key_check') : q
    ).executeTakeFirstOrThrow();
    if (Number(r.n) > 0) held.push(`${t} (${Number(r.n)})`);
  }
  if (held.length > 0) {
    throw new SmartlicError({
      code: 'DB_NOT_EMPTY',
      message: `${path} already holds data: ${held.slice(0, 5).join(', ')}${held.length > 5 ? ', …' : ''}; nothing was restored`,
      action:
        'restore into an empty database, or pass --force to replace everything smartlic keeps there (stop every smartlic instance first)',
    });
  }
}

async function load(
  db: Kysely<Database>,
  it: AsyncIterator<string>,
  hd: LogicalBackupHeader,
  opts: LogicalRestoreOptions,
  inOpenTransaction: boolean,
): Promise<LogicalRestoreResult> {
  // The schema the rows were written under; the later migrations run over them below.
  const { error } = await new Migrator({
    db,
    provider: {
      getMigrations: () =>
        Promise.resolve(
          Object.fromEntries(Object.entries(MIGRATIONS).filter(([n]) => hd.migrations.includes(n))),
        ),
    },
    allowUnorderedMigrations: true,
    disableTransactions: inOpenTransaction,
  }).migrateToLatest();
  if (error !== undefined) {
    throw new SmartlicError({
      code: 'DB',
      message: `building the backup's schema failed: ${error instanceof Error ? error.message : 'unknown error'}; nothing was restored`,
      action: 'report it with the backup header (its first line)',
      cause: error,
    });
  }
  await recordMigrationVersions(db, hd.migrationVersions);
  const tables: TableRows[] = [];
  const seen = new Set<string>();
  const columnsOf = new Map<string, string[]>();
  let current:
    | {
        table: string;
        columns: string[];
        batch: number;
        rows: Record<string, unknown>[];
        n: number;
      }
    | undefined;
  let end: z.infer<typeof endSchema> | undefined;
  let lineNo = 1;
  const body = async (trxDb: Kysely<Database>) => {
    const uu = trxDb as unknown as Untyped;
    const flushTo = async () => {
      if (!current || current.rows.length === 0) return;
      const rows = current.rows.splice(0);
      try {
        await uu.insertInto(current.table).values(rows).execute();
      } catch (e) {
        throw new SmartlicError({
          code: 'DB',
          message: `restoring ${current.table} failed near line ${lineNo} of ${opts.source}: ${e instanceof Error ? e.message : String(e)}; nothing was restored`,
          action: 'check that the file is the one `smartlic db backup` wrote, unchanged',
          cause: e,
        });
      }
    };
    for (let r = await it.next(); r.done !== true; r = await it.next()) {
      lineNo++;
      const line = r.value;
      if (line.trim() === '') continue;
      if (end) throw badBackup(opts.source, `line ${lineNo} follows the end line`);
      if (line.startsWith('[')) {
        if (!current) throw badBackup(opts.source, `line ${lineNo} is a row before any table`);
        const values = parseLine(rowSchema, line, opts.source, `line ${lineNo}`);
        if (values.length !== current.columns.length) {
          throw badBackup(
            opts.source,
            `line ${lineNo} has ${values.length} values for ${current.columns.length} columns of ${current.table}`,
          );
        }
        const row: Record<string, unknown> = {};
        current.columns.forEach((c, i) => (row[c] = values[i]));
        current.rows.push(row);
        current.n++;
        if (current.rows.length >= current.batch) await flushTo();
        continue;
      }
      await flushTo();
      if (current) tables.push({ table: current.table, rows: current.n });
      current = undefined;
      if (line.includes('"end"')) {
        end = parseLine(endSchema, line, opts.source, `line ${lineNo} (the end line)`);
        continue;
      }
      const t = parseLine(tableSchema, line, opts.source, `line ${lineNo}`);
      if (seen.has(t.table)) throw badBackup(opts.source, `table ${t.table} appears twice`);
      seen.add(t.table);
      columnsOf.set(t.table, t.columns);
      // PostgreSQL takes at most 65 535 parameters per statement.
      current = {
        table: t.table,
        columns: t.columns,
        batch: Math.max(1, Math.floor(30_000 / t.columns.length)),
        rows: [],
        n: 0,
      };
    }
    await flushTo();
    if (current) tables.push({ table: current.table, rows: current.n });
    if (!end) throw badBackup(opts.source, 'it has no end line: the file was cut short');
    const wrong: string[] = [];
    for (const [t, n] of Object.entries(end.rows)) {
      const read = tables.find((x) => x.table === t)?.rows;
      if (read !== n) wrong.push(`${t}: ${n} written, ${read ?? 0} in the file`);
    }
    for (const t of tables) {
      const r = await uu
        .selectFrom(t.table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      if (Number(r.n) !== t.rows)
        wrong.push(`${t.table}: ${t.rows} in the file, ${Number(r.n)} restored`);
    }
    if (wrong.length > 0) {
      throw badBackup(opts.source, `the row counts do not match (${wrong.join('; ')})`);
    }
    await restoreSequences(trxDb, tables, columnsOf, end.sequences);
  };
  if (!inOpenTransaction) {
    // One write transaction for the rows: a row at a time would sync the file each time.
    await db.transaction().execute((trx) => body(trx));
  } else {
    await body(db);
  }
  const applied = await migrateToLatest(db, opts.clock, { inOpenTransaction });
  if (opts.verify) await opts.verify(db);
  return { header: hd, tables, applied };
}

/** Ids continue after the backup's (and after any it had used and deleted since). */
async function restoreSequences(
  db: Kysely<Database>,
  tables: TableRows[],
  columns: Map<string, string[]>,
  sequences: Record<string, number>,
): Promise<void> {
  const pg = dialectOf(db) === 'postgres';
  for (const { table } of tables) {
    if (pg) {
      if (!columns.get(table)?.includes('id')) continue;
      const seq = (
        await sql<{ s: string | null }>`select pg_get_serial_sequence(${table}, 'id') as s`.execute(
          db,
        )
      ).rows[0]?.s;
      if (!seq) continue;
      const floor = sequences[table] ?? 0;
      await sql`select setval(${seq}, greatest(${floor}::bigint, coalesce((select max(id) from ${sql.table(table)}), 0)) + 1, false)`.execute(
        db,
      );
    } else if (sequences[table] !== undefined) {
      // sqlite_sequence holds the largest id an AUTOINCREMENT table ever used.
      const has = await sql<{
        n: number;
      }>`select count(*) as n from sqlite_sequence where name = ${table}`.execute(db);
      if (Number(has.rows[0]?.n ?? 0) > 0) {
        await sql`update sqlite_sequence set seq = max(seq, ${sequences[table]}) where name = ${table}`.execute(
          db,
        );
      } else {
        await sql`insert into sqlite_sequence (name, seq) values (${table}, ${sequences[table]})`.execute(
          db,
        );
      }
    }
  }
}
