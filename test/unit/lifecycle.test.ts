// Real: core/domain/lifecycle.ts (pure state derivation). Faked: nothing — `now` is passed in as
// a fixed instant, and product histories are plain objects built relative to one start date.
import { describe, expect, it } from 'vitest';

import {
  AUTHORIZATION_EXPIRY_DAYS,
  AUTHORIZATION_RENEWAL_INTERVAL_DAYS,
  CUCM_OVERAGE_DAYS,
  DAY_MS,
  EVALUATION_PERIOD_DAYS,
  ID_CERTIFICATE_VALIDITY_DAYS,
  ID_RENEWAL_INTERVAL_DAYS,
  addDays,
  daysBetween,
  daysUntil,
  deriveLifecycle,
  hasLapsed,
} from '../../core/domain/lifecycle.ts';
import type { ProductHistory } from '../../core/domain/lifecycle.ts';

const T0 = new Date('2025-01-01T00:00:00.000Z');
/** The instant `n` days (of 24 h) after T0. */
const day = (n: number): Date => addDays(T0, n);

describe('timer constants', () => {
  it('match DOMAIN §5', () => {
    expect(EVALUATION_PERIOD_DAYS).toBe(90);
    expect(ID_CERTIFICATE_VALIDITY_DAYS).toBe(365);
    expect(ID_RENEWAL_INTERVAL_DAYS).toBe(180);
    expect(AUTHORIZATION_RENEWAL_INTERVAL_DAYS).toBe(30);
    expect(AUTHORIZATION_EXPIRY_DAYS).toBe(90);
    expect(CUCM_OVERAGE_DAYS).toBe(90);
  });
});

describe('day helpers', () => {
  it('addDays adds 24-hour days, fractional and negative too', () => {
    expect(addDays(T0, 1).toISOString()).toBe('2025-01-02T00:00:00.000Z');
    expect(addDays(T0, 0.5).toISOString()).toBe('2025-01-01T12:00:00.000Z');
    expect(addDays(T0, -1).toISOString()).toBe('2024-12-31T00:00:00.000Z');
    // Across a DST change in any zone, still exactly 24 h.
    expect(
      addDays(new Date('2025-03-30T00:00:00Z'), 1).getTime() - Date.parse('2025-03-30T00:00:00Z'),
    ).toBe(DAY_MS);
  });

  it.each([
    [0, 0],
    [0.99, 0],
    [1, 1],
    [89.5, 89],
    [90, 90],
    [-0.5, -1],
    [-1, -1],
  ])('daysBetween over %f days → %i (floor)', (n, whole) => {
    expect(daysBetween(T0, day(n))).toBe(whole);
  });

  it.each([
    [-1, 0],
    [0, 0],
    [0.01, 1],
    [1, 1],
    [1.5, 2],
    [61, 61],
  ])('daysUntil a deadline %f days away → %i (ceiling, ≥ 0)', (n, left) => {
    expect(daysUntil(T0, day(n))).toBe(left);
  });

  it('hasLapsed is true at the deadline exactly, false one millisecond before', () => {
    expect(hasLapsed(day(90), day(90))).toBe(true);
    expect(hasLapsed(new Date(day(90).getTime() - 1), day(90))).toBe(false);
  });
});

describe('evaluation (never registered, licenses in use): expired when now >= install + 90 days', () => {
  const history: ProductHistory = { installedAt: T0, licensesInUse: true };
  it.each([
    [0, 'Evaluation Mode', 90],
    [29, 'Evaluation Mode', 61],
    [30, 'Evaluation Mode', 60],
    [89, 'Evaluation Mode', 1],
    [89.5, 'Evaluation Mode', 1],
    [90 - 1 / DAY_MS, 'Evaluation Mode', 1],
    [90, 'Evaluation Expired', 0],
    [91, 'Evaluation Expired', 0],
    [400, 'Evaluation Expired', 0],
  ])('day %f → %s, %i days left', (n, authorization, left) => {
    const s = deriveLifecycle(history, day(n));
    expect(s).toMatchObject({
      registration: 'Unregistered',
      authorization,
      evaluationDaysLeft: left,
      evaluationExpires: day(90),
      overageExpired: false,
      authorizationRenewalDue: false,
      idRenewalDue: false,
    });
    expect(s.authorizationExpires).toBeUndefined();
    expect(s.nextAuthorizationRenewal).toBeUndefined();
    expect(s.registrationExpires).toBeUndefined();
    expect(s.nextIdRenewal).toBeUndefined();
  });

  it.each([
    [10, 80],
    [95, 0],
  ])(
    'without licenses in use: No License in use at day %i, evaluation still %i days',
    (n, left) => {
      const s = deriveLifecycle({ installedAt: T0, licensesInUse: false }, day(n));
      expect(s).toMatchObject({
        registration: 'Unregistered',
        authorization: 'No License in use',
        evaluationDaysLeft: left,
      });
    },
  );
});

