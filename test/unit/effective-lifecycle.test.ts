// Real: core/domain/effective-lifecycle.ts over core/domain/lifecycle.ts (pure). Faked: nothing
// — the stored facts are plain objects built relative to one instant T0, and `now` is passed in.
// Every case has the product unreachable after T0 (its status reads fail), so the states below
// come from the timers alone; expected values are written from DOMAIN §5 by hand.
import { describe, expect, it } from 'vitest';
import { effectiveLifecycle, type StoredLicensing } from '../../core/domain/effective-lifecycle.ts';

const T0 = new Date('2026-01-01T12:00:00.000Z');
const day = (n: number) => new Date(T0.getTime() + n * 86_400_000);

/** Registered and Authorized at T0 (last good read), every read since failed. */
function registeredThenCutOff(
  lastFailedRead: Date,
  extra: Partial<StoredLicensing> = {},
): StoredLicensing {
  return {
    appType: 'CUCM',
    reportedRegistration: 'Registered',
    reportedAuthorization: 'Authorized',
    reportedRegistrationExpires: new Date('2026-12-01T12:00:00.000Z'),
    reportedAuthorizationExpires: day(90),
    evaluationPeriodRemaining: 60,
    registeredAt: day(-30),
    lastAuthorizationSuccessAt: T0,
    lastIdRenewalAt: day(-30),
    installedAt: day(-60),
    outOfComplianceSince: null,
    lastStatusReadAt: T0,
    lastReadErrorAt: lastFailedRead,
    lastReadError: 'UC1005: connection refused',
    licensesCounted: 150,
    createdAt: day(-60),
    ...extra,
  };
}

describe('effective authorization of a product unreachable since its last successful authorization', () => {
  const cases: [number, string, number, boolean][] = [
    // day, state, days left until authorization expiry, renewal due (every 30 days)
    [29, 'Authorized', 61, false],
    [30, 'Authorized', 60, true],
    [89, 'Authorized', 1, true],
    [90, 'Authorization Expired', 0, true],
    [91, 'Authorization Expired', 0, true],
  ];
  for (const [n, state, left, due] of cases) {
    it(`day ${n}: ${state}, ${left} day(s) left`, () => {
      const e = effectiveLifecycle(registeredThenCutOff(day(n)), day(n));
      expect(e.registration).toBe('Registered');
      expect(e.authorization).toBe(state);
      expect(e.daysUntilAuthorizationExpiry).toBe(left);
      expect(e.daysLeft).toBe(left);
      expect(e.daysLeftOf).toBe('authorization');
      expect(e.authorizationRenewalDue).toBe(due);
      expect(e.authorizationExpires?.toISOString()).toBe('2026-04-01T12:00:00.000Z');
      expect(e.reachable).toBe(false);
      expect(e.unreachableSince?.toISOString()).toBe(day(n).toISOString());
      expect(e.source).toBe(state === 'Authorized' ? 'product' : 'timers');
      if (state !== 'Authorized') {
        expect(e.basis).toMatch(/last said Registered \/ Authorized on 2026-01-01/);
        expect(e.basis).toMatch(/not answered since 2026-01-01/);
      }
    });
  }

  it('without a stored last success, the product-reported expiry dates the clock', () => {
    const s = registeredThenCutOff(day(90), {
      lastAuthorizationSuccessAt: null,
      registeredAt: null,
    });
    expect(effectiveLifecycle(s, day(89)).authorization).toBe('Authorized');
    expect(effectiveLifecycle(s, day(90)).authorization).toBe('Authorization Expired');
  });

  it('a product that reported trouble keeps it, whatever the timers say', () => {
    const s = registeredThenCutOff(day(5), {
      reportedAuthorization: 'Out of compliance',
      outOfComplianceSince: day(-1),
    });
    expect(effectiveLifecycle(s, day(5)).authorization).toBe('Out of compliance');
  });
});

describe('effective evaluation of an unregistered product, unreachable', () => {
  const unregistered = (failedAt: Date): StoredLicensing => ({
    ...registeredThenCutOff(failedAt),
    reportedRegistration: 'Unregistered',
    reportedAuthorization: 'Evaluation Mode',
    reportedRegistrationExpires: null,
    reportedAuthorizationExpires: null,
    registeredAt: null,
    lastAuthorizationSuccessAt: null,
    lastIdRenewalAt: null,
    installedAt: T0,
    evaluationPeriodRemaining: 90,
  });
  const cases: [number, string, number][] = [
    [29, 'Evaluation Mode', 61],
    [30, 'Evaluation Mode', 60],
    [89, 'Evaluation Mode', 1],
    [90, 'Evaluation Expired', 0],
    [91, 'Evaluation Expired', 0],
  ];
  for (const [n, state, left] of cases) {
    it(`day ${n}: ${state}, ${left} evaluation day(s) left`, () => {
      const e = effectiveLifecycle(unregistered(day(n)), day(n));
      expect(e.registration).toBe('Unregistered');
      expect(e.authorization).toBe(state);
      expect(e.evaluationDaysLeft).toBe(left);
      expect(e.daysLeftOf).toBe('evaluation');
      expect(e.evaluationExpires?.toISOString()).toBe('2026-04-01T12:00:00.000Z');
    });
  }

  it('without a stored install date, the reported days remaining date it', () => {
    const s = { ...unregistered(day(10)), installedAt: null, evaluationPeriodRemaining: 80 };
    // Read at T0 with 80 days left → installed 10 days before T0 → ends at day 80.
    expect(effectiveLifecycle(s, day(79)).authorization).toBe('Evaluation Mode');
    expect(effectiveLifecycle(s, day(80)).authorization).toBe('Evaluation Expired');
  });
});

describe('CUCM overage days left, out of compliance since T0, unreachable', () => {
  // Renewals kept succeeding until the day before `n`, then the product went silent.
  const ooc = (n: number): StoredLicensing =>
    registeredThenCutOff(day(n), {
      reportedAuthorization: 'Out of compliance',
      outOfComplianceSince: T0,
      lastAuthorizationSuccessAt: day(n - 1),
      lastStatusReadAt: day(n - 1),
      reportedAuthorizationExpires: day(n - 1 + 90),
    });
  const cases: [number, number, boolean][] = [
    [29, 61, false],
    [30, 60, false],
    [89, 1, false],
    [90, 0, true],
    [91, 0, true],
  ];
  for (const [n, left, expired] of cases) {
    it(`day ${n}: ${left} overage day(s) left${expired ? ', expired' : ''}`, () => {
      const e = effectiveLifecycle(ooc(n), day(n));
      expect(e.authorization).toBe('Out of compliance');
      expect(e.overageDaysLeft).toBe(left);
      expect(e.overageExpired).toBe(expired);
      expect(e.daysLeftOf).toBe('overage');
      expect(e.daysLeft).toBe(left);
    });
  }

  it('CUC has no overage period', () => {
    const e = effectiveLifecycle({ ...ooc(30), appType: 'CUC' }, day(30));
    expect(e.overageDaysLeft).toBeNull();
    expect(e.daysLeftOf).toBe('authorization');
  });
});

describe('nothing known', () => {
  it('a cluster never read has no state, and says so', () => {
    const e = effectiveLifecycle(
      {
        ...registeredThenCutOff(day(1)),
        reportedRegistration: null,
        reportedAuthorization: null,
        lastStatusReadAt: null,
      },
      day(1),
    );
    expect(e.registration).toBeNull();
    expect(e.authorization).toBeNull();
    expect(e.source).toBe('none');
    expect(e.reachable).toBe(false);
    expect(e.basis).toMatch(/Never read/);
  });
});
