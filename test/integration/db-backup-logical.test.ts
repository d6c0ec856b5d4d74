// The logical backup (core/store/logical-backup.ts, logical-backup-file.ts) and `smartlic db
// backup | restore` on it (bin/cli/db.ts, core/store/backup-restore.ts), PostgreSQL and SQLite
// both ways.
// Real: the emulator over loopback HTTP, the real provision and sync writing a SQLite temp file
// (accounts with encrypted client secrets, clusters with encrypted passwords, usage, alerts,
// jobs); files in a temp directory (gzip too); PostgreSQL at SMARTLIC_TEST_PG (databases of
// this file's own), kysely, pg; the CLI through main() with its environment. Faked: the
// smartlic clock (TestClock, as in sync-fixture.ts); stdio (in-memory streams). The PostgreSQL
// cases are skipped without SMARTLIC_TEST_PG (the file says so).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MIGRATIONS,
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
  openPostgres,
  readLogicalBackupLines,
  resolveSecretKey,
  restoreLogicalBackup,
  transaction,
  verifySecretKey,
  writeLogicalBackupFile,
  exportLogicalBackup,
  type Database,
  type PostgresHandle,
  type StoreHandle,
} from '../../core/store/index.ts';
import { runCli } from '../support/helpers.ts';
import { extraTestDatabaseUrl, storeKinds } from '../support/pg.ts';
import { provisionCloud, seedClusters, setup, type Fixture } from './sync-fixture.ts';

const hasPg = storeKinds().includes('postgres');

/** Every row of every application table, sorted, compared across stores. */
async function dump(db: Kysely<Database>): Promise<Record<string, string[]>> {
  const pg = db.getExecutor().adapter.constructor.name.includes('Postgres');
  const names = pg
    ? (
        await sql<{
          n: string;
        }>`select tablename as n from pg_tables where schemaname = current_schema()`.execute(db)
      ).rows.map((r) => r.n)
    : (
        await sql<{
          n: string;
        }>`select name as n from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(
          db,
        )
      ).rows.map((r) => r.n);
  const out: Record<string, string[]> = {};
  for (const t of names.filter((n) => !/^kysely_|^smartlic_migration/.test(n)).sort()) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(t)}`.execute(db))
      .rows;
    out[t] = rows
      .map((r) =>
        JSON.stringify(Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)))),
      )
      .sort();
  }
  return out;
}

const count = (d: Record<string, string[]>) =>
  Object.values(d).reduce((n, rows) => n + rows.length, 0);

let fx: Fixture;

