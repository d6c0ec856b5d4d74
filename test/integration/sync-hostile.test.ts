// Real: the sync service, CSSM client and HTTP client over loopback, SQLite in a temp file.
// Faked: CSSM (test/fakes/fake-cssm.ts) answering hostile things: a license answer far above
// the size limit, `Retry-After: 0`, a `Retry-After` of an hour.
// What is checked: each ends in its own clear error (or a completed sync), quickly, and the
// previous data stays.
import { afterEach, describe, expect, it } from 'vitest';
import { json } from '../fakes/fake-http.ts';
import { fakeSetup, type FakeFixture } from './fake-cssm-fixture.ts';

let fx: FakeFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const sync = (f: FakeFixture) =>
  f.services.sync.syncAccount(f.account.id, { requestedBy: 'test', full: true });

describe('hostile answers', () => {
  it('an oversized license answer fails with HTTP_TOO_LARGE; reading stops; data kept', async () => {
    fx = await fakeSetup({ config: { http: { maxResponseBytes: 1024 * 1024 } } });
    expect((await sync(fx)).status).toBe('Completed');
    const before = await fx.h.db.selectFrom('licenses').selectAll().execute();
    let sent = 0;
    fx.cssm.intercept((req, res) => {
      if (!req.path.endsWith('/licenses')) return false;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":"SUCCESS","totalRecords":1,"licenses":[{"license":"');
      const chunk = 'x'.repeat(64 * 1024);
      const pump = () => {
        while (sent < 200 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('"}]}');
      };
      res.on('error', () => undefined);
      pump();
      return true;
    });
    const o = await sync(fx);
    expect(o.status).toBe('Failed');
    expect(o.error?.code).toBe('HTTP_TOO_LARGE');
    expect(o.error?.message).toMatch(/larger than 1048576 bytes/);
    expect(o.error?.action).toMatch(/http\.maxResponseBytes/);
    expect(sent).toBeLessThan(200 * 1024 * 1024);
    expect(await fx.h.db.selectFrom('licenses').selectAll().execute()).toEqual(before);
  });

  it('Retry-After: 0 is retried after the minimum backoff, not at once', async () => {
    fx = await fakeSetup({ config: { http: { maxRetries: 3, minRetryDelayMs: 200 } } });
    const times: number[] = [];
    fx.cssm.intercept((req, res) => {
      if (!req.path.endsWith('/virtual-accounts')) return false;
      times.push(performance.now());
      if (times.length <= 2) {
        json(res, 429, { message: 'slow down' }, { 'retry-after': '0' });
        return true;
      }
      return false;
    });
    expect((await sync(fx)).status).toBe('Completed');
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(195);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(195);
  });

  it('a Retry-After above the cap fails at once with "CSSM asked to wait N s"', async () => {
    fx = await fakeSetup({ config: { http: { maxRetries: 4, retryAfterCapMs: 5000 } } });
    fx.cssm.intercept((req, res) => {
      if (!req.path.endsWith('/licenses')) return false;
      json(res, 429, { message: 'slow down' }, { 'retry-after': '3600' });
      return true;
    });
    const t0 = performance.now();
    const o = await sync(fx);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(o.status).toBe('Failed');
    expect(o.error?.code).toBe('RETRY_AFTER_TOO_LONG');
    expect(o.error?.message).toMatch(/^CSSM asked to wait 3600 s/);
  });
});
