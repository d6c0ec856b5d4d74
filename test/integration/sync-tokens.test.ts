// Real: the sync and token services, CSSM client and HTTP over loopback, SQLite in a temp
// file. Faked: CSSM (test/fakes/fake-cssm.ts) with tokens the test edits, and the clock.
// What is checked: tokens CSSM stops listing are marked gone; each export-control kind is
// refreshed on its own; listing tokens decrypts none of them.
import { afterEach, describe, expect, it } from 'vitest';
import { fakeSetup, type FakeFixture } from './fake-cssm-fixture.ts';

let fx: FakeFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const sync = (f: FakeFixture) =>
  f.services.sync.syncAccount(f.account.id, { requestedBy: 'test', full: true });
const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

describe('registration tokens in a sync', () => {
  it('a token CSSM no longer lists is marked gone and no longer counts as valid', async () => {
    fx = await fakeSetup();
    expect((await sync(fx)).counts.tokens).toBe(3);
    fx.cssm.world.tokens['va-lab'] = [];
    const o = await sync(fx);
    expect(o.status).toBe('Completed');
    expect(o.counts.tokens).toBe(2);
    const lab = (await fx.repos.virtualAccounts.getByName(fx.account.id, 'va-lab'))!;
    const [t] = await fx.repos.tokens.list({ virtualAccountId: lab.id });
    expect(t!.goneSince).toEqual(fx.clock.now());
    expect(await fx.repos.tokens.findValid(lab.id)).toBeUndefined();
  });

  it('each export-control kind is refreshed separately', async () => {
    fx = await fakeSetup();
    fx.cssm.world.tokens['va-ops'] = [
      {
        token: `PLAIN${'p'.repeat(40)}`,
        expirationDate: inDays(10),
        exportControlled: 'Not Allowed',
        status: 'ACTIVE',
      },
      {
        token: `EXPORT${'e'.repeat(40)}`,
        expirationDate: inDays(300),
        exportControlled: 'Allowed',
        status: 'ACTIVE',
      },
    ];
    const o = await sync(fx);
    expect(o.counts.tokensRefreshed).toBe(1);
    const minted = fx.cssm.world.tokens['va-ops'].slice(2);
    expect(minted.map((t) => t.exportControlled)).toEqual(['Not Allowed']);
  });

  it('listing tokens decrypts none: masks are stored, and two masks differ', async () => {
    fx = await fakeSetup();
    fx.cssm.world.tokens['va-ops'] = ['AAAA', 'BBBB'].map((p) => ({
      token: `${encodeURIComponent(`${p}${'x'.repeat(30)}`)}%0A${encodeURIComponent(`${p}yy==`)}%0A`,
      expirationDate: inDays(300),
      exportControlled: 'Not Allowed' as const,
      status: 'ACTIVE',
    }));
    await sync(fx);
    // Damage every ciphertext: a listing that decrypted would fail.
    await fx.h.db
      .updateTable('registration_tokens')
      .set({ token_enc: 'v1:AAAA:BBBB:CCCC' })
      .execute();
    const list = await fx.services.tokens.list({ domain: fx.account.domain, va: 'va-ops' });
    expect(list.map((t) => t.masked).sort()).toEqual(['AAAA…yy==', 'BBBB…yy==']);
  });
});
