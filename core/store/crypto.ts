/**
 * Secrets at rest: client secrets, proxy passwords, cluster admin passwords and registration
 * tokens are stored only as AES-256-GCM ciphertext.
 *
 * Stored form: `v1:<iv base64>:<auth tag base64>:<ciphertext base64>`, a fresh random 12-byte
 * IV per value. The `v1` prefix leaves room for a later algorithm or key rotation.
 *
 * Where the 32-byte key comes from (`resolveSecretKey`):
 * 1. `SMARTLIC_SECRET_KEY` (the caller passes its value):
 *    - 64 hex characters → those 32 bytes;
 *    - base64 (or base64url) of exactly 32 bytes → those bytes;
 *    - anything else is a passphrase (at least 12 characters) → scrypt(passphrase, fixed app
 *      salt `smartlic/secret-key/v1`, N=2^15, r=8, p=1). The salt is fixed on purpose: the same
 *      passphrase must give the same key on every start, and there is nowhere else to keep a
 *      salt; the passphrase itself must carry the entropy.
 * 2. Otherwise a key file beside the database, `<db path>.key` (64 hex chars), created with
 *    mode 0600 when missing. A key file readable by group or others is refused.
 * 3. An in-memory database without a configured key gets a random key for its lifetime.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  scryptSync,
  timingSafeEqual,
} from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SmartlicError } from '../errors.ts';
import { registerSecret } from '../redact.ts';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';
const PASSPHRASE_SALT = 'smartlic/secret-key/v1';
const MIN_PASSPHRASE = 12;
const WRONG_KEY_ACTION = 'set SMARTLIC_SECRET_KEY to the key the database was created with';

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) {
      throw new SmartlicError({
        code: 'SECRET_KEY',
        message: `a secret key must be ${KEY_BYTES} bytes, got ${key.length}`,
      });
    }
    this.#key = Buffer.from(key);
  }

  /** A box with a fresh random key (in-memory databases, tests). */
  static random(): SecretBox {
    return new SecretBox(randomBytes(KEY_BYTES));
  }

  /**
   * Every value encrypted or decrypted becomes a known secret of the process (core/redact.ts),
   * unless `opts.secret` is false: a value stored encrypted that is no secret (the key check, a
   * constant anyone can read in the source) must not be redacted wherever it appears.
   */
  encrypt(plaintext: string, opts: { secret?: boolean } = {}): string {
    if (opts.secret !== false) registerSecret(plaintext);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return `${VERSION}:${iv.toString('base64')}:${tag.toString('base64')}:${ct.toString('base64')}`;
  }

  /** Throws SmartlicError `SECRET_KEY` when the key is wrong or the value was altered. */
  decrypt(stored: string, opts: { secret?: boolean } = {}): string {
    const parts = stored.split(':');
    if (parts.length !== 4 || parts[0] !== VERSION) {
      throw new SmartlicError({
        code: 'SECRET_FORMAT',
        message: 'a stored secret is not in the v1 format this version of smartlic reads',
        action: 'upgrade smartlic, or re-enter the secret',
      });
    }
    const iv = Buffer.from(parts[1] ?? '', 'base64');
    const tag = Buffer.from(parts[2] ?? '', 'base64');
    const ct = Buffer.from(parts[3] ?? '', 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new SmartlicError({
        code: 'SECRET_FORMAT',
        message: 'a stored secret is damaged (bad IV or tag length)',
        action: 're-enter the secret',
      });
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
      if (opts.secret !== false) registerSecret(plain);
      return plain;
    } catch (e) {
      throw new SmartlicError({
        code: 'SECRET_KEY',
        message:
          'cannot decrypt a stored secret: the secret key differs from the one the database was created with, or the value was altered',
        action: WRONG_KEY_ACTION,
        cause: e,
      });
    }
  }

  /** A value that changes with the key and reveals nothing of it (key-check records). */
  fingerprint(): string {
    return createHash('sha256')
      .update('smartlic/key-fingerprint/v1')
      .update(this.#key)
      .digest('hex')
      .slice(0, 16);
  }

  sameKeyAs(other: SecretBox): boolean {
    return timingSafeEqual(this.#key, other.#key);
  }
}

/** sha256 hex: lets a registration token be found and deduplicated without decrypting. */
export function hashSecret(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export type SecretKeySource =
  'env-hex' | 'env-base64' | 'env-passphrase' | 'key-file' | 'ephemeral';

export interface ResolvedSecretKey {
  key: Buffer;
  source: SecretKeySource;
  /** The key file used, when `source` is `key-file`. */
  keyFile?: string;
  /** True when the key file was created by this call. */
  created?: boolean;
}

export interface ResolveSecretKeyOptions {
  /** The value of SMARTLIC_SECRET_KEY, if set. Empty counts as unset. */
  envValue?: string | undefined;
  /** The database path; the key file is `<dbPath>.key`. */
  dbPath: string;
}

export function keyFilePath(dbPath: string): string {
  return `${dbPath}.key`;
}

/** Finds the secret key (see the file comment for the order); creates the key file if needed. */
export function resolveSecretKey(opts: ResolveSecretKeyOptions): ResolvedSecretKey {
  const env = opts.envValue?.trim();
  if (env !== undefined && env !== '') return parseEnvKey(env);
  if (opts.dbPath === ':memory:' || opts.dbPath === '') {
    return { key: randomBytes(KEY_BYTES), source: 'ephemeral' };
  }
  return keyFromFile(keyFilePath(opts.dbPath));
}

function parseEnvKey(value: string): ResolvedSecretKey {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return { key: Buffer.from(value, 'hex'), source: 'env-hex' };
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(value)) {
    const key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === KEY_BYTES) return { key, source: 'env-base64' };
  }
  if (value.length < MIN_PASSPHRASE) {
    throw new SmartlicError({
      code: 'SECRET_KEY',
      message: `SMARTLIC_SECRET_KEY is neither 64 hex characters, base64 of 32 bytes, nor a passphrase of at least ${MIN_PASSPHRASE} characters`,
      action: 'generate a key with `openssl rand -hex 32` and set SMARTLIC_SECRET_KEY to it',
    });
  }
  const key = scryptSync(value, PASSPHRASE_SALT, KEY_BYTES, {
    N: 2 ** 15,
    r: 8,
    p: 1,
    maxmem: 64 * 1024 * 1024,
  });
  return { key, source: 'env-passphrase' };
}

function keyFromFile(file: string): ResolvedSecretKey {
  let created = false;
  try {
    mkdirSync(dirname(file), { recursive: true });
    // 'wx' fails if the file exists, so two processes starting at once cannot both create one.
    writeFileSync(file, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new SmartlicError({
        code: 'SECRET_KEY',
        message: `cannot create the secret key file ${file}: ${(e as Error).message}`,
        action: 'make the database directory writable, or set SMARTLIC_SECRET_KEY',
        cause: e,
      });
    }
  }
  if (process.platform !== 'win32') {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new SmartlicError({
        code: 'SECRET_KEY',
        message: `the secret key file ${file} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')})`,
        action: `run \`chmod 600 ${file}\``,
      });
    }
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new SmartlicError({
      code: 'SECRET_KEY',
      message: `the secret key file ${file} does not hold 64 hex characters`,
      action: `restore the key file from backup, or ${WRONG_KEY_ACTION}`,
    });
  }
  return { key: Buffer.from(text, 'hex'), source: 'key-file', keyFile: file, created };
}