describe('authorization renewal (30 days) and expiry (90 days) after the last success', () => {
  // Installed long before; registered and last authorized at day 0.
  const history: ProductHistory = {
    installedAt: day(-10),
    registeredAt: T0,
    lastAuthorizationSuccessAt: T0,
    licensesInUse: true,
  };
  it.each([
    [0, 'Authorized', false, 90],
    [29, 'Authorized', false, 61],
    [29.99, 'Authorized', false, 61],
    [30, 'Authorized', true, 60],
    [31, 'Authorized', true, 59],
    [89, 'Authorized', true, 1],
    [90 - 1 / DAY_MS, 'Authorized', true, 1],
    [90, 'Authorization Expired', true, 0],
    [91, 'Authorization Expired', true, 0],
  ])('day %f → %s, renewal due %s, %i days to expiry', (n, authorization, due, left) => {
    const s = deriveLifecycle(history, day(n));
    expect(s).toMatchObject({
      registration: 'Registered',
      authorization,
      authorizationRenewalDue: due,
      daysUntilAuthorizationExpiry: left,
      nextAuthorizationRenewal: day(30),
      authorizationExpires: day(90),
    });
    expect(s.evaluationDaysLeft).toBeUndefined();
    expect(s.evaluationExpires).toBeUndefined();
  });

  it('a later success moves both timers', () => {
    const s = deriveLifecycle({ ...history, lastAuthorizationSuccessAt: day(60) }, day(91));
    expect(s).toMatchObject({
      authorization: 'Authorized',
      nextAuthorizationRenewal: day(90),
      authorizationRenewalDue: true,
      authorizationExpires: day(150),
      daysUntilAuthorizationExpiry: 59,
    });
  });

  it('without any authorization success the clock runs from registration', () => {
    const { lastAuthorizationSuccessAt: _omit, ...noAuth } = history;
    expect(deriveLifecycle(noAuth, day(90)).authorization).toBe('Authorization Expired');
    expect(deriveLifecycle(noAuth, day(89)).authorization).toBe('Authorized');
  });

  it('an authorization older than the latest registration does not count against it', () => {
    const s = deriveLifecycle({ ...history, lastAuthorizationSuccessAt: day(-200) }, day(89));
    expect(s.authorization).toBe('Authorized');
    expect(s.authorizationExpires).toEqual(day(90));
  });

  it('registered without licenses in use → No License in use, timers still reported', () => {
    const s = deriveLifecycle({ ...history, licensesInUse: false }, day(100));
    expect(s).toMatchObject({
      registration: 'Registered',
      authorization: 'No License in use',
      authorizationExpires: day(90),
      authorizationRenewalDue: true,
    });
  });
});

describe('CUCM overage: 90 days after going out of compliance', () => {
  // Authorization keeps renewing (one day ago), so only the overage clock matters.
  const at = (n: number): [ProductHistory, Date] => [
    {
      installedAt: day(-30),
      registeredAt: day(-20),
      lastAuthorizationSuccessAt: day(n - 1),
      outOfComplianceSince: T0,
      licensesInUse: true,
    },
    day(n),
  ];
  it.each([
    [0, 90, false],
    [29, 61, false],
    [30, 60, false],
    [89, 1, false],
    [90 - 1 / DAY_MS, 1, false],
    [90, 0, true],
    [91, 0, true],
  ])('day %f → %i overage days left, expired %s', (n, left, expired) => {
    const s = deriveLifecycle(...at(n));
    expect(s).toMatchObject({
      registration: 'Registered',
      authorization: 'Out of compliance',
      overageExpires: day(90),
      overageDaysLeft: left,
      overageExpired: expired,
    });
  });

  it.each(['CUC', 'CER'] as const)('%s has no overage period', (appType) => {
    const [h, now] = at(91);
    const s = deriveLifecycle({ ...h, appType }, now);
    expect(s.authorization).toBe('Out of compliance');
    expect(s.overageExpired).toBe(false);
    expect(s.overageDaysLeft).toBeUndefined();
    expect(s.overageExpires).toBeUndefined();
  });

  it('appType CUCM given explicitly behaves as the default', () => {
    const [h, now] = at(90);
    expect(deriveLifecycle({ ...h, appType: 'CUCM' }, now).overageExpired).toBe(true);
  });

  it('in compliance → no overage fields', () => {
    const [h, now] = at(91);
    const { outOfComplianceSince: _omit, ...inCompliance } = h;
    const s = deriveLifecycle(inCompliance, now);
    expect(s.authorization).toBe('Authorized');
    expect(s.overageDaysLeft).toBeUndefined();
    expect(s.overageExpired).toBe(false);
  });
});

