/**
 * `smartlic db …`: create / upgrade the database, back it up online (optionally with its key
 * file beside the copy), and restore a backup.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SmartlicError } from '../../core/errors.ts';
import {
  backupDatabase,
  migrateToLatest,
  copySqliteToPostgres,
  isPostgresUrl,
  openDatabase,
  openStore,
  resolveSecretKey,
} from '../../core/store/index.ts';
import { defineCommand, defineGroup, inputError } from './common.ts';
import { checkKey, cliConfig, resolveStorage } from './runtime.ts';
import type { CliCommand, CliContext } from './types.ts';

const WHERE = `The database is SMARTLIC_DB (db.path). Without it: data/smartlic.db inside a clone of the
repository, otherwise $XDG_DATA_HOME/smartlic/smartlic.db (~/.local/share/smartlic/). Secrets in
it are encrypted with SMARTLIC_SECRET_KEY, or with the key file <db>.key beside it.`;

function storage(ctx: CliContext) {
  return resolveStorage(cliConfig(ctx));
}

const migrate = defineCommand({
  name: 'db migrate',
  summary: 'create the database or bring its schema up to date',
  options: {},
  json: '{database, applied: [names], keyFileCreated}',
  description: `Prints the migrations applied. Checks the secret key against the database, so a wrong
SMARTLIC_SECRET_KEY shows up here and not in the middle of a sync.

${WHERE}`,
  examples: [
    'smartlic db migrate',
    'SMARTLIC_DB=/var/lib/smartlic/smartlic.db smartlic db migrate',
  ],
  async run(_p, c) {
    const { path, url, key: resolveKey } = storage(c);
    const key = resolveKey();
    const h = await openStore({ path, url });
    try {
      const applied = await migrateToLatest(h.db);
      await checkKey(h.db, key, path, h.clock);
      const created = key.created === true && key.keyFile !== undefined;
      if (c.out.json) {
        c.out.data({ database: path, applied, keyFileCreated: created ? key.keyFile : null });
        return 0;
      }
      if (applied.length === 0) c.out.print(`${path}: up to date`);
      else {
        for (const name of applied) c.out.print(`applied ${name}`);
        c.out.print(`${path}: ${applied.length} migration(s) applied`);
      }
      if (created) c.out.print(`created secret key file ${key.keyFile} (mode 0600); back it up`);
      return 0;
    } finally {
      await h.close();
    }
  },
});

/**
 * `db backup` / `db restore` copy SQLite files; on PostgreSQL the server's own tools make the
 * consistent copy (docs/storage.md), so the command says which to run instead of touching the
 * SQLite path db.path still names.
 */
function onPostgres(verb: 'backup' | 'restore'): SmartlicError {
  return new SmartlicError({
    code: 'INPUT',
    message: `db ${verb} copies a SQLite file, and the store is PostgreSQL (db.url / SMARTLIC_DATABASE_URL): nothing was ${verb === 'backup' ? 'written' : 'changed'}`,
    action:
      verb === 'backup'
        ? 'use pg_dump: `pg_dump --format=custom --file=smartlic.dump "$SMARTLIC_DATABASE_URL"`, and keep SMARTLIC_SECRET_KEY with it (docs/storage.md)'
        : 'use pg_restore into an empty database: `pg_restore --no-owner --dbname="$SMARTLIC_DATABASE_URL" smartlic.dump` (docs/storage.md)',
  });
}

function copyKeyBeside(keyFile: string, target: string, force: boolean): string {
  const dest = `${target}.key`;
  if (existsSync(dest) && !force) {
    throw new SmartlicError({
      code: 'EXISTS',
      message: `the key file target ${dest} already exists`,
      action: 'choose a new file name, or pass --force to overwrite it',
    });
  }
  const partial = `${dest}.partial-${process.pid}`;
  copyFileSync(keyFile, partial);
  chmodSync(partial, 0o600);
  renameSync(partial, dest);
  return dest;
}

