// Real: core/domain/alert-rules.ts and alerts.ts (pure rules). Faked: nothing — `now` is a fixed
// instant and the state of a scope is plain objects built around it; every rule is checked on
// both sides of each of its thresholds.
import { describe, expect, it } from 'vitest';
import {
  evaluateAlerts,
  stageSeverity,
  type AlertState,
  type ClusterFacts,
  type MissingVaFacts,
  type VaRef,
} from '../../core/domain/alert-rules.ts';
import type { AlertThresholds } from '../../core/domain/alerts.ts';
import { DAY_MS, addDays } from '../../core/domain/lifecycle.ts';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const day = (n: number): Date => addDays(NOW, n);
const ms = (n: number): Date => new Date(NOW.getTime() + n);

const T: AlertThresholds = {
  authorizationDays: [30, 14, 7],
  registrationDays: [30, 14, 7],
  evaluationDays: [30, 14, 7],
  termLicenseDays: [90, 60, 30],
  tokenDays: [14, 7, 3],
  overageCriticalDays: 30,
  forecastDays: 60,
  forecastWarningDays: 30,
  unreachableSyncs: 3,
  unreachableDays: 2,
  satelliteUpcomingDays: 7,
  satelliteSyncDays: 30,
  satelliteRemovalDays: 90,
  satelliteCriticalBeforeRemovalDays: 30,
  syncFailures: 3,
  syncStaleMs: 48 * 3_600_000,
  vaMissingSyncs: 1,
  vaMissingCriticalSyncsLeft: 2,
  removeMissingAfterSyncs: 7,
  syncIntervalMs: 24 * 3_600_000,
  localAccountInstancesWarn: 9000,
};

const SA = { id: 1, domain: 'acme.com' };
const VA: VaRef = { id: 10, name: 'acme-ops', smartAccount: SA };
const CUSTOMER = { id: 5, name: 'Acme' };

function state(part: Partial<AlertState>): AlertState {
  return {
    now: NOW,
    scope: 'sa:1',
    accounts: [],
    licenses: [],
    forecasts: [],
    terms: [],
    clusters: [],
    jobs: [],
    tokens: [],
    satellites: [],
    missingVas: [],
    ...part,
  };
}

type ClusterPart = Omit<Partial<ClusterFacts>, 'lifecycle'> & {
  lifecycle?: Partial<ClusterFacts['lifecycle']>;
};

function cluster(part: ClusterPart = {}): ClusterFacts {
  const { lifecycle, ...rest } = part;
  return {
    id: 3,
    name: 'cucm-01',
    type: 'CUCM',
    version: '14.0(1)',
    major: 14,
    customer: CUSTOMER,
    va: VA,
    smartAccount: SA,
    licensesInUse: true,
    lastRenewalStatus: 'SUCCEEDED',
    lastRenewalAttempt: day(-10),
    registrationFailedReason: null,
    lastCommunicationStatus: 'SUCCEEDED',
    lastCommunicationAttempt: day(-10),
    authorizationFailedReason: null,
    lastStatusReadAt: day(-0.25),
    readFailures: null,
    ...rest,
    lifecycle: {
      registration: 'Registered',
      authorization: 'Authorized',
      registrationExpires: day(300),
      authorizationExpires: day(80),
      evaluationExpires: null,
      overageExpires: null,
      overageExpired: false,
      ...lifecycle,
    },
  };
}

/** [rule, severity, title] of every alert, for compact expectations. */
function run(s: Partial<AlertState>, t: AlertThresholds = T) {
  return evaluateAlerts(state(s), t).map((a) => [a.rule, a.severity, a.title] as const);
}
const only = (s: Partial<AlertState>, rule: string, t: AlertThresholds = T) =>
  evaluateAlerts(state(s), t).filter((a) => a.rule === rule);

