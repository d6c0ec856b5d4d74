// Real: core/uc/java-date.ts, core/uc/status.ts, core/uc/uc-errors.ts (pure). Faked: nothing.
import { describe, expect, it } from 'vitest';
import { parseJavaDate } from '../../core/uc/java-date.ts';
import {
  parseProductUdi,
  statusEnvelopeSchema,
  toSmartLicenseStatus,
} from '../../core/uc/status.ts';
import { toUcNetworkError, ucAnswerError } from '../../core/uc/uc-errors.ts';
import { SmartlicError } from '../../core/errors.ts';

describe('parseJavaDate', () => {
  it('reads Date.toString() with zone abbreviations', () => {
    expect(parseJavaDate('Wed Nov 20 19:31:12 EST 2024')?.toISOString()).toBe(
      '2024-11-21T00:31:12.000Z',
    );
    expect(parseJavaDate('Wed Nov 20 19:31:12 UTC 2024')?.toISOString()).toBe(
      '2024-11-20T19:31:12.000Z',
    );
    expect(parseJavaDate('Sat Jul 05 09:00:00 CEST 2025')?.toISOString()).toBe(
      '2025-07-05T07:00:00.000Z',
    );
    expect(parseJavaDate('Thu Jan 01 05:30:00 GMT+05:30 2026')?.toISOString()).toBe(
      '2026-01-01T00:00:00.000Z',
    );
    expect(parseJavaDate('Mon Mar 3 01:02:03 PST 2025')?.toISOString()).toBe(
      '2025-03-03T09:02:03.000Z',
    );
  });
  it('reads ISO too', () => {
    expect(parseJavaDate('2024-11-20T19:31:12Z')?.toISOString()).toBe('2024-11-20T19:31:12.000Z');
    expect(parseJavaDate('2024-11-20 19:31:12')?.toISOString()).toBe('2024-11-20T19:31:12.000Z');
  });
  it('refuses unknown zones and impossible dates instead of guessing', () => {
    expect(parseJavaDate('Wed Nov 20 19:31:12 XYZ 2024')).toBeUndefined();
    expect(parseJavaDate('Wed Feb 30 19:31:12 UTC 2024')).toBeUndefined();
    expect(parseJavaDate('tomorrow')).toBeUndefined();
    expect(parseJavaDate('')).toBeUndefined();
  });
});

const sample = {
  LicenseDetails: {
    SmartLicensing: 'ENABLED',
    Registration: {
      Status: 'Registered',
      SmartAccount: 'acme.com',
      VirtualAccount: 'va-hcs-operational',
      ExportControlFunctionality: 'ALLOWED',
      LastRenewalAttempt: 'Wed Nov 20 19:31:12 EST 2024',
      LastRenewalStatus: 'SUCCEEDED',
      NextRenewalAttempt: 'Sun May 18 19:31:12 EDT 2025',
      RegistrationExpires: 'Thu Nov 20 19:31:12 EST 2025',
      RegistrationFailedReason: 'Successful.',
      ProductUDI: 'UDI: PID:UCM,SN:0efb8,UUID:0123456789abcdef0123456789abcdef',
    },
    Authorization: {
      Status: 'Authorized',
      LastCommunicationAttempt: 'Wed Nov 20 19:31:12 EST 2024',
      LastCommunicationStatus: 'SUCCEEDED',
      NextCommunicationAttempt: 'Fri Dec 20 19:31:12 EST 2024',
      AuthorizationExpires: 'Tue Feb 18 19:31:12 EST 2025',
      AuthorizationFailedReason: 'Successful.',
      EvaluationPeriodRemaining: '89',
    },
    LicenseStatus: {
      Entitlement: [
        {
          Tag: 'regid.2017-02.com.cisco.UCM_CUWL,12.0_cc59375a-1cd8-4b36-8366-6f4d2abba965',
          Count: '10',
          Status: 'InCompliance',
        },
      ],
    },
  },
};

