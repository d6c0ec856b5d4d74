// Real: the emulator over loopback HTTP with its simulated clock (advanced through the admin
// API), core/domain lifecycle timers (DOMAIN §5) and allocation. Faked: time itself — the
// clock is frozen at the demo's 2026-11-28T12:00:00Z and moved by POST /__emulator/clock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SA1,
  admin,
  api,
  axl,
  cloudToken,
  cluster,
  licenses,
  mintCloudToken,
  start,
  xmlText,
  type Emu,
  type Json,
} from './emulator-helpers.ts';

let emu: Emu;
beforeEach(async () => {
  emu = await start();
});
afterEach(async () => emu.close());

const DAY = 86_400_000;

describe('authorization and registration timers', () => {
  it('hooli-cucm-01, cut off, expires in 10 days and recovers once it can reach CSSM', async () => {
    let c = await cluster(emu, 'hooli-cucm-01');
    expect(c.authorization).toMatchObject({
      status: 'Authorized',
      daysUntilAuthorizationExpiry: 10,
      lastStatus: 'FAILED',
    });
    await admin(emu, 'clock', { advance: 'P10D' });
    c = await cluster(emu, 'hooli-cucm-01');
    expect(c.authorization.status).toBe('Authorization Expired');
    const x = await axl(c, 'getSmartLicenseStatus');
    expect(x.text).toContain('<Authorization><Status>Authorization Expired</Status>');
    expect(xmlText(x.text, 'LastCommunicationStatus')).toBe('FAILED');
    expect(xmlText(x.text, 'AuthorizationFailedReason')).toBe(
      'Fail to send out Call Home HTTP message.',
    );
    await admin(emu, 'clusters/hooli-cucm-01', { cutoff: false }, 'PATCH');
    await admin(emu, 'clock', { advance: 'P1D' });
    c = await cluster(emu, 'hooli-cucm-01');
    expect(c.authorization.status).toBe('Authorized');
    expect(c.authorization.lastStatus).toBe('SUCCEEDED');
  });

  it('a product cut off from its server for 91 days is Authorization Expired; others renew every 30 days', async () => {
    await admin(emu, 'faults', { cutoff: ['acme-cucm-01'] });
    // Make both renewals line up: renew now, while still reachable for the other one.
    const other = await cluster(emu, 'acme-cuc-01');
    const first = Date.parse(other.authorization.nextAttempt);
    const r = await admin(emu, 'clock', { advance: 'P91D' });
    expect(r.now).toBe('2027-02-27T12:00:00Z');
    expect(r.events).toBeGreaterThan(0);
    const cut = await cluster(emu, 'acme-cucm-01');
    expect(cut.authorization.status).toBe('Authorization Expired');
    expect(cut.registration.status).toBe('Registered');
    const ok = await cluster(emu, 'acme-cuc-01');
    expect(ok.authorization.status).toBe('Authorized');
    const last = Date.parse(ok.authorization.lastSuccess);
    expect((last - first) % (30 * DAY)).toBe(0);
    expect(Date.parse(ok.authorization.nextAttempt) - last).toBe(30 * DAY);
  });

  it('renews the ID certificate every 180 days and lets it expire after a year cut off', async () => {
    const c0 = await cluster(emu, 'globex-cer-01');
    const nextId = Date.parse(c0.registration.nextIdRenewal);
    await admin(emu, 'clock', { set: new Date(nextId + DAY).toISOString() });
    const c1 = await cluster(emu, 'globex-cer-01');
    expect(Date.parse(c1.registration.lastIdRenewal)).toBe(nextId);
    expect(Date.parse(c1.registration.registrationExpires)).toBe(nextId + 365 * DAY);

    const tok = await cloudToken(emu);
    const before = (await licenses(emu, tok, SA1, ['va-globex'])).find(
      (l) => l.license === 'HCS Emergency Responder',
    );
    expect(before.inUse).toBe(260);
    await admin(emu, 'faults', { unreachable: { cloud: true } });
    await admin(emu, 'clock', { advance: 'P366D' });
    await admin(emu, 'faults', {}, 'DELETE');
    const c2 = await cluster(emu, 'globex-cer-01');
    expect(c2.registration.status).toBe('Registration Expired');
    const tok2 = await cloudToken(emu);
    const after = (await licenses(emu, tok2, SA1, ['va-globex'])).find(
      (l) => l.license === 'HCS Emergency Responder',
    );
    expect(after.inUse).toBe(0);
  });

  it('the evaluation period of an unregistered product runs out after 90 days from install', async () => {
    let c = await cluster(emu, 'stark-cucm-01');
    expect(c.authorization).toMatchObject({ status: 'Evaluation Mode', evaluationDaysLeft: 70 });
    await admin(emu, 'clock', { advance: 'P70D' });
    c = await cluster(emu, 'stark-cucm-01');
    expect(c.authorization.status).toBe('Evaluation Expired');
  });
});

