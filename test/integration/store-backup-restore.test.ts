// Restoring a backup into a SQLite file, and the key file beside a backup.
// Real: SQLite files in a temp directory (migrated by the real migrations, the key check
// recorded with a real SecretBox), backups written by the real backupDatabase and
// writeLogicalBackupFile (gzip too), the file system. Faked: nothing; the key is random bytes.
// Covers: core/store/backup-restore.ts (restoreSqliteBackup, copyKeyFileBeside,
// isSmartlicSqliteFile); `smartlic db restore` through the CLI is covered in
// db-backup-logical.test.ts and store-secrets.test.ts.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SecretBox,
  SettingsRepository,
  backupDatabase,
  copyKeyFileBeside,
  isSmartlicSqliteFile,
  migrateToLatest,
  openDatabase,
  restoreSqliteBackup,
  verifySecretKey,
  writeLogicalBackupFile,
  type Database,
} from '../../core/store/index.ts';
import { rejection } from '../support/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-backup-restore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = randomBytes(32);
const otherKey = randomBytes(32);
const verifyWith =
  (k: Uint8Array) =>
  async (db: Kysely<Database>): Promise<void> => {
    await verifySecretKey(db, new SecretBox(k));
  };

/** A migrated database holding `note` in its settings, its key check recorded with `key`. */
async function makeDb(name: string, note: string): Promise<string> {
  const path = join(dir, name);
  const h = openDatabase({ path });
  try {
    await migrateToLatest(h.db);
    await verifySecretKey(h.db, new SecretBox(key), h.clock);
    await new SettingsRepository(h.db, new SecretBox(key), h.clock).set('note', note);
  } finally {
    await h.close();
  }
  return path;
}

async function noteOf(path: string): Promise<string | undefined> {
  const h = openDatabase({ path, readonly: true });
  try {
    return await new SettingsRepository(h.db, new SecretBox(key), h.clock).get('note');
  } finally {
    await h.close();
  }
}

/** A file copy and a gzip logical export of a database holding `note`. */
async function backupsOf(note: string): Promise<{ copy: string; logical: string }> {
  const live = await makeDb(`live-${note}.db`, note);
  const h = openDatabase({ path: live, readonly: true });
  try {
    const copy = (await backupDatabase(h.sqlite, join(dir, `${note}.db`))).path;
    const logical = (
      await writeLogicalBackupFile(h, join(dir, `${note}.jsonl.gz`), { clock: h.clock })
    ).path;
    return { copy, logical };
  } finally {
    await h.close();
  }
}

const leftovers = () => readdirSync(dir).filter((f) => f.includes('.partial-'));