describe('stageSeverity', () => {
  it('info, warning, critical at 30 / 14 / 7 days left; lapsed is critical', () => {
    const d = [30, 14, 7];
    expect(stageSeverity(31, false, d)).toBeUndefined();
    expect(stageSeverity(30, false, d)).toBe('info');
    expect(stageSeverity(15, false, d)).toBe('info');
    expect(stageSeverity(14, false, d)).toBe('warning');
    expect(stageSeverity(8, false, d)).toBe('warning');
    expect(stageSeverity(7, false, d)).toBe('critical');
    expect(stageSeverity(0, true, d)).toBe('critical');
    expect(stageSeverity(99, true, d)).toBe('critical');
  });
  it('fewer thresholds drop the lower severities', () => {
    expect(stageSeverity(14, false, [14, 7])).toBe('warning');
    expect(stageSeverity(7, false, [14, 7])).toBe('critical');
    expect(stageSeverity(7, false, [7])).toBe('critical');
    expect(stageSeverity(8, false, [7])).toBeUndefined();
  });
});

describe('authorization-expiry', () => {
  const at = (expires: Date, more: Partial<ClusterFacts['lifecycle']> = {}) =>
    run({ clusters: [cluster({ lifecycle: { authorizationExpires: expires, ...more } })] });
  it('opens exactly 30 days before, not a millisecond earlier', () => {
    expect(at(ms(30 * DAY_MS + 1))).toEqual([]);
    expect(at(day(30))).toEqual([
      ['authorization-expiry', 'info', 'Authorization of cucm-01 expires in 30 days'],
    ]);
  });
  it('warning at 14, critical at 7, expired at the deadline', () => {
    expect(at(ms(14 * DAY_MS + 1))[0]?.[1]).toBe('info');
    expect(at(day(14))[0]?.[1]).toBe('warning');
    expect(at(day(7))[0]?.[1]).toBe('critical');
    expect(at(day(1))[0]?.[2]).toBe('Authorization of cucm-01 expires in 1 day');
    expect(at(NOW)).toEqual([
      ['authorization-expiry', 'critical', 'Authorization of cucm-01 expired on 2026-06-01'],
    ]);
  });
  it('Authorization Expired as the lifecycle says, without a date', () => {
    expect(
      at(null as unknown as Date, { authorization: 'Authorization Expired' })[0]?.slice(0, 2),
    ).toEqual(['authorization-expiry', 'critical']);
  });
  it('not for unregistered clusters or ones using no licenses', () => {
    expect(
      run({
        clusters: [
          cluster({ lifecycle: { registration: 'Unregistered', authorizationExpires: day(3) } }),
          cluster({ id: 4, licensesInUse: false, lifecycle: { authorizationExpires: day(3) } }),
        ],
      }),
    ).toEqual([]);
  });
  it('facts, action, entity, key and deadline', () => {
    const [a] = only(
      { clusters: [cluster({ lifecycle: { authorizationExpires: day(6) } })] },
      'authorization-expiry',
    );
    expect(a).toMatchObject({
      dedupeKey: 'authorization-expiry:cluster:3',
      entity: { kind: 'cluster', id: '3', name: 'cucm-01' },
      customer: CUSTOMER,
      smartAccount: SA,
      scope: 'sa:1',
      facts: { daysLeft: 6, expired: false, authorizationExpires: day(6).toISOString() },
      dueAt: day(6),
    });
    expect(a?.action).toMatch(/smartlic renew auth cucm-01/);
  });
});

describe('registration-expiry', () => {
  const at = (
    expires: Date | null,
    registration: 'Registered' | 'Registration Expired' = 'Registered',
  ) => run({ clusters: [cluster({ lifecycle: { registrationExpires: expires, registration } })] });
  it('30 / 14 / 7 days and expired', () => {
    expect(at(ms(30 * DAY_MS + 1))).toEqual([]);
    expect(at(day(30))[0]).toEqual([
      'registration-expiry',
      'info',
      'Registration (ID certificate) of cucm-01 expires in 30 days',
    ]);
    expect(at(day(14))[0]?.[1]).toBe('warning');
    expect(at(day(7))[0]?.[1]).toBe('critical');
    expect(at(day(-1), 'Registration Expired')[0]).toEqual([
      'registration-expiry',
      'critical',
      'Registration (ID certificate) of cucm-01 expired on 2026-05-31',
    ]);
  });
});

