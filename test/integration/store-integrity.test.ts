// Real: SQLite files made by the real CLI (`smartlic db migrate`, in-process `main`), really
// damaged (pages of a copy overwritten with junk) or really carrying a migration from a newer
// smartlic (rows in kysely_migration and smartlic_migration_versions); `smartlic doctor`,
// `db backup` and `status` run on them through the real CLI entry. Faked: nothing.
// Covers: core/store/integrity.ts (quick_check in doctor, integrity_check before a backup),
// core/store/migrate.ts (newer schema refused with the version it needs; versions recorded),
// bin/cli/doctor.ts.
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, MIGRATION_VERSIONS_TABLE } from '../../core/store/index.ts';
import { SMARTLIC_VERSION } from '../../core/version.ts';
import { runCli } from '../support/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-integrity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const envFor = (db: string): NodeJS.ProcessEnv => ({
  SMARTLIC_DB: db,
  SMARTLIC_LOG_LEVEL: 'silent',
});

interface DoctorJson {
  ok: boolean;
  checks: { check: string; verdict: string; message: string; fix?: string; code?: string }[];
}

/** A migrated database with enough rows to span many pages, and its key file beside it. */
async function makeDb(name: string): Promise<string> {
  const db = join(dir, name);
  const m = await runCli(['db', 'migrate'], envFor(db));
  expect(m.code, m.err).toBe(0);
  const sq = new BetterSqlite3(db);
  sq.exec('create table bulk (id integer primary key, body text)');
  sq.exec('create index bulk_body_idx on bulk (body)');
  const ins = sq.prepare('insert into bulk (body) values (?)');
  sq.transaction(() => {
    for (let i = 0; i < 3000; i++) ins.run(`row ${i} ${'x'.repeat(200)}`);
  })();
  sq.pragma('wal_checkpoint(TRUNCATE)');
  sq.close();
  return db;
}

/** Overwrites pages `from`..`to` (1-based) of `file` with junk, as a bad disk or a stray write would. */
function damage(file: string, from: number, to: number, pageSize = 4096): void {
  const fd = openSync(file, 'r+');
  try {
    for (let p = from; p <= to; p++) {
      const junk = Buffer.alloc(pageSize, 0);
      for (let i = 0; i < pageSize; i++) junk[i] = (i * 31 + p * 7) & 0xff;
      writeSync(fd, junk, 0, pageSize, (p - 1) * pageSize);
    }
  } finally {
    closeSync(fd);
  }
}

describe('a damaged database', () => {
  let good: string;
  let bad: string;
  beforeAll(async () => {
    good = await makeDb('good.db');
    bad = join(dir, 'bad.db');
    copyFileSync(good, bad);
    copyFileSync(`${good}.key`, `${bad}.key`);
    const pages = Number(
      new BetterSqlite3(good, { readonly: true }).pragma('page_count', { simple: true }),
    );
    expect(pages).toBeGreaterThan(60);
    damage(bad, pages - 40, pages - 30);
  });

  it('doctor says it is damaged and what to do (exit 1); the intact file passes', async () => {
    const ok = await runCli(['doctor', '--json'], envFor(good));
    const okJson = JSON.parse(ok.out) as DoctorJson;
    expect(okJson.checks.find((c) => c.check === 'db')?.message).toMatch(
      /quick_check finds the file sound/,
    );
    expect(okJson.checks.some((c) => c.check === 'db.integrity')).toBe(false);

    const r = await runCli(['doctor', '--json'], envFor(bad));
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as DoctorJson;
    const c = j.checks.find((x) => x.check === 'db.integrity')!;
    expect(c.verdict).toBe('fail');
    expect(c.code).toBe('DB_CORRUPT');
    expect(c.message).toMatch(/^the database .*bad\.db is damaged: SQLite's quick_check found/);
    expect(c.fix).toMatch(
      /restore the last good backup \(`smartlic db restore <backup> --with-key --force`\)/,
    );
    expect(c.fix).toMatch(/\.recover/);
  });

  it('db backup refuses it after a full integrity_check (non-zero, nothing written); the intact one is copied', async () => {
    const target = join(dir, 'copy-of-bad.db');
    const r = await runCli(['db', 'backup', target], envFor(bad));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(
      /DB_CORRUPT: the database .*bad\.db is damaged: SQLite's integrity_check found/,
    );
    expect(r.err).toMatch(/no backup was written to .*copy-of-bad\.db/);
    expect(existsSync(target)).toBe(false);

    const fine = await runCli(['db', 'backup', join(dir, 'copy-of-good.db')], envFor(good));
    expect(fine.code, fine.err).toBe(0);
  });
});

describe('a database from a newer smartlic', () => {
  it('every migration applied is recorded with the smartlic version that applied it', async () => {
    const db = await makeDb('recorded.db');
    const sq = new BetterSqlite3(db, { readonly: true });
    const rows = sq
      .prepare(`select name, smartlic_version from ${MIGRATION_VERSIONS_TABLE} order by name`)
      .all() as { name: string; smartlic_version: string }[];
    sq.close();
    expect(rows.map((r) => r.name)).toEqual(Object.keys(MIGRATIONS).sort());
    expect(new Set(rows.map((r) => r.smartlic_version))).toEqual(new Set([SMARTLIC_VERSION]));
  });

  it('says which smartlic it needs and that this build is older — never "restore the last backup"', async () => {
    const db = await makeDb('newer.db');
    const sq = new BetterSqlite3(db);
    sq.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run(
      '0042-from-the-future',
      '2027-06-01T00:00:00.000Z',
    );
    sq.prepare(
      `insert into ${MIGRATION_VERSIONS_TABLE} (name, smartlic_version, applied_at) values (?, ?, ?)`,
    ).run('0042-from-the-future', '0.10.2', '2027-06-01T00:00:00.000Z');
    sq.close();

    const r = await runCli(['status'], envFor(db));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(
      new RegExp(
        `DB_NEWER: the database was upgraded by a newer smartlic \\(0\\.10\\.2\\): it has migration\\(s\\) 0042-from-the-future that this smartlic ${SMARTLIC_VERSION.replace(/\./g, '\\.')} does not know`,
      ),
    );
    expect(r.err).toMatch(/this build is older than the database/);
    expect(r.err).toMatch(/run smartlic 0\.10\.2 or later on it/);
    expect(r.err).not.toMatch(/restore the last backup or report/);

    const d = await runCli(['doctor', '--json'], envFor(db));
    expect(d.code).toBe(1);
    const c = (JSON.parse(d.out) as DoctorJson).checks.find((x) => x.check === 'db')!;
    expect(c.code).toBe('DB_NEWER');
    expect(c.fix).toMatch(/run smartlic 0\.10\.2 or later/);

    // Nothing was changed: the newer migration is still there and nothing was rolled back.
    const after = new BetterSqlite3(db, { readonly: true });
    expect(
      after
        .prepare("select count(*) as n from kysely_migration where name = '0042-from-the-future'")
        .get(),
    ).toEqual({ n: 1 });
    after.close();
  });

  it('a newer database whose version was never recorded still says this build is older', async () => {
    const db = await makeDb('newer-unrecorded.db');
    const sq = new BetterSqlite3(db);
    sq.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run(
      '0042-from-the-future',
      '2027-06-01T00:00:00.000Z',
    );
    sq.close();
    const r = await runCli(['account', 'list'], envFor(db));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/DB_NEWER: .*0042-from-the-future.*this build is older/);
    expect(r.err).toMatch(/at the version that last opened this database, or later/);
  });
});