describe('restoreSqliteBackup', () => {
  it('restores a file copy and a logical export into new files, verified there first', async () => {
    const b = await backupsOf('first');
    const seen: string[] = [];
    const fromCopy = await restoreSqliteBackup({
      source: b.copy,
      logical: false,
      dbPath: join(dir, 'new-from-copy.db'),
      replace: false,
      verify: async (db, clock) => {
        seen.push((await new SettingsRepository(db, new SecretBox(key), clock).get('note'))!);
        await verifyWith(key)(db);
      },
    });
    expect(fromCopy).toEqual({ loaded: undefined, keyFile: null, previous: null });
    expect(await noteOf(join(dir, 'new-from-copy.db'))).toBe('first');

    const fromLogical = await restoreSqliteBackup({
      source: b.logical,
      logical: true,
      dbPath: join(dir, 'sub', 'new-from-logical.db'),
      replace: false,
      verify: verifyWith(key),
    });
    expect(fromLogical.loaded?.tables.find((t) => t.table === 'settings')?.rows).toBeGreaterThan(1);
    expect(fromLogical.previous).toBeNull();
    expect(await noteOf(join(dir, 'sub', 'new-from-logical.db'))).toBe('first');
    expect(seen).toEqual(['first']);
    expect(leftovers()).toEqual([]);
  });

  it('replaces an existing database only when asked, keeping the old file as .before-restore', async () => {
    const b = await backupsOf('second');
    const target = await makeDb('target.db', 'old');
    const refused = await rejection(
      restoreSqliteBackup({
        source: b.copy,
        logical: false,
        dbPath: target,
        replace: false,
        verify: verifyWith(key),
      }),
    );
    expect(refused.code).toBe('EXISTS');
    expect(refused.message).toContain(target);
    expect(await noteOf(target)).toBe('old');

    const r = await restoreSqliteBackup({
      source: b.logical,
      logical: true,
      dbPath: target,
      replace: true,
      verify: verifyWith(key),
    });
    expect(r.previous).toBe(`${target}.before-restore`);
    expect(await noteOf(target)).toBe('second');
    expect(await noteOf(`${target}.before-restore`)).toBe('old');
  });

  it('a key that does not open the backup, or the database itself as source, replaces nothing', async () => {
    const b = await backupsOf('third');
    const target = await makeDb('kept.db', 'kept');
    for (const [source, logical] of [
      [b.copy, false],
      [b.logical, true],
    ] as const) {
      const e = await rejection(
        restoreSqliteBackup({
          source,
          logical,
          dbPath: target,
          replace: true,
          verify: verifyWith(otherKey),
        }),
      );
      expect(e.code).toBe('SECRET_KEY');
      expect(await noteOf(target)).toBe('kept');
      expect(leftovers()).toEqual([]);
    }
    const self = await rejection(
      restoreSqliteBackup({
        source: target,
        logical: false,
        dbPath: target,
        replace: true,
        verify: verifyWith(key),
      }),
    );
    expect(self.code).toBe('INPUT');
    expect(self.message).toBe(`${target} is the database itself`);
    expect(await noteOf(target)).toBe('kept');
  });

  it('puts <backup>.key in place as the key file (mode 0600), the old one kept', async () => {
    const b = await backupsOf('fourth');
    writeFileSync(`${b.copy}.key`, 'key of the backup\n');
    const target = join(dir, 'with-key.db');
    const keyFile = `${target}.key`;
    writeFileSync(keyFile, 'old key\n');
    const r = await restoreSqliteBackup({
      source: b.copy,
      logical: false,
      dbPath: target,
      replace: false,
      keyFile,
      verify: verifyWith(key),
    });
    expect(r.keyFile).toBe(keyFile);
    expect(readFileSync(keyFile, 'utf8')).toBe('key of the backup\n');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${keyFile}.before-restore`, 'utf8')).toBe('old key\n');
  });
});

describe('copyKeyFileBeside', () => {
  it('writes <backup>.key with mode 0600, and refuses an existing one unless told to overwrite', () => {
    const keyFile = join(dir, 'k.key');
    writeFileSync(keyFile, 'the key\n');
    const backup = join(dir, 'k-backup.db');
    expect(copyKeyFileBeside(keyFile, backup, false)).toBe(`${backup}.key`);
    expect(readFileSync(`${backup}.key`, 'utf8')).toBe('the key\n');
    expect(statSync(`${backup}.key`).mode & 0o777).toBe(0o600);
    writeFileSync(keyFile, 'a newer key\n');
    expect(() => copyKeyFileBeside(keyFile, backup, false)).toThrow(/already exists/);
    expect(readFileSync(`${backup}.key`, 'utf8')).toBe('the key\n');
    copyKeyFileBeside(keyFile, backup, true);
    expect(readFileSync(`${backup}.key`, 'utf8')).toBe('a newer key\n');
    expect(leftovers()).toEqual([]);
  });
});

describe('isSmartlicSqliteFile', () => {
  it("knows smartlic's database from another SQLite file, a text file and nothing", async () => {
    expect(isSmartlicSqliteFile(await makeDb('mine.db', 'x'))).toBe(true);
    const other = join(dir, 'other.db');
    const db = new BetterSqlite3(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    expect(isSmartlicSqliteFile(other)).toBe(false);
    writeFileSync(join(dir, 'text.db'), 'not a database');
    expect(isSmartlicSqliteFile(join(dir, 'text.db'))).toBe(false);
    expect(isSmartlicSqliteFile(join(dir, 'missing.db'))).toBe(false);
  });
});