describe('tokens and the clock', () => {
  it('registration tokens expire on the simulated clock', async () => {
    const tok = await cloudToken(emu);
    const t = await mintCloudToken(emu, tok, SA1, 'va-globex', 1);
    await admin(emu, 'clock', { advance: 'P2D' });
    const tok2 = await cloudToken(emu);
    const list = await api(
      `${emu.ready.cloud.apiBase}/v1/accounts/${SA1}/virtual-accounts/va-globex/tokens`,
      tok2,
    );
    expect(list.body.tokens.find((x: Json) => x.token === t).status).toBe('EXPIRED');
    const c = await cluster(emu, 'globex-cucm-02');
    const r = await axl(c, 'doSmartLicenseRegister', `<token>${t}</token><force>true</force>`);
    expect(r.status).toBe(500);
    expect(r.text).toContain('<axlcode>400</axlcode><axlmessage>INVALID_PARAMETER');
  });

  it('OAuth access tokens last 3599 s of simulated time', async () => {
    const tok = await cloudToken(emu);
    const url = `${emu.ready.cloud.apiBase}/v2/accounts`;
    await admin(emu, 'clock', { advance: 'PT3598S' });
    expect((await api(url, tok)).status).toBe(200);
    await admin(emu, 'clock', { advance: 'PT2S' });
    const r = await api(url, tok);
    expect(r.status).toBe(401);
    expect(r.body.statusMessage).toMatch(/expired/i);
  });

  it('the clock never goes back and takes ISO durations only', async () => {
    await expect(admin(emu, 'clock', { set: '2020-01-01T00:00:00Z' })).rejects.toThrow(/400/);
    await expect(admin(emu, 'clock', { advance: '30 days' })).rejects.toThrow(/400/);
    const r = await admin(emu, 'clock', { advance: 'P1W' });
    expect(r.now).toBe('2026-12-05T12:00:00Z');
  });
});

describe('a running clock', () => {
  it('moves with wall time when not frozen', async () => {
    const live = await start({ frozen: false });
    try {
      const a = Date.parse((await admin(live, 'clock')).now);
      await new Promise((r) => setTimeout(r, 1100));
      const b = Date.parse((await admin(live, 'clock')).now);
      expect(b - a).toBeGreaterThanOrEqual(1000);
    } finally {
      await live.close();
    }
  });
});

describe('term licenses', () => {
  it('a TERM line stops counting the day after its end date: quantity drops, details say EXPIRED', async () => {
    const st = await admin(emu, 'state');
    // The earliest-ending TERM line of the first SA: nothing else changes on that day.
    type Line = {
      license: string;
      licenseDetails: { licenseType: string; quantity: number; endDate: string | null }[];
    };
    type Va = { name: string; licenses: Line[] };
    const vas = (st.smartAccounts[0] as { domain: string; virtualAccounts: Va[] }).virtualAccounts;
    const candidates = vas.flatMap((va) =>
      va.licenses.flatMap((l) =>
        l.licenseDetails
          .filter((d) => d.licenseType === 'TERM' && d.endDate)
          .map((d) => ({
            va: va.name,
            license: l.license,
            quantity: d.quantity,
            endDate: d.endDate!,
          })),
      ),
    );
    const pick = candidates.sort((a, b) => a.endDate.localeCompare(b.endDate))[0]!;
    const bearer = await cloudToken(emu);
    const before = (await licenses(emu, bearer, SA1, [pick.va])).find(
      (l) => l.license === pick.license,
    )!;

    // Still counted on its last day (end date inclusive).
    await admin(emu, 'clock', { set: `${pick.endDate}T23:00:00Z` });
    const lastDay = (await licenses(emu, await cloudToken(emu), SA1, [pick.va])).find(
      (l) => l.license === pick.license,
    )!;
    expect(lastDay.quantity).toBe(before.quantity);

    await admin(emu, 'clock', { advance: 'P1D' });
    const after = (await licenses(emu, await cloudToken(emu), SA1, [pick.va])).find(
      (l) => l.license === pick.license,
    )!;
    expect(after.quantity).toBe(before.quantity - pick.quantity);
    expect(after.available).toBe(after.quantity - after.inUse);
    const detail = (after.licenseDetails as { endDate: string; status: string }[]).find(
      (d) => d.endDate === pick.endDate,
    );
    expect(detail?.status).toBe('EXPIRED');
  });
});
