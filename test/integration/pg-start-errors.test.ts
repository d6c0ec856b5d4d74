// Bad PostgreSQL input at start, the way an operator meets it: `smartlic serve`, `db migrate`
// and `doctor` through main() with SMARTLIC_DATABASE_URL pointing at a closed port, at a server
// that claims PostgreSQL 12, with a wrong password, and at a database a newer smartlic migrated.
// Each must stop with one line (code, what is wrong, what to do), exit non-zero, show no
// stack and no password, and change nothing.
// Real: the CLI (bin/cli via main()), the pg driver, kysely, the migrations; PostgreSQL at
// SMARTLIC_TEST_PG for the password and newer-schema cases (skipped without it, the file says
// so). Faked: the old server (test/support/pg-wire.ts speaks just enough of the wire
// protocol); stdio (in-memory streams).
// Covers bin/cli/runtime.ts (openRuntime, resolveStorage), bin/cli/doctor.ts,
// core/store/postgres.ts (the start checks), core/store/migrate.ts (DB_NEWER).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/helpers.ts';
import { closedPort, startOldServer } from '../support/pg-wire.ts';
import { TEST_PG_URL, extraTestDatabaseUrl, storeKinds } from '../support/pg.ts';

const hasPg = storeKinds().includes('postgres');
const dir = mkdtempSync(join(tmpdir(), 'smartlic-pg-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY = 'ef'.repeat(32);
const env = (url: string) => ({
  SMARTLIC_DATABASE_URL: url,
  SMARTLIC_SECRET_KEY: KEY,
  SMARTLIC_DB: join(dir, 'unused.db'),
  SMARTLIC_HTTP_PORT: '0',
  SMARTLIC_LOG_LEVEL: 'error',
});

/** Runs `argv`, which must fail at start: one line, the code, no stack, no password. */
async function refused(argv: string[], url: string, code: string, secret: string) {
  const r = await runCli(argv, env(url));
  expect(r.code, `${argv.join(' ')}: ${r.out}${r.err}`).not.toBe(0);
  const text = r.out + r.err;
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toContain(secret);
  return {
    ...r,
    text,
    line:
      r.err
        .trim()
        .split('\n')
        .find((l) => l.includes(code)) ?? '',
  };
}

describe('PostgreSQL that cannot be used, at start (no server needed)', () => {
  it('a closed port: DB_UNREACHABLE, with the host and port and what to check', async () => {
    const port = await closedPort();
    const url = `postgres://smartlic:s3cret-pw@127.0.0.1:${port}/smartlic`;
    for (const argv of [['serve'], ['db', 'migrate'], ['db', 'backup', join(dir, 'b.jsonl')]]) {
      const r = await refused(argv, url, 'DB_UNREACHABLE', 's3cret-pw');
      expect(r.line).toContain(`127.0.0.1:${port}`);
      expect(r.line).toMatch(/SMARTLIC_DATABASE_URL/);
      expect(r.code).toBe(1);
    }
    const d = await refused(['doctor'], url, 'DB_UNREACHABLE', 's3cret-pw');
    expect(d.out).toMatch(/FAIL\s+db\s.*DB_UNREACHABLE/);
  });

  it('a server older than 13: DB_VERSION, naming its version and the one needed', async () => {
    const old = await startOldServer();
    try {
      const url = `postgres://smartlic:s3cret-pw@127.0.0.1:${old.port}/smartlic`;
      for (const argv of [['serve'], ['db', 'migrate']]) {
        const r = await refused(argv, url, 'DB_VERSION', 's3cret-pw');
        expect(r.line).toContain('PostgreSQL 12.17');
        expect(r.line).toMatch(/13 or later/);
      }
    } finally {
      old.server.close();
    }
  });
});

describe.skipIf(!hasPg)('PostgreSQL that cannot be used, at start (SMARTLIC_TEST_PG)', () => {
  it('a wrong password: DB_AUTH, saying to check the user and password', async () => {
    const u = new URL(await extraTestDatabaseUrl('auth'));
    u.password = 'not-the-password';
    const probe = new pg.Client({ connectionString: u.toString() });
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
    for (const argv of [['serve'], ['db', 'migrate']]) {
      const r = await refused(argv, u.toString(), 'DB_AUTH', 'not-the-password');
      expect(r.line).toMatch(/refused the login.*check the user and password/);
    }
  });

  it('a database a newer smartlic migrated: DB_NEWER at start, and nothing is changed', async () => {
    const url = await extraTestDatabaseUrl('newer_cli');
    expect((await runCli(['db', 'migrate'], env(url))).code).toBe(0);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(
        `insert into kysely_migration (name, timestamp) values ('9999-from-the-future', '2030-01-01T00:00:00.000Z')`,
      );
      await c.query(
        `insert into smartlic_migration_versions (name, smartlic_version, applied_at) values ('9999-from-the-future', '9.1.0', '2030-01-01T00:00:00.000Z')`,
      );
      const before = (await c.query('select count(*)::int as n from kysely_migration')).rows[0];
      const pw = new URL(TEST_PG_URL!).password || 'never-in-output';
      for (const argv of [['serve'], ['db', 'migrate']]) {
        const r = await refused(argv, url, 'DB_NEWER', pw);
        expect(r.line).toMatch(/9999-from-the-future/);
        expect(r.line).toMatch(/run smartlic 9\.1\.0 or later/);
      }
      expect((await c.query('select count(*)::int as n from kysely_migration')).rows[0]).toEqual(
        before,
      );
    } finally {
      await c.end();
    }
  });
});
