// Unit: pure rules of the one registry (issue 21) — an older spelling finds the command it
// became, the audit's copy of a line loses any secret typed on it, every verb and alias is
// registered once, and a secret-taking command says so in its help. Nothing is faked: the real
// default registry and layer functions, no database. Covers bot/commands/registry.ts
// (Registry.formerly), bot/commands/layer.ts (redactSecretFlags), bot/commands/handlers/inventory.ts.
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../bot/index.ts';
import { redactSecretFlags } from '../../bot/commands/layer.ts';

describe('older spellings', () => {
  const reg = defaultRegistry();
  it.each([
    [['cluster', 'renew-auth', 'x'], 'renew'],
    [['Cluster', 'RENEW-ID', 'x'], 'renew'],
  ])('%j answers with `%s`', (words, verb) => {
    expect(reg.formerly(words)?.spec.verb).toBe(verb);
  });
  it('a current spelling is not an older one', () => {
    expect(reg.formerly(['cluster', 'show', 'x'])).toBeUndefined();
    expect(reg.formerly(['renew', 'auth', 'x'])).toBeUndefined();
  });
  it('the terminal spellings are aliases of the chat verbs', () => {
    for (const [alias, verb] of [
      ['cluster assign', 'assign'],
      ['cluster register', 'register'],
      ['cluster unassign', 'unassign'],
      ['cluster deregister', 'deregister'],
      ['va mode', 'mode'],
      ['va transport', 'transport'],
      ['customer list', 'customers'],
    ]) {
      expect(reg.get(alias!)?.verb, alias).toBe(verb);
    }
  });
  it('an old argument form is told with the right one', () => {
    const mode = reg.get('mode')!;
    expect(mode.olderForm?.(['d.example', 'va-x', 'HCS'])).toContain('`mode d.example/va-x HCS`');
    expect(mode.olderForm?.(['d.example/va-x', 'HCS'])).toBeUndefined();
    const sync = reg.get('sync')!;
    expect(sync.olderForm?.(['--account=d.example'])).toContain('`sync d.example`');
  });
});

describe('secrets', () => {
  it('the audit copy of a line keeps no secret value, in either flag form', () => {
    expect(redactSecretFlags('account add --domain d --secret hunter2 --client-id x')).toBe(
      'account add --domain d --secret *** --client-id x',
    );
    expect(redactSecretFlags('cluster add --password="p w" --name n')).toBe(
      'cluster add --password=*** --name n',
    );
    expect(redactSecretFlags('status Globex')).toBe('status Globex');
    // A line that does not tokenize is cut at the flag.
    expect(redactSecretFlags('account add --secret "unclosed')).toBe('account add --secret ***');
  });
  it('the commands that take a secret say, in their help, that it never comes through chat', () => {
    const reg = defaultRegistry();
    for (const verb of ['account add', 'cluster add']) {
      const spec = reg.get(verb)!;
      expect(spec.summary, verb).toMatch(/terminal only/);
      expect(spec.flags?.map((f) => f.help).join(' '), verb).toMatch(/never in chat/);
    }
  });
});