describe('ID certificate: renewal at 180 days, registration expiry at 365 days', () => {
  // Authorization keeps renewing so that only the certificate clock matters.
  const history = (n: number, extra: Partial<ProductHistory> = {}): ProductHistory => ({
    installedAt: day(-5),
    registeredAt: T0,
    lastAuthorizationSuccessAt: day(n - 1),
    licensesInUse: true,
    ...extra,
  });
  it.each([
    [0, 'Registered', false, 365],
    [179, 'Registered', false, 186],
    [180 - 1 / DAY_MS, 'Registered', false, 186],
    [180, 'Registered', true, 185],
    [181, 'Registered', true, 184],
    [364, 'Registered', true, 1],
    [365 - 1 / DAY_MS, 'Registered', true, 1],
    [365, 'Registration Expired', true, 0],
    [366, 'Registration Expired', true, 0],
  ])(
    'day %f → %s, ID renewal due %s, %i days to registration expiry',
    (n, registration, due, left) => {
      const s = deriveLifecycle(history(n), day(n));
      expect(s).toMatchObject({
        registration,
        idRenewalDue: due,
        daysUntilRegistrationExpiry: left,
        nextIdRenewal: day(180),
        registrationExpires: day(365),
        authorization: 'Authorized',
      });
    },
  );

  it('a renewal restarts the certificate year', () => {
    const s = deriveLifecycle(history(365, { lastIdRenewalAt: day(180) }), day(365));
    expect(s).toMatchObject({
      registration: 'Registered',
      nextIdRenewal: day(360),
      idRenewalDue: true,
      registrationExpires: day(545),
      daysUntilRegistrationExpiry: 180,
    });
  });

  it('an ID renewal from before the latest registration is ignored', () => {
    const s = deriveLifecycle(history(10, { lastIdRenewalAt: day(-100) }), day(10));
    expect(s.registrationExpires).toEqual(day(365));
    expect(s.nextIdRenewal).toEqual(day(180));
  });

  it('registration expired and no contact: both expired', () => {
    const s = deriveLifecycle(history(0, { lastAuthorizationSuccessAt: T0 }), day(365));
    expect(s).toMatchObject({
      registration: 'Registration Expired',
      authorization: 'Authorization Expired',
    });
  });
});

describe('precedence', () => {
  const registered: ProductHistory = {
    installedAt: day(-100),
    registeredAt: day(-50),
    lastAuthorizationSuccessAt: T0,
    licensesInUse: true,
  };
  it.each<[string, Partial<ProductHistory>, number, string, string]>([
    ['in compliance, authorization valid', {}, 10, 'Registered', 'Authorized'],
    [
      'out of compliance beats Authorized while authorization is valid',
      { outOfComplianceSince: day(-5) },
      89,
      'Registered',
      'Out of compliance',
    ],
    [
      'Authorization Expired beats Out of compliance',
      { outOfComplianceSince: day(-5) },
      90,
      'Registered',
      'Authorization Expired',
    ],
    [
      'No License in use beats everything when registered',
      { outOfComplianceSince: day(-5), licensesInUse: false },
      200,
      'Registered',
      'No License in use',
    ],
    [
      'out of compliance starting in the future does not count yet',
      { outOfComplianceSince: day(20) },
      10,
      'Registered',
      'Authorized',
    ],
    [
      'unregistered ignores compliance: evaluation decides',
      {
        registeredAt: undefined,
        lastAuthorizationSuccessAt: undefined,
        outOfComplianceSince: day(-5),
        installedAt: T0,
      },
      10,
      'Unregistered',
      'Evaluation Mode',
    ],
    [
      'a registration in the future has not happened yet',
      { registeredAt: day(20), installedAt: T0 },
      10,
      'Unregistered',
      'Evaluation Mode',
    ],
  ])('%s', (_name, extra, n, registration, authorization) => {
    const s = deriveLifecycle({ ...registered, ...extra }, day(n));
    expect(s.registration).toBe(registration);
    expect(s.authorization).toBe(authorization);
  });

  it('authorization expired while out of compliance still reports the overage clock', () => {
    const s = deriveLifecycle({ ...registered, outOfComplianceSince: day(-5) }, day(91));
    expect(s).toMatchObject({
      authorization: 'Authorization Expired',
      overageExpires: day(85),
      overageExpired: true,
      overageDaysLeft: 0,
    });
  });

  it('no overage without licenses in use', () => {
    const s = deriveLifecycle(
      { ...registered, outOfComplianceSince: day(-5), licensesInUse: false },
      day(10),
    );
    expect(s.overageDaysLeft).toBeUndefined();
    expect(s.overageExpired).toBe(false);
  });
});

