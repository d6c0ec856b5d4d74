// Real: SQLite files under os.tmpdir() (WAL and all), kysely, migrations, repositories,
// SecretBox, the key file on disk, better-sqlite3's online backup, and the `db` CLI command
// driven through its CliCommand interface with in-memory streams.
// Faked: time (TestClock); the CLI's streams and environment are test-made objects.
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dbCommand } from '../../bin/cli/db.ts';
import type { CliContext } from '../../bin/cli/types.ts';
import { TestClock } from '../../core/clock.ts';
import {
  SecretBox,
  backupDatabase,
  createRepositories,
  keyFilePath,
  migrateToLatest,
  openDatabase,
  resolveSecretKey,
} from '../../core/store/index.ts';

let dir: string;
const clock = new TestClock('2026-03-01T10:00:00Z');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'smartlic-secrets-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const CLIENT_SECRET = 'S3cr3t-client-value-7f1c2a9e';
const PROXY_PASSWORD = 'proxy-pw-d41d8cd98f00b204';
const TOKEN = 'NjYxZjJmYjAtregistration-token-e9800998ecf8427e';
const ADMIN_PASSWORD = 'axl-admin-pw-0c83f57c786a';

async function populate(path: string, box: SecretBox): Promise<void> {
  const h = openDatabase({ path, clock });
  try {
    await migrateToLatest(h.db);
    const r = createRepositories(h.db, box, clock);
    const sa = await r.smartAccounts.upsert({
      domain: 'acme.com',
      clientId: 'client-id-visible',
      clientSecret: CLIENT_SECRET,
      proxyPassword: PROXY_PASSWORD,
    });
    const va = await r.virtualAccounts.upsert(sa.id, { name: 'acme-ops' });
    await r.tokens.store({ virtualAccountId: va.id, token: TOKEN });
    const c = await r.customers.upsert({ name: 'Tenant' });
    await r.clusters.upsert({
      customerId: c.id,
      name: 'cucm1',
      type: 'CUCM',
      publisherAddress: '10.0.0.1',
      adminPassword: ADMIN_PASSWORD,
    });
  } finally {
    await h.close();
  }
}

describe('secrets at rest', () => {
  it('no plaintext secret occurs anywhere in the database file or its WAL', async () => {
    const path = join(dir, 'smartlic.db');
    const box = SecretBox.random();
    // Keep a second connection open so the WAL is not folded away on close: check it too.
    await populate(path, box);
    const h = openDatabase({ path, clock });
    try {
      const r = createRepositories(h.db, box, clock);
      await r.smartAccounts.upsert({ domain: 'beta.com', clientSecret: `${CLIENT_SECRET}-beta` });
      const files = [path, `${path}-wal`].filter((f) => existsSync(f));
      expect(files).toContain(`${path}-wal`);
      const check = (): void => {
        const all = Buffer.concat(files.map((f) => readFileSync(f)));
        // The scan does see stored text: a non-secret value is there in the clear.
        expect(all.includes(`${CLIENT_SECRET}-beta`)).toBe(false);
        expect(all.includes('client-id-visible')).toBe(true);
        for (const secret of [CLIENT_SECRET, PROXY_PASSWORD, TOKEN, ADMIN_PASSWORD]) {
          expect(all.includes(secret), secret).toBe(false);
          expect(all.includes(Buffer.from(secret, 'utf16le')), `${secret} (utf16)`).toBe(false);
        }
      };
      check();
      h.sqlite.pragma('wal_checkpoint(TRUNCATE)');
      check();
      // And they are all still readable with the right key.
      const sa = await r.smartAccounts.getByDomain('acme.com');
      expect((await r.smartAccounts.getCredentials(sa!.id))?.clientSecret).toBe(CLIENT_SECRET);
      const va = await r.virtualAccounts.getByName(sa!.id, 'acme-ops');
      expect((await r.tokens.findValid(va!.id))?.value).toBe(TOKEN);
    } finally {
      await h.close();
    }
  });

  it('a wrong key fails with SECRET_KEY and the recommended action', async () => {
    const path = join(dir, 'smartlic.db');
    await populate(path, SecretBox.random());
    const h = openDatabase({ path, clock });
    try {
      const r = createRepositories(h.db, SecretBox.random(), clock);
      const sa = await r.smartAccounts.getByDomain('acme.com');
      await expect(r.smartAccounts.getCredentials(sa!.id)).rejects.toMatchObject({
        code: 'SECRET_KEY',
        action: 'set SMARTLIC_SECRET_KEY to the key the database was created with',
      });
    } finally {
      await h.close();
    }
  });
});

describe('key file', () => {
  it('is created beside the database with mode 0600 and reused', () => {
    const dbPath = join(dir, 'data', 'smartlic.db');
    const first = resolveSecretKey({ dbPath });
    expect(first).toMatchObject({ source: 'key-file', keyFile: `${dbPath}.key`, created: true });
    expect(keyFilePath(dbPath)).toBe(`${dbPath}.key`);
    expect(statSync(`${dbPath}.key`).mode & 0o777).toBe(0o600);
    const second = resolveSecretKey({ dbPath, envValue: '' });
    expect(second.created).toBe(false);
    expect(second.key.equals(first.key)).toBe(true);
  });

  it.skipIf(process.platform === 'win32')('is refused when group or others can read it', () => {
    const dbPath = join(dir, 'smartlic.db');
    resolveSecretKey({ dbPath });
    chmodSync(`${dbPath}.key`, 0o644);
    expect(() => resolveSecretKey({ dbPath })).toThrow(
      expect.objectContaining({
        code: 'SECRET_KEY',
        message: expect.stringContaining('readable by group or others'),
        action: `run \`chmod 600 ${dbPath}.key\``,
      }),
    );
  });

  it('is refused when it does not hold a key', () => {
    const dbPath = join(dir, 'smartlic.db');
    writeFileSync(`${dbPath}.key`, 'not a key\n', { mode: 0o600 });
    expect(() => resolveSecretKey({ dbPath })).toThrow(/64 hex/);
  });

  it('is ignored when SMARTLIC_SECRET_KEY is set', () => {
    const dbPath = join(dir, 'smartlic.db');
    const r = resolveSecretKey({ dbPath, envValue: 'a'.repeat(64) });
    expect(r.source).toBe('env-hex');
    expect(existsSync(`${dbPath}.key`)).toBe(false);
  });
});

