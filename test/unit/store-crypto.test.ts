// Real: SecretBox (node:crypto AES-256-GCM), hashSecret, resolveSecretKey's parsing of
// SMARTLIC_SECRET_KEY values (no file system touched: a key value is always given).
// Faked: nothing.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox, hashSecret, resolveSecretKey } from '../../core/store/crypto.ts';
import { SmartlicError } from '../../core/errors.ts';

function errorOf(fn: () => unknown): SmartlicError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SmartlicError) return e;
    throw e;
  }
  throw new Error('expected a SmartlicError');
}

describe('SecretBox', () => {
  it('round-trips text, including empty and non-ASCII', () => {
    const box = SecretBox.random();
    for (const s of ['', 'client-secret-123', 'päss wörd ✓ 秘密', 'x'.repeat(10_000)]) {
      expect(box.decrypt(box.encrypt(s))).toBe(s);
    }
  });

  it('stores v1:<iv>:<tag>:<ct> with a fresh 12-byte IV each time', () => {
    const box = SecretBox.random();
    const a = box.encrypt('same');
    const b = box.encrypt('same');
    expect(a).not.toBe(b);
    const [v, iv, tag, ct] = a.split(':');
    expect(v).toBe('v1');
    expect(Buffer.from(iv!, 'base64')).toHaveLength(12);
    expect(Buffer.from(tag!, 'base64')).toHaveLength(16);
    expect(Buffer.from(ct!, 'base64')).toHaveLength(4);
    expect(a).not.toContain('same');
  });

  it('detects a tampered ciphertext, tag or IV', () => {
    const box = SecretBox.random();
    const [v, iv, tag, ct] = box.encrypt('the secret').split(':') as [
      string,
      string,
      string,
      string,
    ];
    const flip = (b64: string): string => {
      const b = Buffer.from(b64, 'base64');
      b[0] = b[0]! ^ 0x01;
      return b.toString('base64');
    };
    for (const bad of [
      [v, iv, tag, flip(ct)],
      [v, iv, flip(tag), ct],
      [v, flip(iv), tag, ct],
    ]) {
      const e = errorOf(() => box.decrypt(bad.join(':')));
      expect(e.code).toBe('SECRET_KEY');
    }
  });

  it('refuses the wrong key with SECRET_KEY and the recommended action', () => {
    const stored = SecretBox.random().encrypt('client-secret');
    const e = errorOf(() => SecretBox.random().decrypt(stored));
    expect(e.code).toBe('SECRET_KEY');
    expect(e.action).toBe('set SMARTLIC_SECRET_KEY to the key the database was created with');
    expect(e.toLine()).not.toContain('client-secret');
  });

  it('rejects malformed stored values and keys of the wrong size', () => {
    const box = SecretBox.random();
    expect(errorOf(() => box.decrypt('plaintext')).code).toBe('SECRET_FORMAT');
    expect(errorOf(() => box.decrypt('v2:a:b:c')).code).toBe('SECRET_FORMAT');
    expect(errorOf(() => box.decrypt('v1:AAAA:AAAA:AAAA')).code).toBe('SECRET_FORMAT');
    expect(errorOf(() => new SecretBox(randomBytes(16))).code).toBe('SECRET_KEY');
  });

  it('fingerprints and compares keys without exposing them', () => {
    const key = randomBytes(32);
    const a = new SecretBox(key);
    const b = new SecretBox(Buffer.from(key));
    expect(a.fingerprint()).toBe(b.fingerprint());
    expect(a.sameKeyAs(b)).toBe(true);
    expect(a.sameKeyAs(SecretBox.random())).toBe(false);
    expect(a.fingerprint()).not.toContain(key.toString('hex').slice(0, 16));
  });
});

describe('hashSecret', () => {
  it('is sha256 hex', () => {
    expect(hashSecret('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('resolveSecretKey from SMARTLIC_SECRET_KEY', () => {
  const dbPath = '/nonexistent/never-touched.db';

  it('accepts 64 hex characters', () => {
    const hex = randomBytes(32).toString('hex');
    const r = resolveSecretKey({ envValue: hex, dbPath });
    expect(r.source).toBe('env-hex');
    expect(r.key.toString('hex')).toBe(hex);
  });

  it('accepts base64 and base64url of 32 bytes', () => {
    const key = randomBytes(32);
    const r = resolveSecretKey({ envValue: key.toString('base64'), dbPath });
    expect(r.source).toBe('env-base64');
    expect(r.key.equals(key)).toBe(true);
    const u = resolveSecretKey({ envValue: key.toString('base64url'), dbPath });
    expect(u.key.equals(key)).toBe(true);
  });

  it('derives a stable key from a passphrase with scrypt', () => {
    const a = resolveSecretKey({ envValue: 'correct horse battery staple', dbPath });
    const b = resolveSecretKey({ envValue: '  correct horse battery staple  ', dbPath });
    expect(a.source).toBe('env-passphrase');
    expect(a.key).toHaveLength(32);
    expect(a.key.equals(b.key)).toBe(true);
    expect(a.key.equals(resolveSecretKey({ envValue: 'another passphrase!', dbPath }).key)).toBe(
      false,
    );
  });

  it('refuses a short passphrase', () => {
    expect(errorOf(() => resolveSecretKey({ envValue: 'short', dbPath })).code).toBe('SECRET_KEY');
  });

  it('gives an in-memory database an ephemeral key when none is set', () => {
    const r = resolveSecretKey({ envValue: '', dbPath: ':memory:' });
    expect(r.source).toBe('ephemeral');
    expect(r.key).toHaveLength(32);
  });
});
