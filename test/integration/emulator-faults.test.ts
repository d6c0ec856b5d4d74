// Real: the emulator over loopback HTTP with its seeded fault injection (POST/DELETE
// /__emulator/faults): latency, error rate, 429 with Retry-After, per-client rate limit,
// hung requests, dropped connections, unreachable cloud/satellite. Faked: nothing; plain fetch.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SA1,
  admin,
  api,
  cloudToken,
  onpremToken,
  start,
  type Emu,
  type Json,
} from './emulator-helpers.ts';

let emu: Emu;
let tok: string;
const url = () => `${emu.ready.cloud.apiBase}/v1/accounts/${SA1}/licenses`;
const page = () => api(url(), tok, { body: { virtualAccounts: [], limit: 10, offset: 0 } });

beforeEach(async () => {
  emu = await start();
  tok = await cloudToken(emu);
});
afterEach(async () => emu.close());

describe('faults', () => {
  it('adds latency', async () => {
    await admin(emu, 'faults', { latencyMs: 150 });
    const t0 = performance.now();
    expect((await page()).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('answers an error rate with the given status and CSSM envelope, seeded', async () => {
    const run = async (): Promise<number[]> => {
      await admin(emu, 'faults', { errorRate: 0.5, errorStatus: 502, seed: 7 });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await page()).status);
      return out;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a).toContain(502);
    expect(a).toContain(200);
    await admin(emu, 'faults', { errorRate: 1, errorStatus: 503 });
    const r = await page();
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ status: 'ERROR', statusMessage: expect.any(String) });
  });

  it('answers 429 with Retry-After', async () => {
    await admin(emu, 'faults', { status429: { rate: 1, retryAfterSeconds: 3 } });
    const r = await page();
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('3');
  });

  it('limits requests per client per second', async () => {
    await admin(emu, 'faults', { rateLimit: { perClientPerSecond: 5, retryAfterSeconds: 1 } });
    // The limit is per wall-clock second: a burst that straddles seconds (a loaded machine)
    // may pass 5 in each second it touches, never more.
    const t0 = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: 40 }, () => page().then((r) => r.status)),
    );
    const secondsTouched = Math.floor((performance.now() - t0) / 1000) + 2;
    const passed = statuses.filter((s) => s === 200).length;
    expect(passed).toBeGreaterThanOrEqual(5);
    expect(passed).toBeLessThanOrEqual(5 * secondsTouched);
    expect(statuses.filter((s) => s === 429).length).toBe(40 - passed);
    expect(passed).toBeLessThan(40);
    // Another client has its own budget.
    const other = await cloudToken(emu, 1);
    const r = await api(`${emu.ready.cloud.apiBase}/v2/accounts`, other);
    expect([200, 429]).toContain(r.status);
  });

  it('hangs requests until the client gives up, and close() still ends', async () => {
    await admin(emu, 'faults', { timeoutRate: 1 });
    const ac = AbortSignal.timeout(300);
    await expect(
      fetch(url(), {
        method: 'POST',
        headers: { authorization: `Bearer ${tok}` },
        body: '{}',
        signal: ac,
      }),
    ).rejects.toThrow();
    // Leave one hanging: close() must not wait for it.
    const pending = fetch(url(), {
      method: 'POST',
      headers: { authorization: `Bearer ${tok}` },
      body: '{}',
    }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await emu.close();
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(await pending).toBeInstanceOf(Error);
    emu = await start(); // for afterEach
  });

  it('drops connections mid-response', async () => {
    await admin(emu, 'faults', { dropRate: 1 });
    await expect(page()).rejects.toThrow();
  });

  it('makes the cloud or the satellite unreachable, and DELETE clears every fault', async () => {
    await admin(emu, 'faults', { unreachable: { cloud: true } });
    await expect(page()).rejects.toThrow();
    await expect(fetch(emu.ready.cloud.tokenUrl, { method: 'POST' })).rejects.toThrow();
    const on = await onpremToken(emu, 'la-initech');
    expect(
      (await api(`${emu.ready.onprem.apiBase}/accounts/la-initech/virtual-accounts`, on)).status,
    ).toBe(200);
    await admin(emu, 'faults', { unreachable: { satellite: true } });
    await expect(
      api(`${emu.ready.onprem.apiBase}/accounts/la-initech/virtual-accounts`, on),
    ).rejects.toThrow();
    expect((await page()).status).toBe(200);
    await admin(emu, 'faults', {}, 'DELETE');
    expect((await admin(emu, 'faults')).unreachable).toEqual({ cloud: false, satellite: false });
  });

  it('scopes faults to one API and never faults the admin API', async () => {
    await admin(emu, 'faults', { errorRate: 1, scope: 'uc' });
    expect((await page()).status).toBe(200);
    const st = await admin(emu, 'state');
    const c = st.clusters.find((x: Json) => x.name === 'acme-cuc-01');
    const r = await fetch(`${c.baseUrl}/vmrest/smartlicense/licensedetails`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${c.credentials.username}:${c.credentials.password}`).toString('base64')}`,
      },
    });
    expect(r.status).toBe(503);
    await expect(admin(emu, 'faults', { nonsense: 1 })).rejects.toThrow(/400/);
  });
});
