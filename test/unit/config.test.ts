// Real: core/config.ts with real temp files (JSON and YAML). Faked: the environment (a plain object).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, normalizeSiteBase, redactedConfig } from '../../core/config.ts';
import { SmartlicError } from '../../core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-config-'));

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SmartlicError);
    return ((e as SmartlicError).details?.problems as string[]) ?? [(e as Error).message];
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('has working defaults with an empty environment', () => {
    const c = loadConfig({ env: {} });
    expect(c.db.path).toBe('data/smartlic.db');
    expect(c.sync.cron).toBe('0 3 * * *');
    expect(c.sync.timezone).toBe('UTC');
    expect(c.emulator.embedded).toBe(true);
    expect(c.cssm.apiBase).toMatch(/smart-accounts-and-licensing$/);
  });

  it('layers file under environment', () => {
    const file = join(dir, 'a.yaml');
    writeFileSync(
      file,
      'db:\n  path: /tmp/x.db\nsync:\n  cron: "0 4 * * *"\n  timezone: Europe/Berlin\n',
    );
    const c = loadConfig({ env: { SMARTLIC_CONFIG: file, SMARTLIC_SYNC_CRON: '*/5 * * * *' } });
    expect(c.db.path).toBe('/tmp/x.db');
    expect(c.sync.timezone).toBe('Europe/Berlin');
    expect(c.sync.cron).toBe('*/5 * * * *');
  });

  it('reads JSON files', () => {
    const file = join(dir, 'b.json');
    writeFileSync(file, JSON.stringify({ http: { timeoutMs: 5000 } }));
    expect(loadConfig({ env: { SMARTLIC_CONFIG: file } }).http.timeoutMs).toBe(5000);
  });

  it('reports every problem at once with its path and what is expected', () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ sync: { timezone: 'Mars/Olympus' }, bogus: 1 }));
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          SMARTLIC_CONFIG: file,
          SMARTLIC_HTTP_RETRIES: 'three',
          SMARTLIC_SYNC_CRON: 'often',
          SMARTLIC_EMULATOR: 'maybe',
        },
      }),
    );
    expect(problems.join('\n')).toMatch(
      /http\.maxRetries \(SMARTLIC_HTTP_RETRIES\): expected a whole number \(got "three"\)/,
    );
    expect(problems.join('\n')).toMatch(
      /emulator\.embedded \(SMARTLIC_EMULATOR\): expected true or false/,
    );
    expect(problems.join('\n')).toMatch(
      /sync\.cron \(SMARTLIC_SYNC_CRON\): expected a cron expression/,
    );
    expect(problems.join('\n')).toMatch(
      /sync\.timezone \(SMARTLIC_SYNC_TIMEZONE\): expected an IANA time zone/,
    );
    expect(problems.join('\n')).toMatch(/unknown setting\(s\) "bogus"/);
    expect(problems.length).toBe(5);
  });

  it('never echoes the password of a proxy URL, and the message is one line', () => {
    let msg = '';
    try {
      loadConfig({ env: { SMARTLIC_PROXY_URL: 'ftp://bob:s3cr3t-pass@proxy.example' } });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/cssm\.proxyUrl \(SMARTLIC_PROXY_URL\): .*ftp:\/\/bob:\[redacted\]@proxy/);
    expect(msg).not.toContain('s3cr3t-pass');
    expect(msg).not.toContain('\n');
  });

  it('names a missing or malformed file', () => {
    expect(() => loadConfig({ env: { SMARTLIC_CONFIG: join(dir, 'nope.yaml') } })).toThrow(
      /cannot read the config file/,
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"db":');
    expect(() => loadConfig({ env: { SMARTLIC_CONFIG: bad } })).toThrow(/not valid JSON/);
  });

  it('redacts secrets in the shown config and never echoes a bad secret value', () => {
    const c = loadConfig({
      env: {
        SMARTLIC_SECRET_KEY: 'hunter2-hunter2',
        SMARTLIC_PROXY_URL: 'http://user:pw-secret@proxy.example:3128',
      },
    });
    const shown = JSON.stringify(redactedConfig(c));
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toContain('pw-secret');
    expect(shown).toContain('proxy.example');
  });
});

describe('site.base', () => {
  it('defaults to the web root and is normalised to /path/', () => {
    expect(loadConfig({ env: {} }).site.base).toBe('/');
    expect(loadConfig({ env: { SMARTLIC_SITE_BASE: 'smartlic' } }).site.base).toBe('/smartlic/');
    expect(normalizeSiteBase('/reports/hcs')).toBe('/reports/hcs/');
    expect(normalizeSiteBase(' / ')).toBe('/');
  });

  it('refuses what is not a plain path: a URL, dot segments, odd characters', () => {
    for (const bad of ['http://x.example/', '/a/../b/', '/./', '/a b/', '/a?x=1', '/<x>/']) {
      expect(normalizeSiteBase(bad), bad).toBeNull();
    }
    const problems = problemsOf(() => loadConfig({ env: { SMARTLIC_SITE_BASE: '/a/../b' } }));
    expect(problems.join('\n')).toMatch(/site\.base.*not a path such as \/smartlic\//);
  });
});