describe('deregistration: evaluation resumes with what was left before registration', () => {
  // Installed day 0, registered day 30 (30 evaluation days used), deregistered day 100 →
  // 60 days left → evaluation ends day 160.
  const history: ProductHistory = {
    installedAt: T0,
    registeredAt: day(30),
    deregisteredAt: day(100),
    lastAuthorizationSuccessAt: day(90),
    lastIdRenewalAt: day(60),
    licensesInUse: true,
  };
  it.each([
    [100, 'Evaluation Mode', 60],
    [129, 'Evaluation Mode', 31],
    [159, 'Evaluation Mode', 1],
    [160, 'Evaluation Expired', 0],
    [161, 'Evaluation Expired', 0],
  ])('day %i → %s, %i days left', (n, authorization, left) => {
    const s = deriveLifecycle(history, day(n));
    expect(s).toMatchObject({
      registration: 'Unregistered',
      authorization,
      evaluationDaysLeft: left,
      evaluationExpires: day(160),
    });
    expect(s.authorizationExpires).toBeUndefined();
    expect(s.registrationExpires).toBeUndefined();
  });

  it('priorEvaluationDaysUsed, when known, replaces the estimate', () => {
    const s = deriveLifecycle({ ...history, priorEvaluationDaysUsed: 10 }, day(100));
    expect(s.evaluationExpires).toEqual(day(180));
    expect(s.evaluationDaysLeft).toBe(80);
  });

  it('registered after the evaluation ran out → Evaluation Expired at once on deregistration', () => {
    const s = deriveLifecycle({ ...history, registeredAt: day(95) }, day(100));
    expect(s).toMatchObject({
      authorization: 'Evaluation Expired',
      evaluationDaysLeft: 0,
      evaluationExpires: day(100),
    });
  });

  it('deregistered without licenses in use → No License in use', () => {
    const s = deriveLifecycle({ ...history, licensesInUse: false }, day(120));
    expect(s.authorization).toBe('No License in use');
    expect(s.evaluationDaysLeft).toBe(40);
  });

  it('a deregistration before the latest registration is ignored (re-registered)', () => {
    const s = deriveLifecycle(
      { ...history, deregisteredAt: day(20), lastAuthorizationSuccessAt: day(95) },
      day(100),
    );
    expect(s.registration).toBe('Registered');
    expect(s.authorization).toBe('Authorized');
  });

  it('a deregistration at the same instant as the registration counts (Unregistered)', () => {
    const s = deriveLifecycle({ ...history, deregisteredAt: day(30) }, day(40));
    expect(s.registration).toBe('Unregistered');
  });

  it('a deregistration scheduled after now has not happened yet', () => {
    const s = deriveLifecycle({ ...history, deregisteredAt: day(200) }, day(100));
    expect(s.registration).toBe('Registered');
  });
});

describe('input checks', () => {
  it('throws RangeError on an invalid date', () => {
    expect(() =>
      deriveLifecycle({ installedAt: new Date('nope'), licensesInUse: true }, T0),
    ).toThrow(RangeError);
    expect(() => deriveLifecycle({ installedAt: T0, licensesInUse: true }, new Date(NaN))).toThrow(
      /now/,
    );
  });

  it('now before install: the evaluation still ends at install + 90 days', () => {
    const s = deriveLifecycle({ installedAt: T0, licensesInUse: true }, day(-1));
    expect(s.authorization).toBe('Evaluation Mode');
    expect(s.evaluationDaysLeft).toBe(91);
  });
});
