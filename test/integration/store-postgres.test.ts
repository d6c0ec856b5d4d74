// PostgreSQL as the store (issue 24): the start checks say what is wrong and what to do, never a
// stack; the same migrations give the same schema on both stores, and the SQLite schema they give
// is the one before PostgreSQL existed (test/golden/sqlite-schema.sql, taken before
// core/store/dialect.ts was written).
// Real: SQLite (:memory:), PostgreSQL at SMARTLIC_TEST_PG (test/support/pg.ts; those cases are
// skipped without it, and the file says so), the pg driver, kysely, the migrations, a TCP
// listener on 127.0.0.1 that speaks just enough of PostgreSQL's wire protocol to claim version
// 12 (no PostgreSQL 12 is installed here). Faked: nothing of ours.
// Covers core/store/postgres.ts, core/store/database.ts (openStore), core/store/dialect.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Migrator } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { SmartlicError } from '../../core/errors.ts';
import { MIGRATIONS } from '../../core/store/migrations/index.ts';
import {
  migrateToLatest,
  openDatabase,
  openPostgres,
  openStore,
  type PostgresHandle,
} from '../../core/store/index.ts';
import { extraTestDatabaseUrl, storeKinds, TEST_PG_URL } from '../support/pg.ts';
import { closedPort, startOldServer } from '../support/pg-wire.ts';

const hasPg = storeKinds().includes('postgres');

async function startError(p: Promise<unknown>): Promise<SmartlicError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SmartlicError);
    return e as SmartlicError;
  }
  throw new Error('expected the open to fail');
}

describe('start checks that need no PostgreSQL', () => {
  it('an unreachable server is DB_UNREACHABLE, with the URL shown without its password', async () => {
    const port = await closedPort();
    const err = await startError(
      openStore({ path: '', url: `postgres://smartlic:hunter22@127.0.0.1:${port}/smartlic` }),
    );
    expect(err.code).toBe('DB_UNREACHABLE');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.toLine()).not.toContain('hunter22');
    expect(err.action).toMatch(/SMARTLIC_DATABASE_URL/);
    expect(err.stack ?? '').not.toContain('hunter22');
  });

  it('a URL that is not postgres:// is CONFIG and names the setting', async () => {
    const err = await startError(openStore({ path: '', url: 'mysql://u:pw@127.0.0.1/x' }));
    expect(err.code).toBe('CONFIG');
    expect(err.message).toMatch(/SMARTLIC_DATABASE_URL/);
    expect(err.toLine()).not.toContain(':pw@');
  });

  it('a server older than PostgreSQL 13 is DB_VERSION and says which version it is', async () => {
    const old = await startOldServer();
    try {
      const err = await startError(
        openStore({ path: '', url: `postgres://u:secretpw@127.0.0.1:${old.port}/x` }),
      );
      expect(err.code).toBe('DB_VERSION');
      expect(err.message).toContain('PostgreSQL 12.17');
      expect(err.action).toMatch(/13 or later/);
      expect(err.toLine()).not.toContain('secretpw');
    } finally {
      old.server.close();
    }
  });

  it('the SQLite schema is the one from before PostgreSQL (sqlite_master, byte for byte)', async () => {
    const h = openDatabase({ path: ':memory:' });
    try {
      // The migrations that existed before PostgreSQL (up to 0013; the golden was dumped from
      // them): making them dialect-aware must not change what they create on SQLite. Later
      // migrations add tables of their own and are held to both stores by the test below.
      const before = Object.fromEntries(
        Object.entries(MIGRATIONS).filter(([name]) => name <= '0013-usage-repeats'),
      );
      const { error } = await new Migrator({
        db: h.db,
        provider: { getMigrations: () => Promise.resolve(before) },
      }).migrateToLatest();
      expect(error).toBeUndefined();
      const rows = h.sqlite
        .prepare(
          "select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_%' order by type, name",
        )
        .all() as { type: string; name: string; tbl_name: string; sql: string | null }[];
      const text = rows.map((r) => `-- ${r.type} ${r.name} on ${r.tbl_name}\n${r.sql};\n`).join('');
      // The version ledger is written by migrateToLatest, not by a migration: not compared.
      const golden = readFileSync(
        join(import.meta.dirname, '..', 'golden', 'sqlite-schema.sql'),
        'utf8',
      ).replace(
        /-- table smartlic_migration_versions on smartlic_migration_versions\n[^\n]*\n/,
        '',
      );
      expect(golden).not.toContain('smartlic_migration_versions');
      expect(text).toBe(golden);
    } finally {
      await h.close();
    }
  });
});