const backup = defineCommand({
  name: 'db backup',
  summary: 'online copy of the live database (optionally with its key)',
  args: '<file>',
  arity: [1, 1],
  options: {
    force: { type: 'boolean', help: 'overwrite <file> (and <file>.key) if it exists' },
    'with-key': {
      type: 'boolean',
      help: 'also write the key file beside the copy as <file>.key (mode 0600)',
    },
  },
  json: '{database, backup, pages, keyFile}',
  description: `Copies the live database to <file> with SQLite's online backup (safe while smartlic
runs). The secrets in the copy are encrypted: it is useless without the key. Keep the key
with it — --with-key writes it beside the copy (mode 0600; store both somewhere safe), or
keep SMARTLIC_SECRET_KEY.

${WHERE}`,
  examples: ['smartlic db backup /backup/smartlic-$(date +%F).db --with-key'],
  async run({ values, positionals }, c) {
    const target = positionals[0]!;
    const { path, keyFile, url, key: resolveKey } = storage(c);
    if (url !== undefined) throw onPostgres('backup');
    const h = openDatabase({ path, readonly: true });
    try {
      const key = resolveKey();
      if (values['with-key'] && key.source !== 'key-file') {
        throw inputError(
          `--with-key copies the key file, but the key comes from SMARTLIC_SECRET_KEY (${key.source})`,
          'keep SMARTLIC_SECRET_KEY with the backup instead, and leave out --with-key',
        );
      }
      const r = await backupDatabase(h.sqlite, target, { overwrite: values.force === true });
      const keyCopy = values['with-key']
        ? copyKeyBeside(keyFile, r.path, values.force === true)
        : null;
      if (c.out.json) {
        c.out.data({ database: path, backup: r.path, pages: r.pages, keyFile: keyCopy });
        return 0;
      }
      c.out.print(`backed up ${path} to ${r.path} (${r.pages} pages)`);
      if (keyCopy) c.out.print(`key file written beside it: ${keyCopy} (mode 0600)`);
      else
        c.out.warn(
          `the backup cannot be read without the key: ${key.source === 'key-file' ? `keep ${keyFile} with it (or use --with-key)` : 'keep SMARTLIC_SECRET_KEY with it'}`,
        );
      return 0;
    } finally {
      await h.close();
    }
  },
});

function isSmartlicDb(file: string): boolean {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    const row = db
      .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'settings'")
      .get() as { n: number };
    return row.n === 1;
  } catch {
    return false;
  } finally {
    db?.close();
  }
}

const restore = defineCommand({
  name: 'db restore',
  summary: 'replace the database with a backup',
  args: '<file>',
  arity: [1, 1],
  options: {
    force: { type: 'boolean', help: 'replace an existing database' },
    'with-key': {
      type: 'boolean',
      help: 'also restore the key file <file>.key written by `db backup --with-key`',
    },
  },
  json: '{database, restoredFrom, keyFile}',
  description: `Copies <file> (a backup made by \`smartlic db backup\`) to the database path, then
checks that the key opens it. Stop every running smartlic (start, sync, bot) first. An
existing database is replaced only with --force; its previous file is kept as <db>.before-restore.

${WHERE}`,
  examples: ['smartlic db restore /backup/smartlic-2026-11-28.db --with-key --force'],
  async run({ values, positionals }, c) {
    const source = resolve(positionals[0]!);
    const { path, keyFile, url, key: resolveKey } = storage(c);
    if (url !== undefined) throw onPostgres('restore');
    if (!existsSync(source) || !statSync(source).isFile()) {
      throw inputError(`the backup ${source} does not exist`, 'give the file `db backup` wrote');
    }
    if (resolve(path) === source)
      throw inputError(`${source} is the database itself`, 'give a backup file');
    if (!isSmartlicDb(source)) {
      throw inputError(`${source} is not a smartlic database`, 'give the file `db backup` wrote');
    }
    const sourceKey = `${source}.key`;
    if (values['with-key'] && !existsSync(sourceKey)) {
      throw inputError(
        `--with-key: there is no key file ${sourceKey}`,
        'restore without --with-key and set SMARTLIC_SECRET_KEY, or copy the key file there',
      );
    }
    if (existsSync(path) && !values.force) {
      throw new SmartlicError({
        code: 'EXISTS',
        message: `the database ${path} exists`,
        action:
          'stop smartlic everywhere, then pass --force to replace it (the old file is kept as .before-restore)',
      });
    }
    // Checked on a copy first: a backup the key cannot open replaces nothing.
    const partial = `${path}.partial-${process.pid}`;
    mkdirSync(dirname(path), { recursive: true });
    copyFileSync(source, partial);
    try {
      const key = values['with-key'] ? resolveSecretKey({ dbPath: source }) : resolveKey();
      const h = openDatabase({ path: partial });
      try {
        await migrateToLatest(h.db);
        await checkKey(h.db, key, source, h.clock);
      } finally {
        await h.close();
      }
    } catch (e) {
      for (const ext of ['', '-wal', '-shm']) rmSync(`${partial}${ext}`, { force: true });
      throw e;
    }
    const before = `${path}.before-restore`;
    if (existsSync(path)) {
      renameSync(path, before);
      for (const ext of ['-wal', '-shm']) rmSync(`${path}${ext}`, { force: true });
    }
    renameSync(partial, path);
    let restoredKey: string | null = null;
    if (values['with-key']) {
      if (existsSync(keyFile)) renameSync(keyFile, `${keyFile}.before-restore`);
      copyFileSync(sourceKey, keyFile);
      chmodSync(keyFile, 0o600);
      restoredKey = keyFile;
    }
    if (c.out.json) {
      c.out.data({ database: path, restoredFrom: source, keyFile: restoredKey });
      return 0;
    }
    c.out.print(
      `restored ${path} from ${source}${restoredKey ? `, key file ${restoredKey}` : ''}; the key opens it`,
    );
    if (existsSync(before)) c.out.note(`the previous database is kept as ${before}`);
    return 0;
  },
});

