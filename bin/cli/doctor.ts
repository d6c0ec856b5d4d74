/**
 * `smartlic doctor`: checks the configuration, the database and its key, every account's
 * way to CSSM (or its satellite) and every cluster's publisher; one verdict per check with
 * the fix. Exit 1 when any check fails.
 */
import { existsSync } from 'node:fs';
import { isSmartlicError, toSmartlicError } from '../../core/errors.ts';
import { DoctorService, type Check } from '../../core/services/doctor.service.ts';
import {
  SecretBox,
  checkIntegrity,
  damagedDatabaseError,
  openStore,
  pendingMigrations,
  resolveSecretKey,
  verifySecretKey,
  type StoreHandle,
} from '../../core/store/index.ts';
import { defineCommand, escapeControl, plural, singleCommand, type RunContext } from './common.ts';
import { cliConfig, openRuntime, resolveStorage } from './runtime.ts';
import type { CliCommand } from './types.ts';

/** Config, database file, schema and key: what every other check needs. */
async function storageChecks(c: RunContext): Promise<{ checks: Check[]; usable: boolean }> {
  const checks: Check[] = [];
  let config;
  try {
    config = cliConfig(c);
    checks.push({
      check: 'config',
      subject: '-',
      verdict: 'ok',
      message: 'the configuration is valid',
    });
  } catch (e) {
    const err = toSmartlicError(e);
    checks.push({
      check: 'config',
      subject: '-',
      verdict: 'fail',
      code: err.code,
      message: err.message,
      ...(err.action ? { fix: err.action } : {}),
    });
    return { checks, usable: false };
  }
  const { path, keyFile, url, key: resolveKey } = resolveStorage(config);
  if (url === undefined && !existsSync(path)) {
    checks.push({
      check: 'db',
      subject: path,
      verdict: 'fail',
      code: 'DB',
      message: `there is no database at ${path}`,
      fix: 'create it with `smartlic db migrate` (or `npm start` for the demo), or point SMARTLIC_DB at it',
    });
    return { checks, usable: false };
  }
  if (url === undefined && !config.secretKey && !existsSync(keyFile)) {
    checks.push({
      check: 'db.key',
      subject: path,
      verdict: 'fail',
      code: 'SECRET_KEY',
      message: `the key file ${keyFile} is missing: the secrets in the database cannot be read`,
      fix: `restore ${keyFile} from the backup made with the database (\`db backup --with-key\` writes it beside the copy), or set SMARTLIC_SECRET_KEY; for the demo, remove ${path} and start again`,
    });
    return { checks, usable: false };
  }
  const pgKeyMissing = url !== undefined && !config.secretKey?.trim();
  let h: StoreHandle;
  try {
    h = await openStore({ path, url, readonly: true });
  } catch (e) {
    // PostgreSQL: unreachable, refused login, no such database, too old (core/store/postgres.ts).
    const err = toSmartlicError(e);
    checks.push({
      check: 'db',
      subject: path,
      verdict: 'fail',
      code: err.code,
      message: err.message,
      ...(err.action ? { fix: err.action } : {}),
    });
    return { checks, usable: false };
  }
  const sound =
    h.kind === 'sqlite'
      ? "SQLite's quick_check finds the file sound"
      : `PostgreSQL ${h.serverVersion} answers`;
  try {
    // First: on a damaged file every later answer (schema, key, accounts) would mislead.
    const integrity =
      h.kind === 'sqlite' ? checkIntegrity(h.sqlite, 'quick') : { ok: true, problems: [] };
    if (!integrity.ok) {
      const err = damagedDatabaseError(path, integrity, 'quick');
      checks.push({
        check: 'db.integrity',
        subject: path,
        verdict: 'fail',
        code: err.code,
        message: err.message,
        ...(err.action ? { fix: err.action } : {}),
      });
      return { checks, usable: false };
    }
    const pending = await pendingMigrations(h.db);
    checks.push({
      check: 'db',
      subject: path,
      verdict: pending.length ? 'warn' : 'ok',
      message: pending.length
        ? `the schema is behind: ${pending.length} migration(s) pending (${pending.join(', ')}); ${sound}`
        : `the database opens, ${sound}, and its schema is up to date`,
      ...(pending.length ? { fix: 'run `smartlic db migrate` (any command does it too)' } : {}),
    });
    if (pgKeyMissing) {
      checks.push({
        check: 'db.key',
        subject: path,
        verdict: 'fail',
        code: 'SECRET_KEY',
        message:
          'SMARTLIC_SECRET_KEY is not set: on PostgreSQL the secret key comes from it alone (there is no key file)',
        fix: 'set SMARTLIC_SECRET_KEY to the key the database was created with, the same on every instance (after `db copy`, the content of the SQLite key file)',
      });
      return { checks, usable: false };
    }
    if (pending.includes('0001-initial')) {
      // Nothing to check the key against before the schema exists (an empty database).
      checks.push({
        check: 'db.key',
        subject: path,
        verdict: 'skip',
        message: 'not checked: the database has no schema yet',
      });
      return { checks, usable: false };
    }
    const key =
      url === undefined
        ? resolveSecretKey({ envValue: config.secretKey, dbPath: path })
        : resolveKey();
    await verifySecretKey(h.db, new SecretBox(key.key), h.clock);
    checks.push({
      check: 'db.key',
      subject: path,
      verdict: 'ok',
      message: `the secret key (${key.source === 'key-file' ? `key file ${key.keyFile}` : 'SMARTLIC_SECRET_KEY'}) opens the database`,
    });
    return { checks, usable: true };
  } catch (e) {
    const err = toSmartlicError(e);
    const wrongKey = err.code === 'SECRET_KEY';
    checks.push({
      check: wrongKey ? 'db.key' : 'db',
      subject: path,
      verdict: 'fail',
      code: err.code,
      message: wrongKey
        ? `the secret key does not open ${path}: ${err.message}`
        : `cannot read ${path}: ${err.message}`,
      fix: wrongKey
        ? url === undefined
          ? `restore ${keyFile} from the backup made with the database, or set SMARTLIC_SECRET_KEY to the key it was created with`
          : 'set SMARTLIC_SECRET_KEY to the key the database was created with, the same on every instance (PostgreSQL has no key file)'
        : (err.action ??
          (url === undefined ? 'check the file' : 'check the database and the server log')),
    });
    return { checks, usable: false };
  } finally {
    await h.close();
  }
}