beforeAll(async () => {
  fx = await setup();
  const p = await provisionCloud(fx);
  await seedClusters(fx);
  const o = await fx.services.sync.syncAccount(p.account.id, { requestedBy: 'test' });
  expect(o.status).toBe('Completed');
  expect(await verifySecretKey(fx.h.db, fx.secrets, fx.clock)).toBe('recorded');
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

async function backupOf(h: StoreHandle, name: string) {
  return writeLogicalBackupFile(h, join(fx.dir, name), { clock: fx.clock });
}

async function restoreInto(file: string, h: StoreHandle, replace = false, secrets = fx.secrets) {
  return restoreLogicalBackup(readLogicalBackupLines(file), h, {
    source: file,
    replace,
    clock: fx.clock,
    verify: async (db) => {
      await verifySecretKey(db, secrets, fx.clock);
    },
  });
}

describe('logical backup on SQLite', () => {
  it('reads back into a new SQLite file: every row, the secrets open with the same key, ids continue', async () => {
    const before = await dump(fx.h.db);
    expect(before.clusters!.length).toBeGreaterThan(0);
    expect(before.licenses!.length).toBeGreaterThan(0);
    const b = await backupOf(fx.h, 'lite.jsonl.gz');
    expect(b.gzip).toBe(true);
    expect(b.header.migrations).toEqual(Object.keys(MIGRATIONS).sort());
    // The key is not in the file; the ciphertext is, as stored.
    let text = '';
    for await (const l of readLogicalBackupLines(b.path)) text += `${l}\n`;
    expect(text).not.toContain(fx.cloud().clientSecret);
    const h = openDatabase({ path: join(fx.dir, 'restored.db'), clock: fx.clock });
    try {
      const r = await restoreInto(b.path, h);
      expect(r.applied).toEqual([]);
      expect(count(await dump(h.db))).toBe(count(before));
      expect(await dump(h.db)).toEqual(before);
      const repos = createRepositories(h.db, fx.secrets, fx.clock);
      const account = (await fx.repos.smartAccounts.list())[0]!;
      expect((await repos.smartAccounts.getCredentials(account.id))?.clientSecret).toBe(
        fx.cloud().clientSecret,
      );
      const maxJob = Math.max(...(await fx.repos.jobs.list({ limit: 1000 })).map((j) => j.id));
      const job = await repos.jobs.create({ jobType: 'Sync', entityType: 'x', entityName: 'x' });
      expect(job.id).toBeGreaterThan(maxJob);
    } finally {
      await h.close();
    }
  });

  it('refuses a file cut short, a newer schema, and a key that does not open it', async () => {
    const b = await backupOf(fx.h, 'lite.jsonl');
    const lines = readFileSync(b.path, 'utf8').trimEnd().split('\n');
    const short = join(fx.dir, 'short.jsonl');
    writeFileSync(short, `${lines.slice(0, -1).join('\n')}\n`);
    const newer = join(fx.dir, 'newer.jsonl');
    const hd = JSON.parse(lines[0]!) as { migrations: string[]; smartlicVersion: string };
    hd.migrations.push('9999-from-the-future');
    hd.smartlicVersion = '9.9.9';
    writeFileSync(newer, [JSON.stringify(hd), ...lines.slice(1)].join('\n'));
    let i = 0;
    const fresh = () => openDatabase({ path: join(fx.dir, `refused-${++i}.db`), clock: fx.clock });
    for (const [file, code, words, secrets] of [
      [short, 'INPUT', /cut short/, fx.secrets],
      [newer, 'DB_NEWER', /smartlic 9\.9\.9 .*9999-from-the-future/, fx.secrets],
      [b.path, 'SECRET_KEY', /secret key/, SecretBox.random()],
    ] as const) {
      const h = fresh();
      try {
        const err = await restoreInto(file, h, false, secrets).catch((e: unknown) => e);
        expect(err, file).toMatchObject({ code });
        expect((err as Error).message).toMatch(words);
      } finally {
        await h.close();
      }
    }
  });

  it('a backup of an older schema gets the later migrations over its rows', async () => {
    const old = openDatabase({ path: join(fx.dir, 'old.db'), clock: fx.clock });
    const upTo = Object.fromEntries(
      Object.entries(MIGRATIONS).filter(([n]) => n <= '0013-usage-repeats'),
    );
    expect(
      (
        await new Migrator({
          db: old.db,
          provider: { getMigrations: () => Promise.resolve(upTo) },
        }).migrateToLatest()
      ).error,
    ).toBeUndefined();
    await sql`insert into customers (name, created_at, updated_at) values ('Acme', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`.execute(
      old.db,
    );
    const b = await backupOf(old, 'old.jsonl');
    await old.close();
    expect(b.header.migrations).toEqual(Object.keys(upTo).sort());
    const h = openDatabase({ path: join(fx.dir, 'old-restored.db'), clock: fx.clock });
    try {
      const r = await restoreInto(b.path, h);
      expect(r.applied).toEqual(Object.keys(MIGRATIONS).filter((n) => !(n in upTo)));
      expect(r.applied.length).toBeGreaterThan(0);
      expect(await migrateToLatest(h.db)).toEqual([]);
      expect(
        (await createRepositories(h.db, fx.secrets).customers.list()).map((c) => c.name),
      ).toEqual(['Acme']);
    } finally {
      await h.close();
    }
  });

  it('`db backup --format jsonl --with-key` and `db restore --with-key --force` through the CLI', async () => {
    const env = { SMARTLIC_DB: join(fx.dir, 'cli.db'), SMARTLIC_LOG_LEVEL: 'error' };
    expect((await runCli(['db', 'migrate'], env)).code).toBe(0);
    const seed = openDatabase({ path: env.SMARTLIC_DB });
    const box = new SecretBox(resolveSecretKey({ dbPath: env.SMARTLIC_DB }).key);
    await createRepositories(seed.db, box).smartAccounts.upsert({
      domain: 'acme.example.com',
      clientId: 'cid',
      clientSecret: 'the-client-secret',
    });
    await seed.close();
    const file = join(fx.dir, 'cli.jsonl');
    const b = await runCli(['db', 'backup', file, '--format', 'jsonl', '--with-key'], env);
    expect(b.code, b.err).toBe(0);
    expect(b.out).toMatch(/one consistent snapshot/);
    expect(readFileSync(file, 'utf8')).not.toContain('the-client-secret');
    expect(existsSync(`${file}.key`)).toBe(true);
    const other = { ...env, SMARTLIC_DB: join(fx.dir, 'cli-other.db') };
    expect((await runCli(['db', 'migrate'], other)).code).toBe(0);
    const refused = await runCli(['db', 'restore', file, '--with-key'], other);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/EXISTS.*--force/);
    const r = await runCli(['db', 'restore', file, '--with-key', '--force', '--json'], other);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ format: 'jsonl', applied: [] });
    expect(existsSync(`${other.SMARTLIC_DB}.before-restore`)).toBe(true);
    const h = openDatabase({ path: other.SMARTLIC_DB });
    try {
      const repos = createRepositories(
        h.db,
        new SecretBox(resolveSecretKey({ dbPath: other.SMARTLIC_DB }).key),
      );
      const a = (await repos.smartAccounts.list())[0]!;
      expect((await repos.smartAccounts.getCredentials(a.id))?.clientSecret).toBe(
        'the-client-secret',
      );
    } finally {
      await h.close();
    }
  });
});