describe('evaluation-period', () => {
  const evalCluster = (ends: Date, more: ClusterPart = {}) =>
    cluster({
      ...more,
      lifecycle: {
        registration: 'Unregistered',
        authorization: hasEnded(ends) ? 'Evaluation Expired' : 'Evaluation Mode',
        evaluationExpires: ends,
        registrationExpires: null,
        authorizationExpires: null,
      },
    });
  const hasEnded = (d: Date) => d.getTime() <= NOW.getTime();
  it('assigned and unregistered: 30 / 14 / 7 days, then ended', () => {
    expect(run({ clusters: [evalCluster(ms(30 * DAY_MS + 1))] })).toEqual([]);
    expect(run({ clusters: [evalCluster(day(30))] })).toEqual([
      ['evaluation-period', 'info', 'Evaluation period of cucm-01 ends in 30 days'],
    ]);
    expect(run({ clusters: [evalCluster(day(14))] })[0]?.[1]).toBe('warning');
    expect(run({ clusters: [evalCluster(day(7))] })[0]?.[1]).toBe('critical');
    expect(run({ clusters: [evalCluster(NOW)] })).toEqual([
      ['evaluation-period', 'critical', 'Evaluation period of cucm-01 has ended (2026-06-01)'],
    ]);
  });
  it('an unassigned 12.x+ cluster on evaluation is unassigned-evaluation instead', () => {
    expect(run({ clusters: [evalCluster(day(40), { va: null, name: 'stark-cucm-01' })] })).toEqual([
      [
        'unassigned-evaluation',
        'warning',
        'stark-cucm-01 (CUCM 14.0(1)) is assigned to no VA and runs on evaluation, 40 days left',
      ],
    ]);
    expect(run({ clusters: [evalCluster(ms(7 * DAY_MS + 1), { va: null })] })[0]?.[1]).toBe(
      'warning',
    );
    expect(run({ clusters: [evalCluster(day(7), { va: null })] })[0]?.[1]).toBe('critical');
    expect(run({ clusters: [evalCluster(day(-3), { va: null })] })[0]).toEqual([
      'unassigned-evaluation',
      'critical',
      'cucm-01 (CUCM 14.0(1)) is assigned to no VA and its evaluation has ended',
    ]);
  });
  it('unassigned-evaluation: not below 12.x, not without a known version, not when registered', () => {
    expect(
      run({
        clusters: [
          evalCluster(day(40), { va: null, major: 11, version: '11.5(1)' }),
          evalCluster(day(40), { id: 4, va: null, major: null, version: null }),
          cluster({ id: 6, va: null }),
        ],
      }),
    ).toEqual([]);
  });
  it('unassigned-evaluation: a 12.x+ cluster never read counts as on evaluation', () => {
    const never = cluster({
      va: null,
      name: 'stark-cucm-01',
      version: '15.0.1.10000-19',
      major: 15,
      lastStatusReadAt: null,
      lifecycle: {
        registration: null,
        authorization: null,
        registrationExpires: null,
        authorizationExpires: null,
      },
    });
    expect(run({ clusters: [never] })).toEqual([
      [
        'unassigned-evaluation',
        'warning',
        'stark-cucm-01 (CUCM 15.0.1.10000-19) is assigned to no VA: unregistered, it runs on its evaluation period',
      ],
    ]);
    expect(run({ clusters: [{ ...never, major: 11 }] })).toEqual([]);
  });
});

describe('renewal-failed', () => {
  it('when the product reports a failed renewal or communication', () => {
    expect(
      run({
        clusters: [
          cluster({
            lastCommunicationStatus: 'FAILED',
            authorizationFailedReason: 'Communication send error',
          }),
        ],
      }),
    ).toEqual([
      [
        'renewal-failed',
        'warning',
        'cucm-01 failed its last authorization with CSSM: Communication send error',
      ],
    ]);
    expect(run({ clusters: [cluster({ lastRenewalStatus: 'FAILED' })] })[0]?.[2]).toBe(
      'cucm-01 failed its last renewal with CSSM',
    );
    expect(run({ clusters: [cluster()] })).toEqual([]);
  });
});

