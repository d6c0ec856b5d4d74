/**
 * `smartlic db …`: create / upgrade the database, back it up online (optionally with its key
 * file beside the copy), and restore a backup.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  backupFileKind,
  backupDatabase,
  checkKey,
  copyKeyFileBeside,
  isSmartlicSqliteFile,
  readLogicalBackupLines,
  restoreLogicalBackup,
  restoreSqliteBackup,
  writeLogicalBackupFile,
  migrateToLatest,
  copySqliteToPostgres,
  isPostgresUrl,
  openDatabase,
  openStore,
  resolveSecretKey,
} from '../../core/store/index.ts';
import { defineCommand, defineGroup, inputError } from './common.ts';
import { cliConfig, resolveStorage } from './runtime.ts';
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
    format: {
      type: 'string',
      value: 'sqlite|jsonl',
      help: 'sqlite: a copy of the SQLite file (the default on SQLite); jsonl: the logical export (the only one on PostgreSQL)',
    },
  },
  json: '{database, backup, format, pages, tables: [{table, rows}], bytes, keyFile}',
  description: `On SQLite, copies the live database to <file> with SQLite's online backup (safe while
smartlic runs). On PostgreSQL (and with --format jsonl on SQLite) writes a logical export
instead: every table, read in one consistent snapshot (a REPEATABLE READ READ ONLY
transaction: the instances keep working), as JSON lines with the schema version; gzip when
<file> ends in .gz. \`db restore\` reads it back into PostgreSQL or SQLite (docs/storage.md).

The secrets in either copy stay encrypted, and the key is not in it: the backup is useless
without the key. Keep the key with it — --with-key writes the key file beside the copy (mode
0600; store both somewhere safe), or keep SMARTLIC_SECRET_KEY (always so on PostgreSQL).

${WHERE}`,
  examples: [
    'smartlic db backup /backup/smartlic-$(date +%F).db --with-key',
    'SMARTLIC_DATABASE_URL=postgres://… smartlic db backup /backup/smartlic-$(date +%F).jsonl.gz',
  ],
  async run({ values, positionals }, c) {
    const target = positionals[0]!;
    const { path, keyFile, url, key: resolveKey } = storage(c);
    const format = values.format ?? (url === undefined ? 'sqlite' : 'jsonl');
    if (format !== 'sqlite' && format !== 'jsonl') {
      throw inputError(
        `--format ${String(format)} is not a backup format`,
        'give --format sqlite (a copy of the SQLite file) or --format jsonl (the logical export)',
      );
    }
    if (format === 'sqlite' && url !== undefined) {
      throw inputError(
        '--format sqlite copies a SQLite file, and the store is PostgreSQL (db.url / SMARTLIC_DATABASE_URL)',
        'leave out --format: on PostgreSQL db backup writes the logical export (jsonl)',
      );
    }
    const key = resolveKey();
    if (values['with-key'] && key.source !== 'key-file') {
      throw inputError(
        `--with-key copies the key file, but the key comes from SMARTLIC_SECRET_KEY (${key.source})`,
        'keep SMARTLIC_SECRET_KEY with the backup instead, and leave out --with-key',
      );
    }
    const keyNote = () =>
      c.out.warn(
        `the backup cannot be read without the key (it is not in the backup): ${key.source === 'key-file' ? `keep ${keyFile} with it (or use --with-key)` : 'keep SMARTLIC_SECRET_KEY with it'}`,
      );
    if (format === 'jsonl') {
      const h = await openStore({ path, url, readonly: true });
      try {
        const r = await writeLogicalBackupFile(h, target, {
          overwrite: values.force === true,
          clock: h.clock,
        });
        const keyCopy = values['with-key']
          ? copyKeyFileBeside(keyFile, r.path, values.force === true)
          : null;
        const rows = r.tables.reduce((n, t) => n + t.rows, 0);
        if (c.out.json) {
          c.out.data({
            database: path,
            backup: r.path,
            format: 'jsonl',
            pages: null,
            tables: r.tables,
            bytes: r.bytes,
            keyFile: keyCopy,
          });
          return 0;
        }
        c.out.print(
          `backed up ${path} to ${r.path}: ${r.tables.length} tables, ${rows} rows, schema ${r.header.migrations.at(-1) ?? 'none'} (${r.bytes} bytes${r.gzip ? ', gzip' : ''}), one consistent snapshot`,
        );
        if (keyCopy) c.out.print(`key file written beside it: ${keyCopy} (mode 0600)`);
        else keyNote();
        return 0;
      } finally {
        await h.close();
      }
    }
    const h = openDatabase({ path, readonly: true });
    try {
      const r = await backupDatabase(h.sqlite, target, { overwrite: values.force === true });
      const keyCopy = values['with-key']
        ? copyKeyFileBeside(keyFile, r.path, values.force === true)
        : null;
      if (c.out.json) {
        c.out.data({
          database: path,
          backup: r.path,
          format: 'sqlite',
          pages: r.pages,
          tables: null,
          bytes: statSync(r.path).size,
          keyFile: keyCopy,
        });
        return 0;
      }
      c.out.print(`backed up ${path} to ${r.path} (${r.pages} pages)`);
      if (keyCopy) c.out.print(`key file written beside it: ${keyCopy} (mode 0600)`);
      else keyNote();
      return 0;
    } finally {
      await h.close();
    }
  },
});

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
  json: '{database, restoredFrom, format, tables: [{table, rows}], applied: [names], keyFile}',
  description: `Restores <file>, a backup made by \`smartlic db backup\`: a SQLite file copy, or a
logical export (jsonl, gzip or not; from PostgreSQL or SQLite), then checks that the key opens
it. Stop every running smartlic (start, serve, sync, bot) first.

Into SQLite: written to a new file first; an existing database is replaced only with --force,
its previous file kept as <db>.before-restore. Into PostgreSQL (a logical export only): one
transaction builds the backup's schema, loads every row, checks every table's count against
the backup and the key against the secrets, then runs the migrations the backup predates;
any failure leaves the database as it was. A database that holds data is replaced only with
--force (everything smartlic keeps there). A backup of a newer smartlic is refused.

${WHERE}`,
  examples: [
    'smartlic db restore /backup/smartlic-2026-11-28.db --with-key --force',
    'SMARTLIC_DATABASE_URL=postgres://… smartlic db restore /backup/smartlic-2026-11-28.jsonl.gz',
  ],
  async run({ values, positionals }, c) {
    const source = resolve(positionals[0]!);
    const { path, keyFile, url, key: resolveKey } = storage(c);
    if (!existsSync(source) || !statSync(source).isFile()) {
      throw inputError(`the backup ${source} does not exist`, 'give the file `db backup` wrote');
    }
    const kind = backupFileKind(source);
    if (kind === 'unknown' || (kind === 'sqlite' && !isSmartlicSqliteFile(source))) {
      throw inputError(
        `${source} is neither a smartlic database nor a smartlic logical backup`,
        'give the file `db backup` wrote',
      );
    }
    const logical = kind !== 'sqlite';
    const sourceKey = `${source}.key`;
    if (values['with-key'] && !existsSync(sourceKey)) {
      throw inputError(
        `--with-key: there is no key file ${sourceKey}`,
        'restore without --with-key and set SMARTLIC_SECRET_KEY, or copy the key file there',
      );
    }
    const report = (
      r: { tables: { table: string; rows: number }[]; applied: string[] } | undefined,
      restoredKey: string | null,
    ) => {
      if (c.out.json) {
        c.out.data({
          database: path,
          restoredFrom: source,
          format: logical ? 'jsonl' : 'sqlite',
          tables: r?.tables ?? null,
          applied: r?.applied ?? [],
          keyFile: restoredKey,
        });
        return;
      }
      const rows = r ? r.tables.reduce((n, t) => n + t.rows, 0) : 0;
      c.out.print(
        `restored ${path} from ${source}${r ? `: ${r.tables.length} tables, ${rows} rows, counts equal to the backup's` : ''}${restoredKey ? `, key file ${restoredKey}` : ''}; the key opens it`,
      );
      if (r && r.applied.length > 0)
        c.out.print(`then migrated: ${r.applied.join(', ')} (the backup was older)`);
    };

    if (url !== undefined) {
      if (!logical) {
        throw inputError(
          `${source} is a SQLite file backup, and the store is PostgreSQL (db.url / SMARTLIC_DATABASE_URL)`,
          `copy it in with \`SMARTLIC_DB=${source} smartlic db copy --to "$SMARTLIC_DATABASE_URL"\` (SMARTLIC_DATABASE_URL unset for that command; --replace for a database that holds data)`,
        );
      }
      if (values['with-key']) {
        throw inputError(
          '--with-key restores a key file, and on PostgreSQL the key comes from SMARTLIC_SECRET_KEY only',
          `set SMARTLIC_SECRET_KEY to the content of ${sourceKey} and leave out --with-key`,
        );
      }
      const key = resolveKey();
      const h = await openStore({ path, url });
      try {
        const r = await restoreLogicalBackup(readLogicalBackupLines(source), h, {
          source,
          replace: values.force === true,
          clock: h.clock,
          verify: async (db) => {
            await checkKey(db, key, path, h.clock);
          },
        });
        report(r, null);
        return 0;
      } finally {
        await h.close();
      }
    }

    const r = await restoreSqliteBackup({
      source,
      logical,
      dbPath: path,
      replace: values.force === true,
      ...(values['with-key'] ? { keyFile } : {}),
      verify: async (db, clock) => {
        const key = values['with-key'] ? resolveSecretKey({ dbPath: source }) : resolveKey();
        await checkKey(db, key, source, clock);
      },
    });
    report(r.loaded, r.keyFile);
    if (r.previous && !c.out.json) c.out.note(`the previous database is kept as ${r.previous}`);
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
