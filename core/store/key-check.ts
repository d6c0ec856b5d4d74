/**
 * The secret key against the database, before anything needs a secret: a key that does not
 * open it fails here with which key was tried and how to recover.
 */
import { rmSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { systemClock, type Clock } from '../clock.ts';
import { SmartlicError, isSmartlicError } from '../errors.ts';
import { SecretBox, keyFilePath, type ResolvedSecretKey } from './crypto.ts';
import { isPostgresUrl } from './postgres.ts';
import { SettingsRepository } from './repositories/settings.repository.ts';
import type { Database } from './schema.ts';

const KEY_CHECK_SETTING = 'secret_key_check';
const KEY_CHECK_PLAINTEXT = 'smartlic secret key check v1';

/**
 * Fails fast with SmartlicError `SECRET_KEY` when `secrets` is not the key this database was
 * first used with (checked against a value encrypted on first use), before any real secret is
 * needed. Records the check on first use. Call after migrating.
 */
export async function verifySecretKey(
  db: Kysely<Database>,
  secrets: SecretBox,
  clock: Clock = systemClock,
): Promise<'recorded' | 'ok'> {
  const settings = new SettingsRepository(db, secrets, clock);
  const stored = await settings.get(KEY_CHECK_SETTING);
  if (stored === undefined) {
    await settings.set(KEY_CHECK_SETTING, secrets.encrypt(KEY_CHECK_PLAINTEXT, { secret: false }));
    return 'recorded';
  }
  if (secrets.decrypt(stored, { secret: false }) !== KEY_CHECK_PLAINTEXT) {
    throw new SmartlicError({
      code: 'SECRET_KEY',
      message: 'the secret key check stored in the database does not match',
      action: 'set SMARTLIC_SECRET_KEY to the key the database was created with',
    });
  }
  return 'ok';
}

/**
 * Checks the key against the database and, when it does not match, says which key was
 * tried and what recovery there is. A key file this very call created (the old one was lost)
 * is removed again, so it cannot pass for the right one later.
 */
export async function checkKey(
  db: Kysely<Database>,
  key: ResolvedSecretKey,
  dbPath: string,
  clock: Clock,
): Promise<SecretBox> {
  const secrets = new SecretBox(key.key);
  try {
    await verifySecretKey(db, secrets, clock);
    return secrets;
  } catch (e) {
    if (!isSmartlicError(e) || e.code !== 'SECRET_KEY') throw e;
    if (key.source === 'key-file' && key.created && key.keyFile)
      rmSync(key.keyFile, { force: true });
    const tried =
      key.source === 'key-file'
        ? key.created
          ? `the key file ${key.keyFile} was missing (a new key would not open it)`
          : `the key file ${key.keyFile} holds another key`
        : 'SMARTLIC_SECRET_KEY holds another key';
    // (A copy: the type guard would narrow dbPath itself to never below.)
    const shown: string | undefined = dbPath;
    if (isPostgresUrl(shown)) {
      // PostgreSQL has no key file: the key is SMARTLIC_SECRET_KEY, the same on every instance.
      throw new SmartlicError({
        code: 'SECRET_KEY',
        message: `cannot decrypt the secrets in ${dbPath}: ${tried}`,
        action:
          'set SMARTLIC_SECRET_KEY to the key the database was created with (the one its other instances use; after `db copy`, the content of the SQLite key file)',
        cause: e,
      });
    }
    throw new SmartlicError({
      code: 'SECRET_KEY',
      message: `cannot decrypt the secrets in ${dbPath}: ${tried}`,
      action: `restore ${key.keyFile ?? keyFilePath(dbPath)} from the backup made with the database (\`smartlic db backup --with-key\` writes it beside the copy), or set SMARTLIC_SECRET_KEY to the key the database was created with; for the demo, remove ${dbPath} and start again`,
      cause: e,
    });
  }
}