describe.skipIf(!hasPg)('logical backup on PostgreSQL (SMARTLIC_TEST_PG)', () => {
  const open: PostgresHandle[] = [];
  const pgStore = async (label: string) => {
    const h = await openPostgres({ url: await extraTestDatabaseUrl(label), clock: fx.clock });
    open.push(h);
    return h;
  };
  afterAll(async () => {
    for (const h of open) await h.close();
  });

  it('SQLite → PostgreSQL → SQLite: every row the same, secrets open, ids continue', async () => {
    const before = await dump(fx.h.db);
    const pg = await pgStore('from_lite');
    await restoreInto((await backupOf(fx.h, 'to-pg.jsonl')).path, pg);
    expect(await dump(pg.db)).toEqual(before);
    const repos = createRepositories(pg.db, fx.secrets, fx.clock);
    const account = (await fx.repos.smartAccounts.list())[0]!;
    expect((await repos.smartAccounts.getCredentials(account.id))?.clientSecret).toBe(
      fx.cloud().clientSecret,
    );
    const back = openDatabase({ path: join(fx.dir, 'back.db'), clock: fx.clock });
    try {
      const b = await backupOf(pg, 'from-pg.jsonl.gz');
      expect(b.header.source).toBe('postgres');
      await restoreInto(b.path, back);
      expect(await dump(back.db)).toEqual(before);
    } finally {
      await back.close();
    }
    const maxJob = Math.max(...(await fx.repos.jobs.list({ limit: 1000 })).map((j) => j.id));
    const job = await repos.jobs.create({ jobType: 'Sync', entityType: 'x', entityName: 'x' });
    expect(job.id).toBeGreaterThan(maxJob);
  });

  it('the export is one snapshot and holds no lock: a write committed mid-export is not in it', async () => {
    const pg = await pgStore('snapshot');
    await restoreInto((await backupOf(fx.h, 'snap-src.jsonl')).path, pg);
    const jobsBefore = (await createRepositories(pg.db, fx.secrets).jobs.list({ limit: 1000 }))
      .length;
    const writer = await openPostgres({ url: pg.url, clock: fx.clock });
    open.push(writer);
    let wrote = false;
    const lines: string[] = [];
    await exportLogicalBackup(
      pg,
      async (line) => {
        lines.push(line);
        if (!wrote && line.startsWith('{"table"')) {
          wrote = true;
          // A smartlic write transaction (it takes the store's write lock) on another
          // connection, committed while the export runs: the export must not block it.
          await transaction(writer.db, fx.secrets, (r) =>
            r.jobs.create({ jobType: 'Sync', entityType: 'x', entityName: 'mid-export' }),
          );
        }
      },
      fx.clock,
    );
    expect(wrote).toBe(true);
    const end = JSON.parse(lines.at(-1)!) as { rows: Record<string, number> };
    expect(end.rows.jobs).toBe(jobsBefore);
    expect(lines.join('\n')).not.toContain('mid-export');
    expect((await createRepositories(pg.db, fx.secrets).jobs.list({ limit: 1000 })).length).toBe(
      jobsBefore + 1,
    );
  });

  it('a failed restore leaves PostgreSQL as it was: held data, a file cut short, a wrong key', async () => {
    const pg = await pgStore('keep');
    const good = (await backupOf(fx.h, 'keep.jsonl')).path;
    await restoreInto(good, pg);
    const before = await dump(pg.db);
    const short = join(fx.dir, 'keep-short.jsonl');
    const lines = readFileSync(good, 'utf8').trimEnd().split('\n');
    writeFileSync(short, lines.slice(0, Math.floor(lines.length / 2)).join('\n'));
    await expect(restoreInto(good, pg)).rejects.toMatchObject({ code: 'DB_NOT_EMPTY' });
    await expect(restoreInto(short, pg, true)).rejects.toMatchObject({ code: 'INPUT' });
    await expect(restoreInto(good, pg, true, SecretBox.random())).rejects.toMatchObject({
      code: 'SECRET_KEY',
    });
    expect(await dump(pg.db)).toEqual(before);
    // And --force (replace) with the right key replaces it.
    const r = await restoreInto(good, pg, true);
    expect(r.tables.find((t) => t.table === 'clusters')!.rows).toBe(before.clusters!.length);
  });

  it('`db backup` and `db restore` on PostgreSQL through the CLI, and what they refuse', async () => {
    const key = randomBytes(32).toString('hex');
    const src = await pgStore('cli_src');
    const dst = await pgStore('cli_dst');
    const env = (url: string) => ({
      SMARTLIC_DATABASE_URL: url,
      SMARTLIC_SECRET_KEY: key,
      SMARTLIC_DB: join(fx.dir, 'unused.db'),
      SMARTLIC_LOG_LEVEL: 'error',
    });
    expect((await runCli(['db', 'migrate'], env(src.url))).code).toBe(0);
    await createRepositories(src.db, new SecretBox(Buffer.from(key, 'hex'))).smartAccounts.upsert({
      domain: 'acme.example.com',
      clientId: 'cid',
      clientSecret: 'the-client-secret',
    });
    const file = join(fx.dir, 'cli-pg.jsonl.gz');
    const b = await runCli(['db', 'backup', file], env(src.url));
    expect(b.code, b.err).toBe(0);
    expect(b.out).toMatch(/gzip/);
    expect(b.err).toMatch(/keep SMARTLIC_SECRET_KEY/);
    expect(b.out + b.err).not.toContain(new URL(src.url).password || 'never-in-output');
    const r = await runCli(['db', 'restore', file, '--json'], env(dst.url));
    expect(r.code, r.err).toBe(0);
    const repos = createRepositories(dst.db, new SecretBox(Buffer.from(key, 'hex')));
    const a = (await repos.smartAccounts.list())[0]!;
    expect((await repos.smartAccounts.getCredentials(a.id))?.clientSecret).toBe(
      'the-client-secret',
    );
    const again = await runCli(['db', 'restore', file], env(dst.url));
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/DB_NOT_EMPTY.*--force/);
    expect((await runCli(['db', 'restore', file, '--force'], env(dst.url))).code).toBe(0);
    const withKey = await runCli(['db', 'restore', file, '--with-key'], env(dst.url));
    expect(withKey.code).toBe(2);
    const sqliteFmt = await runCli(
      ['db', 'backup', join(fx.dir, 'x.db'), '--format', 'sqlite'],
      env(src.url),
    );
    expect(sqliteFmt.code).toBe(2);
    expect(sqliteFmt.err).toMatch(/leave out --format/);
    // A SQLite file backup is moved in with db copy, which the refusal names.
    const liteFile = join(fx.dir, 'lite-file.db');
    const lite = openDatabase({ path: liteFile });
    await migrateToLatest(lite.db);
    await lite.close();
    const refused = await runCli(['db', 'restore', liteFile], env(dst.url));
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/db copy --to/);
    const wrongKey = await runCli(['db', 'restore', file, '--force'], {
      ...env(dst.url),
      SMARTLIC_SECRET_KEY: randomBytes(32).toString('hex'),
    });
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.err).toMatch(/SECRET_KEY.*set SMARTLIC_SECRET_KEY/);
    expect(wrongKey.err).not.toMatch(/\.key from the backup/);
  });
});