const copy = defineCommand({
  name: 'db copy',
  summary: 'copy the SQLite database into PostgreSQL, everything, counts verified',
  options: {
    to: {
      type: 'string',
      value: 'URL',
      help: 'the PostgreSQL database (postgres://…) to copy into',
    },
    replace: { type: 'boolean', help: 'empty a target that already holds data first' },
  },
  json: '{from, to, tables: [{table, rows}]}',
  description: `Copies every table of the SQLite database (SMARTLIC_DB) into the PostgreSQL database
--to names (migrated first), ids kept, then compares the rows of each table on both sides.
The secrets are copied encrypted: run smartlic on PostgreSQL with SMARTLIC_SECRET_KEY set to
the same key (the key file's content when the key is a file). A target that holds data is
refused unless --replace. Stop smartlic on the SQLite file while copying.

${WHERE}`,
  examples: ["smartlic db copy --to 'postgres://smartlic:PASSWORD@db.example.net/smartlic'"],
  async run({ values }, c) {
    const to = values.to;
    if (typeof to !== 'string' || !isPostgresUrl(to)) {
      throw inputError(
        '--to must be a postgres:// URL',
        "give the target as --to 'postgres://user:password@host:5432/database'",
      );
    }
    const config = cliConfig(c);
    if (config.db.url !== undefined) {
      throw inputError(
        'db copy reads the SQLite file (SMARTLIC_DB), but SMARTLIC_DATABASE_URL (db.url) is set',
        'unset SMARTLIC_DATABASE_URL for the copy, and give the target with --to',
      );
    }
    const { path, key: resolveKey } = resolveStorage(config);
    const key = resolveKey();
    const from = openDatabase({ path, readonly: true });
    try {
      const target = await openStore({ path: '', url: to });
      try {
        const r = await copySqliteToPostgres(
          { db: from.db, sqlite: from.sqlite, path },
          { db: target.db, path: target.path },
          { replace: values.replace === true },
        );
        // The ciphertext came as it was: the same key must open the copy.
        await checkKey(target.db, key, target.path, target.clock);
        if (c.out.json) {
          c.out.data({ from: path, to: target.path, tables: r.tables });
          return 0;
        }
        for (const t of r.tables) c.out.print(`copied ${t.table}: ${t.rows} row(s)`);
        const rows = r.tables.reduce((n, t) => n + t.rows, 0);
        c.out.print(
          `${path} → ${target.path}: ${r.tables.length} tables, ${rows} rows, counts equal on both sides; the secret key opens the copy`,
        );
        c.out.print(
          key.source === 'key-file'
            ? `run smartlic on it with SMARTLIC_DATABASE_URL and SMARTLIC_SECRET_KEY set to the content of ${key.keyFile}`
            : 'run smartlic on it with SMARTLIC_DATABASE_URL and the same SMARTLIC_SECRET_KEY',
        );
        return 0;
      } finally {
        await target.close();
      }
    } finally {
      await from.close();
    }
  },
});

export const dbCommand: CliCommand = defineGroup({
  name: 'db',
  summary: 'database: migrate, backup <file>, restore <file>, copy --to <url>',
  description: WHERE,
  commands: [migrate, backup, restore, copy],
});
