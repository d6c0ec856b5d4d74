// Real: SQLite in a temp file opened by this process through core/store, and a second,
// separate Node process writing to the same file with better-sqlite3. Nothing faked.
// What is checked: a write transaction holds the write lock from its start (BEGIN IMMEDIATE),
// so another process's write in the middle waits for it instead of making our commit fail
// with "database is locked". Covers core/store/database.ts (transaction, BEGIN IMMEDIATE).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import {
  SecretBox,
  migrateToLatest,
  openDatabase,
  transaction,
  type DatabaseHandle,
} from '../../core/store/index.ts';

let dir: string | undefined;
let h: DatabaseHandle | undefined;
afterEach(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  h = undefined;
  dir = undefined;
});

const WRITER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('busy_timeout = 5000');
process.stdout.write('trying;');
db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('other', 'x', '2026-01-01T00:00:00.000Z')").run();
process.stdout.write('written');
`;

it('another process writing in the middle of a transaction waits; both commit', async () => {
  dir = mkdtempSync(join(tmpdir(), 'smartlic-lock-'));
  const path = join(dir, 'db.sqlite');
  h = openDatabase({ path });
  await migrateToLatest(h.db);
  const secrets = SecretBox.random();
  let child: Promise<string> | undefined;
  await transaction(h.db, secrets, async (r) => {
    // A read first: with a deferred BEGIN this only takes a read snapshot.
    await r.settings.get('mine');
    let out = '';
    let trying: () => void = () => undefined;
    const tried = new Promise<void>((res) => (trying = res));
    child = new Promise((resolve) => {
      const c = spawn(process.execPath, ['-e', WRITER, path], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      c.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('trying;')) trying();
      });
      c.stderr.on('data', (b: Buffer) => (out += b.toString()));
      c.on('close', () => resolve(out));
    });
    // The other process is about to write (it said so, right before the statement): wait for
    // that rather than for a guess at how long a process takes to start on a loaded machine.
    // The 100 ms after it only lets the statement reach SQLite's lock.
    await tried;
    await new Promise((res) => setTimeout(res, 100));
    // It has not written: it waits for this transaction.
    expect(out).toBe('trying;');
    await r.settings.set('mine', 'y');
  });
  expect(await child).toBe('trying;written');
  expect(
    await h.db.selectFrom('settings').select('key').where('key', 'in', ['mine', 'other']).execute(),
  ).toHaveLength(2);
});