describe('cluster-unreachable', () => {
  const unread = (count: number, lastRead: Date | null) =>
    run({
      clusters: [
        cluster({
          lastStatusReadAt: lastRead,
          readFailures: { count, since: day(-1), lastError: 'CAA1005: connection refused' },
        }),
      ],
    });
  it('after 3 syncs in a row', () => {
    expect(unread(2, day(-1))).toEqual([]);
    expect(unread(3, day(-1))).toEqual([
      [
        'cluster-unreachable',
        'warning',
        'smartlic cannot read cucm-01: 3 syncs in a row, last read 2026-05-31',
      ],
    ]);
  });
  it('or after 2 days unread while reads fail', () => {
    expect(unread(1, ms(-2 * DAY_MS + 1))).toEqual([]);
    expect(unread(1, day(-2))[0]?.[0]).toBe('cluster-unreachable');
    expect(run({ clusters: [cluster({ lastStatusReadAt: day(-30) })] })).toEqual([]);
  });
});

describe('job-failed', () => {
  it('the latest job of an action failed: its code and recommended action', () => {
    const jobs = [
      {
        cluster: { id: 3, name: 'cucm-01', customer: CUSTOMER, smartAccount: SA },
        action: 'register' as const,
        jobId: 42,
        jobType: 'Auto Register Cluster',
        status: 'Failed',
        at: day(-1),
        code: 'CAA1048',
        statusInformation: 'registration token invalid or expired',
        recommendedAction: 'sync with CSSM (refreshes tokens), then register again',
      },
      {
        cluster: { id: 4, name: 'cuc-01', customer: CUSTOMER, smartAccount: SA },
        action: 'renew-authorization' as const,
        jobId: 43,
        jobType: 'Renew Authorization',
        status: 'Completed',
        at: day(-1),
        code: null,
        statusInformation: null,
        recommendedAction: null,
      },
    ];
    const out = only({ jobs }, 'job-failed');
    expect(out.map((a) => [a.dedupeKey, a.title, a.action])).toEqual([
      [
        'job-failed:cluster:3:register',
        'Registration of cucm-01 failed (CAA1048)',
        'sync with CSSM (refreshes tokens), then register again',
      ],
    ]);
    expect(out[0]?.facts).toMatchObject({ jobId: 42, code: 'CAA1048' });
  });
});

describe('token-expiry', () => {
  const tok = (id: number, expiresAt: Date | null, status = 'Active') => ({
    id,
    description: `smartlic ${id}`,
    expiresAt,
    status,
    exportControlled: false,
  });
  const tokens = (...t: ReturnType<typeof tok>[]) =>
    run({ tokens: [{ va: VA, reliedOnFor: '2 clusters assigned', tokens: t }] });
  it('the longest-lasting token decides: 14 / 7 / 3 days', () => {
    expect(tokens(tok(1, ms(14 * DAY_MS + 1)))).toEqual([]);
    expect(tokens(tok(1, day(14)))).toEqual([
      ['token-expiry', 'info', 'The registration token of acme-ops expires in 14 days'],
    ]);
    expect(tokens(tok(1, day(7)))[0]?.[1]).toBe('warning');
    expect(tokens(tok(1, day(3)))[0]?.[1]).toBe('critical');
    expect(tokens(tok(1, day(3)), tok(2, day(200)))).toEqual([]);
  });
  it('every token expired: critical; none at all or no expiry: nothing', () => {
    expect(tokens(tok(1, day(-5), 'Expired'), tok(2, day(-1)))).toEqual([
      [
        'token-expiry',
        'critical',
        'acme-ops has no valid registration token: the last one expired on 2026-05-31',
      ],
    ]);
    expect(tokens()).toEqual([]);
    expect(tokens(tok(1, null))).toEqual([]);
    expect(tokens(tok(1, day(2), 'Revoked'))).toEqual([]);
  });
});