describe('SmartLicenseStatus', () => {
  it('parses the DOMAIN §4 sample', () => {
    const st = toSmartLicenseStatus(statusEnvelopeSchema.parse(sample).LicenseDetails);
    expect(st.registration.status).toBe('Registered');
    expect(st.registration.lastRenewalAttempt?.toISOString()).toBe('2024-11-21T00:31:12.000Z');
    expect(st.registration.productUdi).toEqual({
      pid: 'UCM',
      sn: '0efb8',
      uuid: '0123456789abcdef0123456789abcdef',
    });
    expect(st.authorization.evaluationPeriodRemainingDays).toBe(89);
    expect(st.authorization.authorizationExpires?.toISOString()).toBe('2025-02-19T00:31:12.000Z');
    expect(st.entitlements).toEqual([
      {
        tag: sample.LicenseDetails.LicenseStatus.Entitlement[0]!.Tag,
        count: 10,
        status: 'InCompliance',
      },
    ]);
  });
  it('accepts a single entitlement (XML without repeats) and an unregistered product', () => {
    const st = toSmartLicenseStatus(
      statusEnvelopeSchema.parse({
        LicenseDetails: {
          SmartLicensing: 'ENABLED',
          Registration: { Status: 'Unregistered' },
          Authorization: { Status: 'Evaluation Mode', EvaluationPeriodRemaining: '12' },
          LicenseStatus: { Entitlement: { Tag: 't', Count: '0', Status: 'Init' } },
        },
      }).LicenseDetails,
    );
    expect(st.entitlements).toHaveLength(1);
    expect(st.registration.lastRenewalAttempt).toBeNull();
    expect(st.authorization.evaluationPeriodRemainingDays).toBe(12);
  });
  it('names the bad field', () => {
    const r = statusEnvelopeSchema.safeParse({
      LicenseDetails: { Authorization: { Status: 'x', EvaluationPeriodRemaining: 'lots' } },
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual([
      'LicenseDetails',
      'Authorization',
      'EvaluationPeriodRemaining',
    ]);
  });
  it('parseProductUdi', () => {
    expect(parseProductUdi('PID:CUC,SN:abcde')).toEqual({ pid: 'CUC', sn: 'abcde' });
    expect(parseProductUdi('garbage')).toBeUndefined();
  });
});

describe('ucAnswerError', () => {
  const ctx = { app: 'CUCM' as const, host: 'pub:8443', op: 'register' as const };
  it('maps token, subscriber and already-registered answers', () => {
    expect(ucAnswerError(400, 'INVALID_PARAMETER: token expired', ctx)).toMatchObject({
      code: 'CAA1048',
      action: 'Sync with CSSM to refresh tokens, then retry.',
    });
    expect(ucAnswerError(405, 'This operation is not allowed on a subscriber node', ctx).code).toBe(
      'CAA1049',
    );
    const already = ucAnswerError(
      405,
      "Product is already registered. Use 'force' to re-register.",
      ctx,
    );
    expect(already.code).toBe('CAA1081');
    expect(already.details?.reason).toBe('already-registered');
    expect(already.action).toBe('Retry with force.');
  });
  it('maps deregister, transport and auth failures', () => {
    expect(ucAnswerError(500, 'agent error', { ...ctx, op: 'deregister' }).code).toBe('CAA1082');
    expect(ucAnswerError(409, 'Product is registered', { ...ctx, op: 'setTransport' }).code).toBe(
      'CAA1041',
    );
    expect(ucAnswerError(400, 'Invalid proxy host', { ...ctx, op: 'setTransport' }).code).toBe(
      'CAA1040',
    );
    expect(ucAnswerError(401, undefined, ctx).code).toBe('UC1011');
    expect(ucAnswerError(500, 'boom', { ...ctx, op: 'getStatus' }).code).toBe('UC1020');
  });
  it('re-codes network failures from the shared HTTP client', () => {
    const e = new SmartlicError({
      code: 'CSSM1005',
      message: 'refused',
      details: { kind: 'refused' },
    });
    expect((toUcNetworkError(e, ctx) as SmartlicError).code).toBe('UC1005');
    const t = new SmartlicError({ code: 'CSSM1007', message: 't', details: { kind: 'timeout' } });
    expect((toUcNetworkError(t, ctx) as SmartlicError).code).toBe('UC1007');
  });
});
