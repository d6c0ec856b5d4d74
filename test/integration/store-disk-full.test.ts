// Real: SQLite (better-sqlite3) really running out of room — a size cap (PRAGMA max_page_count)
// in the first test, a real 8 MB tmpfs (mounted here; the test runs as root on Linux) filled to
// the last bytes in the second — kysely, the migrations, the repositories and their
// transactions, the real CLI entry (`main`, in-process stdio), the real emulator on loopback
// HTTP. Faked: nothing; the disk is really full. Covers: core/store/storage-errors.ts, the
// driver's rollback and error mapping (core/store/database.ts), inTransaction
// (repositories/mapping.ts), backupDatabase's target check (core/store/backup.ts).
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import { SmartlicError } from '../../core/errors.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
  transaction,
} from '../../core/store/index.ts';
import { startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { emulatorCloudEnv, runCli } from '../support/helpers.ts';

describe('a full database: the real error, in the operator’s terms', () => {
  it('SQLITE_FULL inside a transaction is DISK_FULL naming the file, never the rollback’s error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smartlic-full-'));
    const path = join(dir, 'smartlic.db');
    const h = openDatabase({ path, clock: new TestClock('2026-12-01T00:00:00Z') });
    try {
      await migrateToLatest(h.db);
      const box = SecretBox.random();
      const repos = createRepositories(h.db, box);
      await repos.smartAccounts.upsert({ domain: 'keep.example.com', name: 'Kept' });
      // The file may not grow by one more page: what a full disk does to SQLite, for real.
      const pages = Number(h.sqlite.pragma('page_count', { simple: true }));
      h.sqlite.pragma(`max_page_count = ${pages}`);
      let err: unknown;
      try {
        await transaction(h.db, box, async (r) => {
          for (let i = 0; i < 2000; i++) {
            await r.smartAccounts.upsert({ domain: `a${i}.example.com`, name: 'x'.repeat(500) });
          }
        });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SmartlicError);
      const e = err as SmartlicError;
      expect(e.code).toBe('DISK_FULL');
      expect(e.message).toContain(path);
      expect(e.message).not.toMatch(/rollback|no transaction is active/);
      expect(e.details).toMatchObject({ path, directory: dir });
      expect((e.cause as { code?: string }).code).toBe('SQLITE_FULL');
      // Nothing half-written, the earlier data intact, and the connection usable again.
      h.sqlite.pragma(`max_page_count = ${pages * 100}`);
      expect((await repos.smartAccounts.list()).map((a) => a.domain)).toEqual(['keep.example.com']);
      await repos.smartAccounts.upsert({ domain: 'after.example.com' });
      expect((await repos.smartAccounts.list()).length).toBe(2);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a transaction SQLite already ended itself', () => {
  it('the error that ended it reaches the caller, not "cannot rollback - no transaction is active"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smartlic-rb-'));
    const h = openDatabase({ path: join(dir, 'smartlic.db') });
    try {
      await migrateToLatest(h.db);
      const box = SecretBox.random();
      const real = new Error('the real failure');
      let err: unknown;
      try {
        await transaction(h.db, box, async (r, trx) => {
          await r.smartAccounts.upsert({ domain: 'gone.example.com' });
          // What SQLite does by itself after SQLITE_FULL or an I/O error: the transaction ends.
          await sql`rollback`.execute(trx);
          throw real;
        });
      } catch (e) {
        err = e;
      }
      expect(err).toBe(real);
      expect(h.sqlite.inTransaction).toBe(false);
      const repos = createRepositories(h.db, box);
      expect(await repos.smartAccounts.list()).toEqual([]);
      await repos.smartAccounts.upsert({ domain: 'next.example.com' });
      expect((await repos.smartAccounts.list()).length).toBe(1);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// A real small file system: mount needs root (CAP_SYS_ADMIN). Where it is refused the test
// below is skipped with that reason; the size-cap test above still runs.
// Probed (mounted and unmounted at once) when the file loads; mounted for real in beforeAll, so
// a run that filters these tests out leaves no mount behind.
const mnt = mkdtempSync(join(tmpdir(), 'smartlic-tinyfs-'));
const mountTiny = () =>
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { stdio: 'pipe' });
let mounted = false;
let mountRefused = '';
try {
  mountTiny();
  execFileSync('umount', [mnt]);
  mounted = true;
} catch (e) {
  mountRefused = e instanceof Error ? e.message.split('\n')[0]! : String(e);
}
if (!mounted) rmSync(mnt, { recursive: true, force: true });

describe.skipIf(!mounted)(
  `a full file system under the CLI${mounted ? '' : ` (skipped: mount refused: ${mountRefused})`}`,
  () => {
    let emu: RunningEmulator;
    const db = join(mnt, 'data', 'smartlic.db');
    const filler = join(mnt, 'filler');
    let env: NodeJS.ProcessEnv;
    const run = (argv: string[], stdin = '') => runCli(argv, env, stdin);
    /** Fills the file system until `leave` bytes are left. */
    const fill = (leave: number) => {
      rmSync(filler, { force: true });
      const s = statfsSync(mnt);
      const free = s.bavail * s.bsize;
      writeFileSync(filler, Buffer.alloc(Math.max(0, free - leave)));
    };

    beforeAll(async () => {
      mountTiny();
      emu = await startEmulator({ port: 0, scenario: 'demo', frozen: true });
      mkdirSync(join(mnt, 'data'));
      env = {
        SMARTLIC_DB: db,
        ...emulatorCloudEnv(emu),
        SMARTLIC_LOG_LEVEL: 'silent',
        SMARTLIC_HTTP_RETRIES: '1',
      };
      const c = emu.ready.clients.find((x) => x.for === 'cloud')!;
      const add = await run(
        ['account', 'add', '--domain', c.account, '--client-id', c.clientId, '--secret-stdin'],
        `${c.clientSecret}\n`,
      );
      expect(add.code, add.err).toBe(0);
    });

    afterAll(async () => {
      await emu?.close();
      execFileSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    });

    it('sync says the disk is full (file system, free bytes, what to free), stores that, loses nothing', async () => {
      const before = JSON.parse((await run(['account', 'list', '--json'])).out) as {
        domain: string;
        virtualAccounts: number;
      }[];
      // Room for the command's own rows (its audit entry, the job it adopts, the sync lease) and
      // the failure record, not for the sync's transaction. One account: its sync is the
      // command's one job (issue 21).
      fill(160 * 1024);
      const r = await run(['sync', before[0]!.domain, '--full']);
      expect(r.code).toBe(1);
      const all = r.out + r.err;
      expect(all).toMatch(
        /DISK_FULL: the disk is full: the database .*smartlic\.db could not be written/,
      );
      expect(all).toContain(`the file system tmpfs mounted at ${mnt}`);
      expect(all).toMatch(/has \d+(\.\d)? (bytes|KB) free of 8\.0 MB/);
      expect(all).toMatch(/free space on that file system \(old backups/);
      expect(all).not.toMatch(/INTERNAL|cannot rollback|no transaction is active/);
      const list = JSON.parse((await run(['account', 'list', '--json'])).out) as {
        domain: string;
        virtualAccounts: number;
        lastSyncError: string | null;
      }[];
      expect(list[0]!.lastSyncError).toMatch(/^DISK_FULL: the disk is full/);
      expect(list[0]!.lastSyncError).not.toMatch(/rollback/);
      expect(list.map((a) => a.virtualAccounts)).toEqual(before.map((a) => a.virtualAccounts));

      // Room again: the same sync goes through, nothing was lost on the way.
      rmSync(filler);
      const again = await run(['sync', '--full']);
      expect(again.code, again.err).toBe(0);
    });

    it('a command on a disk with no room left at all says so instead of "disk I/O error"', async () => {
      fill(4096);
      const r = await run(['status']);
      rmSync(filler);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/DISK_FULL: the disk is full: the database .*smartlic\.db/);
      expect(r.err).not.toMatch(/INTERNAL|disk I\/O error —/);
    });

    it('a backup that does not fit is DISK_FULL about the backup and leaves no partial file', async () => {
      fill(160 * 1024);
      const target = join(mnt, 'backups', 'smartlic-copy.db');
      const r = await run(['db', 'backup', target]);
      rmSync(filler);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(
        /DISK_FULL: the disk is full: the backup .*smartlic-copy\.db could not be written/,
      );
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(join(mnt, 'backups'))).toEqual([]);
    });
  },
);
