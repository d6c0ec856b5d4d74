// Real: the sync service, OAuth client, CSSM client and HTTP over loopback, SQLite in a temp
// file, the logger. Faked: CSSM (test/fakes/fake-cssm.ts) answering with errors that echo the
// request: the client secret from the token request, the bearer token from an API call.
// What is checked: no stored or logged text (job, account's last error, audit, log lines)
// carries a secret in clear.
import { afterEach, describe, expect, it } from 'vitest';
import { json } from '../fakes/fake-http.ts';
import { fakeSetup, type FakeFixture } from './fake-cssm-fixture.ts';

let fx: FakeFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/** Every text a sync stores or logs, as one string. */
async function everything(f: FakeFixture): Promise<string> {
  const db = f.h.db;
  const rows = [
    ...(await db.selectFrom('jobs').selectAll().execute()),
    ...(await db.selectFrom('smart_accounts').select(['last_sync_error', 'name']).execute()),
    ...(await db.selectFrom('audit_log').selectAll().execute()),
  ];
  return `${JSON.stringify(rows)}\n${f.logs.join('\n')}`;
}

describe('secrets never stored or printed from a remote answer', () => {
  it('an OAuth server echoing the request: the client secret is not stored', async () => {
    fx = await fakeSetup();
    const secret = fx.cssm.world.clientSecret;
    fx.cssm.intercept((req, res) => {
      if (req.path === '/oauth2/token') {
        json(res, 400, { error: 'invalid_request', error_description: `cannot parse ${req.body}` });
      } else {
        json(res, 401, { error: 'invalid_token' });
      }
      return true;
    });
    const o = await fx.services.sync.syncAccount(fx.account.id, { requestedBy: 'test' });
    expect(o.status).toBe('Failed');
    expect(o.error?.code).toBe('CSSM1011');
    expect(o.error?.message).toMatch(/cannot parse grant_type=client_credentials/);
    expect(o.error?.message).toContain('client_secret=[redacted]');
    const all = await everything(fx);
    expect(all).toContain('cannot parse');
    expect(all).not.toContain(secret);
    expect(all).not.toContain(encodeURIComponent(secret));
  });

  it('an API echoing the bearer token and a password-looking text: neither is stored', async () => {
    fx = await fakeSetup();
    fx.cssm.intercept((req, res) => {
      if (req.path.includes('/virtual-accounts')) {
        json(res, 500, {
          message: `backend failed for ${req.headers.authorization} (proxy password=hunter22; "client_secret":"other-Secret-1")`,
        });
        return true;
      }
      return false;
    });
    const o = await fx.services.sync.syncAccount(fx.account.id, { requestedBy: 'test' });
    expect(o.status).toBe('Failed');
    expect(o.error?.message).toMatch(/backend failed for Bearer \[redacted\]/);
    const all = await everything(fx);
    expect(all).toContain('backend failed');
    for (const t of fx.cssm.accessTokens) expect(all).not.toContain(t);
    expect(all).not.toContain('hunter22');
    expect(all).not.toContain('other-Secret-1');
  });
});