describe('satellite-sync', () => {
  const sat = (
    lastDaysAgo: number | null,
    syncMode: 'connected' | 'disconnected' = 'disconnected',
  ) =>
    evaluateAlerts(
      state({
        satellites: [
          {
            id: 2,
            name: 'la-hcs',
            host: 'sat.example.net',
            syncMode,
            lastCssmSyncAt: lastDaysAgo === null ? null : day(-lastDaysAgo),
            createdAt: day(-200),
            smartAccount: SA,
          },
        ],
      }),
      T,
    );
  it('upcoming 7 days before the 30-day deadline, overdue at 30, critical at 60, removed at 90', () => {
    expect(sat(22.9)).toEqual([]);
    expect(sat(23).map((a) => [a.severity, a.title])).toEqual([
      [
        'info',
        'Satellite la-hcs on sat.example.net must sync with CSSM in 7 days (last synced 2026-05-09)',
      ],
    ]);
    expect(sat(29.9)[0]?.severity).toBe('info');
    expect(sat(30).map((a) => [a.severity, a.title])).toEqual([
      [
        'warning',
        'Satellite la-hcs on sat.example.net sync overdue (last synced 2026-05-02, 30 days ago)',
      ],
    ]);
    expect(sat(59.9)[0]?.severity).toBe('warning');
    expect(sat(60)[0]?.title).toMatch(/CSSM removes it in 30 days/);
    expect(sat(60)[0]?.severity).toBe('critical');
    expect(sat(90)[0]?.title).toMatch(/more than 90 days ago: CSSM unregisters and removes it/);
    expect(sat(null)[0]?.severity).toBe('critical');
  });
  it('the action follows the sync mode', () => {
    expect(sat(31, 'disconnected')[0]?.action).toMatch(
      /export the usage file .* upload it to CSSM, and import/,
    );
    expect(sat(31, 'connected')[0]?.action).toMatch(/Check the satellite's link to CSSM/);
  });
});

describe('term-license', () => {
  const term = (endsAt: Date) =>
    run({
      terms: [
        {
          va: VA,
          licenseType: 'UCM_Enhanced',
          displayName: 'UC Manager Enhanced License (12.x)',
          subscriptionId: 'Sub269233',
          quantity: 200,
          startDate: day(-300),
          endDate: addDays(endsAt, -1),
          endsAt,
        },
      ],
    });
  it('90 / 60 / 30 days, then expired', () => {
    expect(term(ms(90 * DAY_MS + 1))).toEqual([]);
    expect(term(day(90))).toEqual([
      [
        'term-license',
        'info',
        '200 UC Manager Enhanced License (12.x) in acme-ops (Sub269233) expire in 90 days',
      ],
    ]);
    expect(term(day(60))[0]?.[1]).toBe('warning');
    expect(term(day(30))[0]?.[1]).toBe('critical');
    expect(term(NOW)[0]).toEqual([
      'term-license',
      'critical',
      '200 UC Manager Enhanced License (12.x) in acme-ops (Sub269233) expired on 2026-05-31',
    ]);
  });
});

describe('insufficient-licenses', () => {
  const line = (shortage: number, licenseType = 'UCM_Basic') => ({
    va: VA,
    licenseType,
    displayName: licenseType,
    quantity: 100,
    inUse: 100 + shortage,
    shortage,
  });
  const overage = (expires: Date | null) =>
    cluster({
      lifecycle: {
        authorization: 'Out of compliance',
        overageExpires: expires,
        overageExpired: expires !== null && expires <= NOW,
      },
    });
  it('only with a shortage; warning, critical with 30 days of CUCM overage or fewer', () => {
    expect(run({ licenses: [line(0)] })).toEqual([]);
    expect(run({ licenses: [line(5)], clusters: [overage(day(31))] })).toEqual([
      [
        'insufficient-licenses',
        'warning',
        'acme-ops is short of 5 UCM_Basic; CUCM overage ends in 31 days; cucm-01 out of compliance',
      ],
    ]);
    expect(run({ licenses: [line(5)], clusters: [overage(day(30))] })[0]?.[1]).toBe('critical');
    expect(run({ licenses: [line(5)], clusters: [overage(NOW)] })[0]).toEqual([
      'insufficient-licenses',
      'critical',
      'acme-ops is short of 5 UCM_Basic; the CUCM overage period is over: no new users or devices; cucm-01 out of compliance',
    ]);
    expect(run({ licenses: [line(5)] })[0]?.[1]).toBe('warning');
  });
  it('names the clusters of the VA that are out of compliance (no second alert for them)', () => {
    const ooc = (id: number, name: string, va = VA) =>
      cluster({ id, name, va, lifecycle: { authorization: 'Out of compliance' } });
    const fine = cluster({ id: 7, name: 'cucm-fine' });
    const elsewhere = ooc(8, 'cucm-other-va', { ...VA, id: 99 });
    const alerts = evaluateAlerts(
      state({
        licenses: [line(5)],
        clusters: [ooc(4, 'cucm-b'), ooc(3, 'cucm-a'), fine, elsewhere],
      }),
      T,
    );
    const short = alerts.find((a) => a.rule === 'insufficient-licenses')!;
    expect(short.title).toBe('acme-ops is short of 5 UCM_Basic; cucm-a, cucm-b out of compliance');
    expect(short.facts).toMatchObject({ clusters: 'cucm-a, cucm-b', clusterIds: '3,4' });
    // The cluster whose own VA shows no shortage gets its own alert; the named ones do not.
    expect(alerts.filter((a) => a.rule === 'out-of-compliance').map((a) => a.entity.name)).toEqual([
      'cucm-other-va',
    ]);
    const many = [1, 2, 3, 4, 5].map((i) => ooc(i, `c${i}`));
    expect(only({ licenses: [line(1)], clusters: many }, 'insufficient-licenses')[0]!.title).toBe(
      'acme-ops is short of 1 UCM_Basic; c1, c2, c3 and 2 more out of compliance',
    );
  });
  it('the overage of clusters in other VAs or of other apps does not count', () => {
    const other = cluster({ va: { ...VA, id: 99 }, lifecycle: { overageExpires: day(1) } });
    expect(run({ licenses: [line(5)], clusters: [other] })[0]?.[1]).toBe('warning');
    expect(
      run({ licenses: [line(5, 'CUC_BasicMessaging')], clusters: [overage(day(1))] })[0]?.[1],
    ).toBe('warning');
  });
  it('one alert per VA and license type', () => {
    const out = only({ licenses: [line(5), line(2, 'UCM_Enhanced')] }, 'insufficient-licenses');
    expect(out.map((a) => a.dedupeKey)).toEqual([
      'insufficient-licenses:VA:10:UCM_Basic',
      'insufficient-licenses:VA:10:UCM_Enhanced',
    ]);
  });
});

describe('forecast-shortage', () => {
  const fc = (on: Date | null) => ({
    va: VA,
    licenseType: 'UCM_Basic',
    displayName: 'UCM_Basic',
    quantity: 100,
    inUse: 90,
    shortageOn: on,
    trendPerDay: 0.5,
  });
  it('within 60 days: info; within 30: warning; not when short already', () => {
    expect(run({ forecasts: [fc(ms(60 * DAY_MS + 1))] })).toEqual([]);
    expect(run({ forecasts: [fc(null)] })).toEqual([]);
    expect(run({ forecasts: [fc(day(60))] })).toEqual([
      [
        'forecast-shortage',
        'info',
        'acme-ops runs short of UCM_Basic in 60 days at the current trend',
      ],
    ]);
    expect(run({ forecasts: [fc(day(30))] })[0]?.[1]).toBe('warning');
    const short = {
      va: VA,
      licenseType: 'UCM_Basic',
      displayName: 'UCM_Basic',
      quantity: 100,
      inUse: 101,
      shortage: 1,
    };
    expect(only({ forecasts: [fc(day(10))], licenses: [short] }, 'forecast-shortage')).toEqual([]);
  });
});

describe('sync-failing', () => {
  const acct = (failures: number, lastSuccess: Date | null) => ({
    id: 1,
    domain: 'acme.com',
    name: 'Acme',
    createdAt: day(-100),
    lastSyncAt: day(-0.1),
    lastSyncStatus: failures > 0 ? 'Failed' : 'Success',
    lastSyncError:
      failures > 0
        ? 'CSSM1011: authentication failed — reconfigure client id and secret, then sync'
        : null,
    lastSuccessAt: lastSuccess,
    consecutiveFailures: failures,
  });
  it('3 failures in a row: warning with the error action', () => {
    expect(run({ accounts: [acct(2, day(-1))] })).toEqual([]);
    const [a] = only({ accounts: [acct(3, day(-1))] }, 'sync-failing');
    expect([a?.severity, a?.title, a?.action]).toEqual([
      'warning',
      '3 syncs of acme.com failed in a row',
      'reconfigure client id and secret, then sync',
    ]);
  });
  it('no success for more than twice the schedule: critical', () => {
    expect(run({ accounts: [acct(1, ms(-48 * 3_600_000))] })).toEqual([]);
    expect(run({ accounts: [acct(1, ms(-48 * 3_600_000 - 1))] })).toEqual([
      ['sync-failing', 'critical', 'No successful sync of acme.com for 2 days (1 failed sync)'],
    ]);
    expect(run({ accounts: [acct(0, day(-5))] })[0]?.[2]).toBe(
      'No successful sync of acme.com for 5 days',
    );
  });
});

describe('va-missing', () => {
  const missing = (syncs: number, part: Partial<MissingVaFacts> = {}): MissingVaFacts => ({
    va: VA,
    since: day(-(syncs - 1)),
    syncs,
    clusters: 2,
    role: 'operational',
    licenseMode: 'HCS',
    ...part,
  });
  it('opens at vaMissingSyncs, not before', () => {
    const t = { ...T, vaMissingSyncs: 2 };
    expect(only({ missingVas: [missing(1)] }, 'va-missing', t)).toEqual([]);
    expect(only({ missingVas: [missing(2)] }, 'va-missing', t).map((a) => a.severity)).toEqual([
      'warning',
    ]);
  });
  it('says since when, how many syncs, when it will be removed, and the action', () => {
    const [a] = only({ missingVas: [missing(1)] }, 'va-missing');
    expect(a!.title).toBe(
      'CSSM no longer lists acme-ops (since 2026-06-01, 1 sync); removed after 6 more syncs',
    );
    expect(a!.dedupeKey).toBe('va-missing:VA:10');
    expect(a!.facts).toEqual({
      missingSince: NOW.toISOString(),
      syncs: 1,
      removedAfterSyncs: 7,
      syncsLeft: 6,
      // The first missing sync is the first of the seven: six more daily syncs.
      removalAbout: day(6).toISOString(),
      clusters: 2,
      role: 'operational',
      licenseMode: 'HCS',
    });
    expect(a!.dueAt).toEqual(day(6));
    expect(a!.action).toMatch(/smartlic va remove acme\.com\/acme-ops --yes/);
    expect(a!.action).toMatch(/2 clusters assigned, the operational role, license mode HCS/);
  });
  it('turns critical when removal is vaMissingCriticalSyncsLeft syncs away or fewer', () => {
    const sev = (syncs: number) =>
      only({ missingVas: [missing(syncs)] }, 'va-missing').map((a) => a.severity);
    expect(sev(4)).toEqual(['warning']); // 3 left
    expect(sev(5)).toEqual(['critical']); // 2 left
    expect(sev(7)).toEqual(['critical']);
  });
  it('with removal off (0) it stays a warning and says it is kept until removed by hand', () => {
    const t = { ...T, removeMissingAfterSyncs: 0 };
    const [a] = only({ missingVas: [missing(40)] }, 'va-missing', t);
    expect([a!.severity, a!.facts.syncsLeft, a!.dueAt]).toEqual(['warning', null, undefined]);
    expect(a!.title).toMatch(/kept until removed by hand$/);
  });
});

describe('evaluateAlerts', () => {
  it('one candidate per key; the more severe wins', () => {
    const out = evaluateAlerts(
      state({
        clusters: [
          cluster({ lifecycle: { authorizationExpires: day(20) } }),
          cluster({ lifecycle: { authorizationExpires: day(5) } }),
        ],
      }),
      T,
    );
    expect(out.map((a) => [a.dedupeKey, a.severity])).toEqual([
      ['authorization-expiry:cluster:3', 'critical'],
    ]);
  });
  it('a healthy scope has no alerts', () => {
    expect(run({ clusters: [cluster()], licenses: [] })).toEqual([]);
  });
});

describe('local-account-capacity', () => {
  const sat = (productInstances?: number) => ({
    id: 4,
    name: 'la-initech',
    host: 'sat-eu-1.example.com',
    syncMode: 'connected' as const,
    lastCssmSyncAt: day(-1),
    createdAt: day(-100),
    smartAccount: SA,
    ...(productInstances === undefined ? {} : { productInstances }),
  });
  it('warns from the configured threshold, critical at the 10,000 a satellite handles', () => {
    const sev = (n?: number, t: AlertThresholds = T) =>
      only({ satellites: [sat(n)] }, 'local-account-capacity', t).map((a) => a.severity);
    expect(sev(undefined)).toEqual([]);
    expect(sev(8999)).toEqual([]);
    expect(sev(9000)).toEqual(['warning']);
    expect(sev(9999)).toEqual(['warning']);
    expect(sev(10000)).toEqual(['critical']);
    expect(sev(12000)).toEqual(['critical']);
    expect(sev(500, { ...T, localAccountInstancesWarn: 500 })).toEqual(['warning']);
    expect(sev(499, { ...T, localAccountInstancesWarn: 500 })).toEqual([]);
    // A threshold above the limit still warns no later than the limit.
    expect(sev(10000, { ...T, localAccountInstancesWarn: 10000 })).toEqual(['critical']);
  });
  it('names the local account, the count and what is left, keyed on the local account', () => {
    const [a] = only({ satellites: [sat(9500)] }, 'local-account-capacity');
    expect(a!.title).toBe(
      "Local account la-initech on sat-eu-1.example.com holds 9500 product instances, 500 below the satellite's limit of 10000",
    );
    expect(a!.facts).toMatchObject({ productInstances: 9500, limit: 10000, left: 500 });
    expect(a!.dedupeKey).toBe('local-account-capacity:satellite:4');
    expect(a!.action).toMatch(/another satellite/);
  });
});

describe('out-of-compliance', () => {
  const ooc = (part: ClusterPart = {}) =>
    cluster({ ...part, lifecycle: { authorization: 'Out of compliance', ...part.lifecycle } });
  it('a cluster out of compliance whose VA shows no shortage; critical near the overage end', () => {
    expect(run({ clusters: [ooc()] })).toEqual([
      [
        'out-of-compliance',
        'warning',
        'cucm-01 is out of compliance (CSSM shows no shortage in acme-ops)',
      ],
    ]);
    expect(run({ clusters: [ooc({ lifecycle: { overageExpires: day(31) } })] })[0]?.[1]).toBe(
      'warning',
    );
    expect(run({ clusters: [ooc({ lifecycle: { overageExpires: day(30) } })] })[0]).toEqual([
      'out-of-compliance',
      'critical',
      'cucm-01 is out of compliance (CSSM shows no shortage in acme-ops); CUCM overage ends in 30 days',
    ]);
    expect(
      run({ clusters: [ooc({ lifecycle: { overageExpires: NOW, overageExpired: true } })] })[0],
    ).toEqual([
      'out-of-compliance',
      'critical',
      'cucm-01 is out of compliance (CSSM shows no shortage in acme-ops); its CUCM overage period is over',
    ]);
  });
  it('a cluster in compliance, or one its VA’s shortage alert names, has none', () => {
    expect(only({ clusters: [cluster()] }, 'out-of-compliance')).toEqual([]);
    const line = {
      va: VA,
      licenseType: 'UCM_Basic',
      displayName: 'UCM_Basic',
      quantity: 1,
      inUse: 2,
      shortage: 1,
    };
    expect(only({ licenses: [line], clusters: [ooc()] }, 'out-of-compliance')).toEqual([]);
  });
});