describe.skipIf(!hasPg)('PostgreSQL start checks and schema (SMARTLIC_TEST_PG)', () => {
  const open: PostgresHandle[] = [];
  afterAll(async () => {
    for (const h of open) await h.close();
  });

  it('a wrong password is DB_AUTH, without the password', async () => {
    const u = new URL(TEST_PG_URL!);
    // .ci/run's server asks for a password on 127.0.0.1 (trust would accept any).
    // (The password goes in the URL: pg lets the connection string's own win over an option.)
    const wrong = new URL(u);
    wrong.password = 'not-the-password';
    const probe = new pg.Client({ connectionString: wrong.toString() });
    const trusts = await probe.connect().then(
      async () => {
        await probe.end();
        return true;
      },
      () => false,
    );
    if (trusts) {
      console.log('wrong-password case skipped: the test server trusts 127.0.0.1 (no password)');
      return;
    }
    u.password = 'not-the-password';
    const err = await startError(openStore({ path: '', url: u.toString() }));
    expect(err.code).toBe('DB_AUTH');
    expect(err.action).toMatch(/password/);
    expect(err.toLine()).not.toContain('not-the-password');
  });

  it('a database that does not exist is DB_MISSING, with how to create it', async () => {
    const u = new URL(TEST_PG_URL!);
    u.pathname = '/smartlic_no_such_database';
    const err = await startError(openStore({ path: '', url: u.toString() }));
    expect(err.code).toBe('DB_MISSING');
    expect(err.action).toMatch(/createdb/);
  });

  it('a database a newer smartlic migrated is DB_NEWER, as on SQLite', async () => {
    const h = await openPostgres({
      url: await extraTestDatabaseUrl('newer'),
      clock: { now: () => new Date() },
    });
    open.push(h);
    await migrateToLatest(h.db);
    await new pg.Client({ connectionString: h.url }).connect().then(async (c) => {
      await c.query(
        `insert into kysely_migration (name, timestamp) values ('9999-from-the-future', '2030-01-01T00:00:00.000Z')`,
      );
      await c.end();
    });
    const err = await startError(migrateToLatest(h.db));
    expect(err.code).toBe('DB_NEWER');
    expect(err.message).toContain('9999-from-the-future');
  });

  it('the same migrations give the same tables, columns, nullability and indexes on both', async () => {
    const lite = openDatabase({ path: ':memory:' });
    const h = await openPostgres({
      url: await extraTestDatabaseUrl('schema'),
      clock: { now: () => new Date() },
    });
    open.push(h);
    try {
      await migrateToLatest(lite.db);
      await migrateToLatest(h.db);
      // A primary key is never null on PostgreSQL; SQLite's table_info calls a text one
      // nullable (its old quirk). Both refuse duplicates, so keys are compared as keys.
      const isKey = (table: string, column: string) =>
        (
          lite.sqlite
            .prepare('select count(*) as n from pragma_table_info(?) where name = ? and pk > 0')
            .get(table, column) as { n: number }
        ).n > 0;
      const shape = async (db: typeof h.db) =>
        (await db.introspection.getTables())
          .map((t) => ({
            table: t.name,
            view: t.isView,
            columns: t.columns
              .map((c) =>
                isKey(t.name, c.name)
                  ? `${c.name} key`
                  : `${c.name}${c.isNullable ? '' : ' not null'}`,
              )
              .sort(),
          }))
          .sort((a, b) => a.table.localeCompare(b.table));
      expect(await shape(h.db)).toEqual(await shape(lite.db));
      const liteIdx = (
        lite.sqlite
          .prepare("select name from sqlite_master where type = 'index' and sql is not null")
          .all() as { name: string }[]
      )
        .map((r) => r.name)
        .sort();
      // The indexes a migration names (a unique index included), not those PostgreSQL makes
      // for a primary key or UNIQUE constraint (SQLite's autoindexes, left out above).
      const c = new pg.Client({ connectionString: h.url });
      await c.connect();
      const pgIdx = (
        await c.query<{ name: string }>(
          "select indexname as name from pg_indexes i where schemaname = 'public' and not exists (select 1 from pg_constraint c where c.conname = i.indexname)",
        )
      ).rows
        .map((r) => r.name)
        .sort();
      await c.end();
      expect(pgIdx).toEqual(liteIdx);
    } finally {
      await lite.close();
    }
  });
});