describe('backupDatabase', () => {
  it('produces a readable copy with the same rows and refuses to overwrite', async () => {
    const path = join(dir, 'smartlic.db');
    const box = SecretBox.random();
    await populate(path, box);
    const h = openDatabase({ path, clock });
    const target = join(dir, 'backups', 'copy.db');
    try {
      const res = await backupDatabase(h.sqlite, target);
      expect(res.path).toBe(target);
      expect(res.pages).toBeGreaterThan(0);
      await expect(backupDatabase(h.sqlite, target)).rejects.toMatchObject({ code: 'EXISTS' });
      await expect(backupDatabase(h.sqlite, path, { overwrite: true })).rejects.toMatchObject({
        code: 'INPUT',
      });
      await backupDatabase(h.sqlite, target, { overwrite: true });
      expect(existsSync(`${target}.partial-${process.pid}`)).toBe(false);
    } finally {
      await h.close();
    }

    const orig = openDatabase({ path, readonly: true });
    const copy = openDatabase({ path: target, readonly: true });
    try {
      const tables = [
        'smart_accounts',
        'virtual_accounts',
        'registration_tokens',
        'clusters',
        'customers',
      ] as const;
      for (const t of tables) {
        const a = await orig.db.selectFrom(t).selectAll().execute();
        const b = await copy.db.selectFrom(t).selectAll().execute();
        expect(b, t).toEqual(a);
        expect(a.length, t).toBeGreaterThan(0);
      }
      const r = createRepositories(copy.db, box, clock);
      const sa = await r.smartAccounts.getByDomain('acme.com');
      expect((await r.smartAccounts.getCredentials(sa!.id))?.clientSecret).toBe(CLIENT_SECRET);
    } finally {
      await orig.close();
      await copy.close();
    }
  });
});

function cli(env: Record<string, string>): {
  ctx: CliContext;
  out: () => string;
  err: () => string;
} {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c: Buffer) => (o += c.toString()));
  stderr.on('data', (c: Buffer) => (e += c.toString()));
  return {
    ctx: { io: { stdout, stderr, stdin: new PassThrough(), env, isTty: false }, debug: false },
    out: () => o,
    err: () => e,
  };
}

describe('smartlic db', () => {
  it('migrate applies, then reports up to date; backup copies; errors are one line', async () => {
    const dbPath = join(dir, 'data', 'smartlic.db');
    const env = { SMARTLIC_DB: dbPath };

    const a = cli(env);
    expect(await dbCommand.run(['migrate'], a.ctx)).toBe(0);
    expect(a.out()).toContain('applied 0001-initial');
    expect(a.out()).toContain('created secret key file');
    expect(statSync(`${dbPath}.key`).mode & 0o777).toBe(0o600);

    const b = cli(env);
    expect(await dbCommand.run(['migrate'], b.ctx)).toBe(0);
    expect(b.out()).toBe(`${dbPath}: up to date\n`);

    const target = join(dir, 'b.db');
    const c = cli(env);
    expect(await dbCommand.run(['backup', target], c.ctx)).toBe(0);
    expect(c.out()).toContain(`backed up ${dbPath} to ${target}`);
    const d = cli(env);
    expect(await dbCommand.run(['backup', target], d.ctx)).toBe(2);
    expect(d.err().trim().split('\n')).toHaveLength(1);
    expect(d.err()).toContain('already exists');
    expect(await dbCommand.run(['backup', target, '--force'], cli(env).ctx)).toBe(0);

    // Another key than the one the database was created with.
    const w = cli({ ...env, SMARTLIC_SECRET_KEY: 'b'.repeat(64) });
    expect(await dbCommand.run(['migrate'], w.ctx)).toBe(2);
    expect(w.err()).toMatch(
      /^smartlic db migrate: SECRET_KEY: cannot decrypt the secrets in .*smartlic\.db: SMARTLIC_SECRET_KEY holds another key — restore .*smartlic\.db\.key from the backup/,
    );
    expect(w.err().trim().split('\n')).toHaveLength(1);
  });

  it('usage errors exit 2', async () => {
    const env = { SMARTLIC_DB: join(dir, 'x.db') };
    for (const args of [
      [],
      ['frobnicate'],
      ['backup'],
      ['backup', 'a', 'b'],
      ['migrate', 'extra'],
      ['backup', '--nope', 'f'],
    ]) {
      const c = cli(env);
      expect(await dbCommand.run(args, c.ctx), args.join(' ')).toBe(2);
      expect(c.err()).toMatch(/^smartlic db( \w+)?: INPUT: /);
      expect(c.err().trim().split('\n')).toHaveLength(1);
    }
  });

  it('backup of a database that does not exist fails with exit 1', async () => {
    const c = cli({ SMARTLIC_DB: join(dir, 'missing.db') });
    expect(await dbCommand.run(['backup', join(dir, 'out.db')], c.ctx)).toBe(1);
    expect(c.err()).toContain('cannot open database');
  });
});
