// Real: core/redact.ts (the one redaction rule) and the places that use it (logger, errors,
// config output, the SecretBox that registers what it encrypts or decrypts, the secret-key check
// on a real in-memory SQLite). Nothing faked.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, redactedConfig } from '../../core/config.ts';
import { SmartlicError } from '../../core/errors.ts';
import { createLogger } from '../../core/log.ts';
import { SecretBox } from '../../core/store/crypto.ts';
import { migrateToLatest, openDatabase, verifySecretKey } from '../../core/store/index.ts';
import {
  forgetSecrets,
  knownSecretForms,
  redact,
  redactText,
  redactUrl,
  registerSecret,
} from '../../core/redact.ts';

afterEach(() => forgetSecrets());

describe('one redaction rule', () => {
  it('removes known secrets wherever they appear, also URL- and JSON-encoded', () => {
    registerSecret('p@ss w/rd+42');
    const text = [
      'echo: p@ss w/rd+42',
      'form: client_secret2=p%40ss%20w%2Frd%2B42',
      'form: x=p%40ss+w%2Frd%2B42',
      'json: {"s":"p@ss w/rd+42"}',
    ].join('\n');
    const out = redactText(text);
    expect(out).not.toMatch(/p@ss|p%40ss/);
    expect(out.match(/\[redacted\]/g)).toHaveLength(4);
  });

  it.each([
    [
      'grant_type=client_credentials&client_id=abc&client_secret=XyZ123',
      'grant_type=client_credentials&client_id=abc&client_secret=[redacted]',
    ],
    ['Authorization: Bearer eyJabc.def.ghi', 'Authorization: Bearer [redacted]'],
    ['Authorization: Basic Ym9iOmh1bnRlcjIy', 'Authorization: Basic [redacted]'],
    ['authorization: Basic not-base64!', 'authorization: Basic [redacted]!'],
    ['sent Basic Ym9iOmh1bnRlcjIy to the proxy', 'sent Basic [redacted] to the proxy'],
    ['{"client_secret": "XyZ123"}', '{"client_secret": "[redacted]"}'],
    ['{\\"password\\":\\"hunter22\\"}', '{\\"password\\":\\"[redacted]\\"}'],
    ['proxy http://bob:hunter22@proxy:3128/ down', 'proxy http://bob:[redacted]@proxy:3128/ down'],
    ['password: hunter22', 'password: [redacted]'],
    ['?token=abcdef&x=1', '?token=[redacted]&x=1'],
    ['id eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig_value', 'id [redacted]'],
  ])('credential-looking pattern %s', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it('leaves prose alone', () => {
    const prose =
      'cannot decrypt a stored secret: the secret key differs; token invalid or expired; 3 active token(s)';
    expect(redactText(prose)).toBe(prose);
  });

  it('leaves license names with "Basic" alone (a word after it is not a credential)', () => {
    const line =
      '70 HCS Unity Connection Basic available; UCM Basic user count; CUC Basic Messaging (TERM)';
    expect(redactText(line)).toBe(line);
  });

  it('structured values: secret-named fields whole, strings by the text rule', () => {
    registerSecret('K3y-Value-77');
    expect(
      redact({
        clientSecret: 'x',
        accessToken: 'y',
        tokenUrl: 'https://h/t',
        tokensRefreshed: 2,
        note: 'saw K3y-Value-77',
      }),
    ).toEqual({
      clientSecret: '[redacted]',
      accessToken: '[redacted]',
      tokenUrl: 'https://h/t',
      tokensRefreshed: 2,
      note: 'saw [redacted]',
    });
  });

  it('is what the logger, errors, URLs and config output use', () => {
    registerSecret('Cl1ent-Secret-9');
    const lines: string[] = [];
    createLogger({ write: (l) => lines.push(l) }).warn('answer: Cl1ent-Secret-9');
    expect(lines[0]).not.toContain('Cl1ent-Secret-9');
    const e = new SmartlicError({
      code: 'CSSM1011',
      message: 'refused ("client_secret=Cl1ent-Secret-9")',
      action: 'not Cl1ent-Secret-9',
    });
    expect(`${e.message} ${e.action} ${e.toLine()}`).not.toContain('Cl1ent-Secret-9');
    expect(redactUrl('https://u:pw@h/t?client_secret=abc&q=Cl1ent-Secret-9')).toBe(
      'https://h/t?client_secret=%5Bredacted%5D&q=[redacted]',
    );
    const config = loadConfig({
      env: {},
      overrides: { cssm: { proxyUrl: 'http://bob:hunter22@p:3128' } },
    });
    expect(JSON.stringify(redactedConfig(config))).not.toContain('hunter22');
  });
});

describe('known secrets at scale (one pass over the text, however many are known)', () => {
  it('finds each of 20,000 secrets, in every form, and leaves the text between them', () => {
    const secrets = Array.from({ length: 20_000 }, (_, i) => `Tok-${i.toString(36)}/x+${i}=`);
    for (const s of secrets) registerSecret(s);
    for (const i of [0, 1, 777, 12_345, 19_999]) {
      const s = secrets[i] ?? '';
      const text = [
        `plain ${s}.`,
        `url ${encodeURIComponent(s)}`,
        `form ${new URLSearchParams({ v: s }).toString().slice(2)}`,
        `json ${JSON.stringify({ t: s })}`,
      ].join('\n');
      const out = redactText(text);
      expect(out).toBe(
        'plain [redacted].\nurl [redacted]\nform [redacted]\njson {"t":"[redacted]"}',
      );
    }
  });

  it('a secret at the very start, at the very end, alone, twice, and adjacent to another', () => {
    registerSecret('alpha-secret-1');
    registerSecret('bravo-secret-2');
    expect(redactText('alpha-secret-1')).toBe('[redacted]');
    expect(redactText('alpha-secret-1 and alpha-secret-1')).toBe('[redacted] and [redacted]');
    expect(redactText('x=alpha-secret-1bravo-secret-2')).toBe('x=[redacted][redacted]');
    expect(redactText('end:bravo-secret-2')).toBe('end:[redacted]');
  });

  it('the longest known secret wins where one begins another', () => {
    registerSecret('abcdef');
    registerSecret('abcdefghij');
    expect(redactText('<abcdefghij> <abcdefXY>')).toBe('<[redacted]> <[redacted]XY>');
  });

  it('overlapping secrets are covered whole: no part of either is left', () => {
    registerSecret('AAAA-1111');
    registerSecret('1111-BBBB');
    expect(redactText('[AAAA-1111-BBBB]')).toBe('[[redacted]]');
  });

  it('secrets sharing a long common head (registration tokens) are told apart', () => {
    const head = 'NjRkNGQxYjEtYmM3Ni00ZjQ4LWE4';
    for (let i = 0; i < 1000; i++) registerSecret(`${head}${String(i).padStart(4, '0')}`);
    expect(redactText(`a ${head}0042 b ${head}9999 c`)).toBe(`a [redacted] b ${head}9999 c`);
  });

  it('non-ASCII secrets and text', () => {
    registerSecret('pässwörd-ünïcode');
    const out = redactText('€ pässwörd-ünïcode € p%C3%A4ssw%C3%B6rd-%C3%BCn%C3%AFcode');
    expect(out).toBe('€ [redacted] € [redacted]');
  });

  it('short values are not registered; registering twice is harmless', () => {
    registerSecret('abc12');
    registerSecret('');
    registerSecret(null);
    expect(redactText('abc12')).toBe('abc12');
    expect(knownSecretForms()).toBe(0);
    registerSecret('same-value-x');
    const forms = knownSecretForms();
    registerSecret('same-value-x');
    expect(knownSecretForms()).toBe(forms);
    expect(redactText('same-value-x')).toBe('[redacted]');
  });

  it('is linear: registering 30,000 secrets and redacting with them stays fast', () => {
    const t0 = performance.now();
    for (let i = 0; i < 30_000; i++) registerSecret(`registration-token-${i}-${i * 7919}`);
    const registerMs = performance.now() - t0;
    const line = 'sync of acme.example failed: token invalid or expired; '.repeat(20);
    const t1 = performance.now();
    for (let i = 0; i < 1000; i++) redactText(line);
    const redactMs = performance.now() - t1;
    // The quadratic rule took ~60 s to register 30,000 secrets; generous bounds for a shared machine.
    expect(registerMs).toBeLessThan(3000);
    expect(redactMs).toBeLessThan(3000);
    expect(redactText('registration-token-29999-237562081')).toBe('[redacted]');
  });
});

describe('what is registered', () => {
  it('a value the SecretBox encrypts or decrypts (passwords, client secrets, tokens at rest)', () => {
    const box = SecretBox.random();
    const stored = box.encrypt('cluster-admin-pw-1');
    forgetSecrets();
    expect(redactText('pw cluster-admin-pw-1')).toBe('pw cluster-admin-pw-1');
    box.decrypt(stored);
    expect(redactText('pw cluster-admin-pw-1')).toBe('pw [redacted]');
  });

  it('not the secret-key check: a constant in the source, no secret', async () => {
    const h = openDatabase({ path: ':memory:' });
    try {
      await migrateToLatest(h.db);
      const box = SecretBox.random();
      expect(await verifySecretKey(h.db, box)).toBe('recorded');
      expect(await verifySecretKey(h.db, box)).toBe('ok');
      expect(knownSecretForms()).toBe(0);
      expect(redactText('smartlic secret key check v1')).toBe('smartlic secret key check v1');
    } finally {
      await h.close();
    }
  });
});
