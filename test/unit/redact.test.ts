// Real: core/redact.ts (the one redaction rule) and the places that use it (logger, errors,
// config output). Nothing faked.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, redactedConfig } from '../../core/config.ts';
import { SmartlicError } from '../../core/errors.ts';
import { createLogger } from '../../core/log.ts';
import { forgetSecrets, redact, redactText, redactUrl, registerSecret } from '../../core/redact.ts';

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
