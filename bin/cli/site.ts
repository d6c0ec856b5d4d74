/** `smartlic site build|serve`: the static report site (site/), built from the store. */
import { resolve } from 'node:path';
import { loadConfig, normalizeSiteBase, type Config } from '../../core/config.ts';
import type { Logger } from '../../core/log.ts';
import { buildSite, type BuildSiteResult } from '../../site/lib/build.ts';
import { serveSite } from '../../site/lib/serve.ts';
import { systemClock } from '../../core/clock.ts';
import { inputError, parseFlags, subcommandVerb } from './common.ts';
import { cliLogger } from './runtime.ts';

const USAGE = `Usage: smartlic site build [--db FILE] [--out DIR] [--base /PATH/] [--full]
       smartlic site serve [--port 4321] [--dir DIR] [--base /PATH/]

build  reads the database (read-only) through core's read models and writes the static site
       (default site/dist, setting site.outDir). A failed build leaves the last good site.
       The store is PostgreSQL when db.url (SMARTLIC_DATABASE_URL) is set, unless --db.
       --db FILE   SQLite file (default: db.path, SMARTLIC_DB)
       --out DIR   output directory
       --base P    the sub-directory the site is hosted under, e.g. /smartlic/ (default
                   site.base, SMARTLIC_SITE_BASE, or / for the web root); every link and
                   asset of the pages starts with it
       --full      render and write every page, even those whose data did not change
                   since the last build (by default only changed pages are written)
serve  serves the built site on http://127.0.0.1:<port>/ until Ctrl-C.
       --port N    port (default 4321; 0 = any free port)
       --dir DIR   directory to serve (default: site.outDir)
       --base P    serve it under this sub-directory, as it was built (default site.base)

Examples:
  smartlic site build --out /var/www/smartlic
  smartlic site build --out /var/www/html/smartlic --base /smartlic/
  smartlic site serve --port 4321`;

/** `--base`, checked: a plain path such as /smartlic/ (exit 2 otherwise). */
function baseFlag(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const b = normalizeSiteBase(v);
  if (b === null) {
    throw inputError(
      `--base "${v}" is not a path such as /smartlic/`,
      'give letters, digits, . _ ~ - between slashes, or / for the web root',
    );
  }
  return b;
}

function line(r: BuildSiteResult): string {
  const s = (r.ms / 1000).toFixed(1);
  // Pages whose data did not change since the last build are kept as they are, not rendered.
  const rendered = r.rendered < r.pages ? `, ${r.rendered} rendered` : '';
  return `site: ${r.pages} pages in ${r.outDir} (${s} s${rendered}), data as of ${r.dataAsOf ?? 'never synced'}`;
}

/**
 * Rebuilds the site after a sync when `site.rebuildAfterSync` is set. Never throws: a failed
 * rebuild is logged and the last good site stays.
 */
export async function rebuildSiteAfterSync(config: Config, logger: Logger): Promise<void> {
  if (!config.site.rebuildAfterSync) return;
  try {
    const r = await buildSite({
      dbPath: config.db.path,
      dbUrl: config.db.url,
      outDir: config.site.outDir,
      base: config.site.base,
      env: process.env,
    });
    logger.info('site rebuilt', { outDir: r.outDir, pages: r.pages, ms: Math.round(r.ms) });
  } catch (e) {
    logger.error('site rebuild failed; the last good site stays', { error: e });
  }
}

export const siteCommand = subcommandVerb(
  'site',
  'static report site: build (from the database), serve (on 127.0.0.1)',
  USAGE,
  async (sub, args, ctx) => {
    const config = loadConfig({ env: ctx.io.env });
    if (sub === 'build') {
      const { values, positionals } = parseFlags(
        args,
        {
          db: { type: 'string' },
          out: { type: 'string' },
          base: { type: 'string' },
          full: { type: 'boolean' },
        },
        'smartlic site --help',
      );
      if (positionals.length > 0) {
        throw inputError(`unexpected argument "${positionals[0]}"`, 'see "smartlic site --help"');
      }
      const r = await buildSite({
        dbPath: resolve(values.db ?? config.db.path),
        // --db names a SQLite file: it wins over db.url.
        dbUrl: values.db === undefined ? config.db.url : undefined,
        outDir: resolve(values.out ?? config.site.outDir),
        base: baseFlag(values.base) ?? config.site.base,
        full: values.full === true,
        logLevel: ctx.debug ? 'info' : 'error',
        env: ctx.io.env,
      });
      ctx.io.stdout.write(`${line(r)}\n`);
      for (const m of r.missing) ctx.io.stdout.write(`site: not in this build: ${m}\n`);
      return 0;
    }
    if (sub === 'serve') {
      const { values, positionals } = parseFlags(
        args,
        { port: { type: 'string' }, dir: { type: 'string' }, base: { type: 'string' } },
        'smartlic site --help',
      );
      if (positionals.length > 0) {
        throw inputError(`unexpected argument "${positionals[0]}"`, 'see "smartlic site --help"');
      }
      const port = values.port === undefined ? 4321 : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw inputError(`--port needs a whole number from 0 to 65535`, 'e.g. --port 4321');
      }
      const running = await serveSite({
        dir: resolve(values.dir ?? config.site.outDir),
        port,
        base: baseFlag(values.base) ?? config.site.base,
        logger: cliLogger(ctx, config, systemClock).child({ component: 'site' }),
      });
      ctx.io.stdout.write(`site: serving ${values.dir ?? config.site.outDir} at ${running.url}\n`);
      await new Promise<void>((ok) => {
        const stop = () => ok();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await running.close();
      return 0;
    }
    throw inputError(
      sub ? `unknown subcommand "${sub}"` : 'a subcommand is needed',
      'use "smartlic site build" or "smartlic site serve"',
    );
  },
);