const WORD: Record<Check['verdict'], string> = {
  ok: 'ok',
  fail: 'FAIL',
  warn: 'warn',
  skip: 'skip',
};

const doctorCmd = defineCommand({
  name: 'doctor',
  summary: 'diagnose the setup: config, database and key, CSSM, satellites, publishers',
  options: {},
  json: '{ok, checks: [{check, subject, verdict: ok|fail|warn|skip, message, fix, code}]}',
  description: `One verdict per check, in plain words, with the fix:
  config, db, db.key          the configuration, the database file and schema, the secret key
  db.integrity                the database file sound (SQLite's quick_check)
  cssm.token                  CSSM's (or the satellite's) token endpoint reachable, directly or
                              through the proxy
  cssm.credentials            the client id and secret accepted
  cssm.api-access             403 "Invalid Client": the API access of the client is not approved
  cssm.account                the smart account (or local account) visible to the credentials
  satellite.sync              each satellite: its last sync with CSSM and its sync mode
  cluster.publisher / .node / .credentials / .version
                              each cluster's publisher reachable, the node a publisher, the
                              credentials accepted, the smart licensing API served for its release
Changes nothing. Exit 1 when any check fails (warnings do not fail).`,
  examples: [
    'smartlic doctor',
    'smartlic doctor --json | jq \'.checks[] | select(.verdict=="fail")\'',
  ],
  async run(_p, c) {
    const { checks, usable } = await storageChecks(c);
    if (usable) {
      // A diagnosis asks once and reports; retries and their warnings would only slow it down.
      const base = cliConfig(c);
      const rt = await openRuntime(c, {
        overrides: {
          http: { maxRetries: 0, timeoutMs: Math.min(base.http.timeoutMs, 10_000) },
          ...(base.log.level === 'debug' ? {} : { log: { level: 'error' } }),
        },
      });
      try {
        const doctor = new DoctorService({
          repos: rt.repos,
          clients: rt.services.clients,
          clock: rt.clock,
        });
        checks.push(...(await doctor.run()));
      } catch (e) {
        if (!isSmartlicError(e)) throw e;
        checks.push({
          check: 'internal',
          subject: '-',
          verdict: 'fail',
          code: e.code,
          message: e.message,
          ...(e.action ? { fix: e.action } : {}),
        });
      } finally {
        await rt.close();
      }
    }
    const failed = checks.filter((x) => x.verdict === 'fail').length;
    if (c.out.json) {
      c.out.data({ ok: failed === 0, checks });
      return failed > 0 ? 1 : 0;
    }
    const sw = Math.min(30, Math.max(...checks.map((x) => x.subject.length)));
    const cw = Math.max(...checks.map((x) => x.check.length));
    for (const x of checks) {
      c.out.print(
        escapeControl(
          `${WORD[x.verdict].padEnd(4)}  ${x.check.padEnd(cw)}  ${x.subject.padEnd(sw)}  ${x.code && x.verdict === 'fail' ? `${x.code}: ` : ''}${x.message}`,
        ),
      );
      if (x.fix && x.verdict !== 'ok') c.out.print(escapeControl(`      fix: ${x.fix}`));
    }
    const warn = checks.filter((x) => x.verdict === 'warn').length;
    c.out.print(
      `${plural(checks.length, 'check')}: ${checks.length - failed - warn} ok or skipped, ${failed} failed, ${plural(warn, 'warning')}`,
    );
    return failed > 0 ? 1 : 0;
  },
});

export const doctorCommand: CliCommand = singleCommand(doctorCmd);
