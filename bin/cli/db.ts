import {
  SecretBox,
  backupDatabase,
  migrateToLatest,
  openDatabase,
  verifySecretKey,
} from '../../core/store/index.ts';
import { loadConfig } from '../../core/config.ts';
import { isSmartlicError } from '../../core/errors.ts';
import { resolveStorage } from './runtime.ts';
import type { CliCommand, CliContext } from './types.ts';

const USAGE = `Usage: smartlic db migrate
       smartlic db backup <file> [--force]

migrate   create the database or bring its schema up to date; prints the migrations applied
backup    copy the live database to <file> with SQLite's online backup (safe while smartlic
          runs); refuses to overwrite an existing file unless --force is given. The secret key
          is not in the copy: keep <db>.key (or SMARTLIC_SECRET_KEY) with it.

The database is SMARTLIC_DB (default data/smartlic.db); secrets in it are encrypted with
SMARTLIC_SECRET_KEY, or with the key file <db>.key created beside it on first use.`;

function storage(ctx: CliContext) {
  return resolveStorage(loadConfig({ env: ctx.io.env }));
}

async function migrate(ctx: CliContext): Promise<number> {
  const { path, key: resolveKey } = storage(ctx);
  const key = resolveKey();
  const h = openDatabase({ path });
  try {
    const applied = await migrateToLatest(h.db);
    // Checked here so a wrong SMARTLIC_SECRET_KEY shows up at migrate, not mid-sync.
    await verifySecretKey(h.db, new SecretBox(key.key), h.clock);
    if (applied.length === 0) {
      ctx.io.stdout.write(`${path}: up to date\n`);
    } else {
      for (const name of applied) ctx.io.stdout.write(`applied ${name}\n`);
      ctx.io.stdout.write(`${path}: ${applied.length} migration(s) applied\n`);
    }
    if (key.created === true && key.keyFile !== undefined) {
      ctx.io.stdout.write(`created secret key file ${key.keyFile} (mode 0600); back it up\n`);
    }
    return 0;
  } finally {
    await h.close();
  }
}

async function backup(target: string, force: boolean, ctx: CliContext): Promise<number> {
  const { path } = storage(ctx);
  const h = openDatabase({ path, readonly: true });
  try {
    const r = await backupDatabase(h.sqlite, target, { overwrite: force });
    ctx.io.stdout.write(`backed up ${path} to ${r.path} (${r.pages} pages)\n`);
    return 0;
  } finally {
    await h.close();
  }
}

export const dbCommand: CliCommand = {
  name: 'db',
  summary: 'database: migrate, backup <file>',
  usage: USAGE,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    const usageError = (msg: string): number => {
      ctx.io.stderr.write(`smartlic db: ${msg} (see "smartlic db --help")\n`);
      return 2;
    };
    try {
      if (sub === 'migrate') {
        if (rest.length > 0) return usageError(`unexpected argument "${rest[0]}"`);
        return await migrate(ctx);
      }
      if (sub === 'backup') {
        const force = rest.includes('--force');
        const files = rest.filter((a) => a !== '--force');
        const unknown = files.find((a) => a.startsWith('-'));
        if (unknown !== undefined) return usageError(`unknown option "${unknown}"`);
        if (files.length !== 1 || files[0] === undefined) {
          return usageError('expected "db backup <file> [--force]"');
        }
        return await backup(files[0], force, ctx);
      }
      return usageError(
        sub === undefined ? 'expected "migrate" or "backup <file>"' : `unknown subcommand "${sub}"`,
      );
    } catch (e) {
      const line = isSmartlicError(e) ? e.toLine() : e instanceof Error ? e.message : String(e);
      ctx.io.stderr.write(`smartlic db ${sub}: ${line}\n`);
      if (ctx.debug && e instanceof Error && e.stack) ctx.io.stderr.write(`${e.stack}\n`);
      return 1;
    }
  },
};
