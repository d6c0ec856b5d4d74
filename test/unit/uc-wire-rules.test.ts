// Real: the pure wire rules — AXL schema per release (core/uc/axl-schema.ts), CUPI field
// readers (core/uc/cupi-status.ts), the VA and license-mode rules of registration and the
// Emergency Responder state from CSSM's device list (core/services/clusters/). Faked: nothing.
import { describe, expect, it } from 'vitest';
import { axlSchemaFor } from '../../core/uc/axl-schema.ts';
import { parseCupiAttempt, parseEvaluationRemaining } from '../../core/uc/cupi-status.ts';
import { parseProductUdi } from '../../core/uc/status.ts';
import { checkVaForCluster, licenseModeDecision } from '../../core/services/clusters/rules.ts';
import {
  cerStatusPatch,
  findInstance,
  instanceNameOf,
  type InstanceFacts,
} from '../../core/services/clusters/cer-state.ts';
import { SmartlicError } from '../../core/errors.ts';

/** The SmartlicError a synchronous call throws. */
function rejectionSync(fn: () => unknown): SmartlicError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SmartlicError) return e;
    throw e;
  }
  throw new Error('expected a SmartlicError');
}

describe('AXL schema version', () => {
  it('follows the release: the newest schema it serves', () => {
    expect(axlSchemaFor('12.5.1.17900-64')).toBe('12.5');
    expect(axlSchemaFor('12.5(1)SU7')).toBe('12.5');
    expect(axlSchemaFor('14.0.1.13900-155')).toBe('14.0');
    expect(axlSchemaFor('14SU2')).toBe('14.0');
    expect(axlSchemaFor('15.0.1.10000-19')).toBe('15.0');
  });

  it('12.0 and earlier have no smart-licensing operations (SLMCT1006); an override wins', () => {
    expect(rejectionSync(() => axlSchemaFor('12.0.1.10000-10')).code).toBe('SLMCT1006');
    expect(rejectionSync(() => axlSchemaFor('11.5(1)SU3')).code).toBe('SLMCT1006');
    expect(axlSchemaFor('12.0.1.10000-10', '12.5')).toBe('12.5');
    expect(axlSchemaFor('15.0.1.10000-19', ' 14.0 ')).toBe('14.0');
    expect(rejectionSync(() => axlSchemaFor('15', 'fourteen')).code).toBe('INPUT');
  });
});

describe('CUPI field readers', () => {
  it('reads the status word, stray spaces, and Not Applicable', () => {
    expect(parseCupiAttempt('SUCCEEDED 2017-11-22 13:17:19.0', 'x')).toEqual({
      status: 'SUCCEEDED',
      at: new Date('2017-11-22T13:17:19Z'),
    });
    expect(parseCupiAttempt(' 2018-05-23 13:17:19.0', 'x')).toEqual({
      at: new Date('2018-05-23T13:17:19Z'),
    });
    expect(parseCupiAttempt('FAILED  2017-11-22 13:17:19.5', 'x').status).toBe('FAILED');
    expect(parseCupiAttempt('Not Applicable', 'x')).toEqual({ at: null });
    expect(() => parseCupiAttempt('2017-02-30 10:00:00.0', 'Register.X')).toThrow(
      /Register\.X.*unreadable date/,
    );
  });

  it('reads evaluation remaining as whole days', () => {
    expect(parseEvaluationRemaining('87:0:36', 'x')).toBe(87);
    expect(parseEvaluationRemaining('0:23:59', 'x')).toBe(0);
    expect(parseEvaluationRemaining('89', 'x')).toBe(89);
    expect(() => parseEvaluationRemaining('87 days', 'x')).toThrow(/days:hours:minutes/);
  });

  it("reads Unity Connection's UDI form", () => {
    expect(parseProductUdi('pid=Cisco Unity Connection sn=cbd7561030494c60af97aabbcba')).toEqual({
      pid: 'Cisco Unity Connection',
      sn: 'cbd7561030494c60af97aabbcba',
    });
  });
});

describe('VA rules for a cluster', () => {
  const acct = { domain: 'acme.com' };
  const cucm = (version: string) => ({ name: 'c1', type: 'CUCM' as const, version });

  it('refuses the ordered VA, naming the operational one', () => {
    const e = rejectionSync(() =>
      checkVaForCluster(
        cucm('14.0.1'),
        acct,
        { name: 'va-ordered', licenseMode: 'HCS', role: 'ordered' },
        { name: 'va-operational' },
      ),
    );
    expect(e.code).toBe('VA_ORDERED');
    expect(e.action).toContain('acme.com/va-operational');
  });

  it('refuses HCS-LE where the release no longer offers it', () => {
    const va = { name: 'va-le', licenseMode: 'HCS-LE' as const, role: null };
    expect(rejectionSync(() => checkVaForCluster(cucm('12.5(1)SU7'), acct, va)).code).toBe(
      'SLMCT1006',
    );
    expect(rejectionSync(() => checkVaForCluster(cucm('14SU1'), acct, va)).code).toBe('SLMCT1006');
    expect(rejectionSync(() => checkVaForCluster(cucm('15.0.1'), acct, va)).code).toBe('SLMCT1006');
    expect(() => checkVaForCluster(cucm('12.5(1)SU6'), acct, va)).not.toThrow();
    expect(() => checkVaForCluster(cucm('14.0.1.10000-20'), acct, va)).not.toThrow();
    expect(rejectionSync(() => checkVaForCluster(cucm('14.0.1.13900-155'), acct, va)).code).toBe(
      'SLMCT1006',
    );
    expect(
      rejectionSync(() => checkVaForCluster(cucm('14'), acct, { ...va, licenseMode: null })).code,
    ).toBe('SLM1014');
  });
});

describe('license mode before registering', () => {
  const c = { name: 'pub1', publisherAddress: 'https://cucm-pub.acme.com:8443' };

  it('needs no change between Enterprise and HCS at 12.x+', () => {
    expect(licenseModeDecision(c, 'HCS', 'HCS').kind).toBe('same');
    expect(licenseModeDecision(c, 'Enterprise', 'HCS').kind).toBe('not-needed');
    expect(licenseModeDecision(c, 'HCS', 'Enterprise').kind).toBe('not-needed');
    expect(licenseModeDecision(c, null, 'HCS').kind).toBe('not-reported');
  });

  it('a change to or from HCS-LE fails with the COP file, the publisher and the reboot', () => {
    const d = licenseModeDecision(c, 'HCS-LE', 'HCS');
    expect(d.kind).toBe('change-needed');
    if (d.kind !== 'change-needed') return;
    expect(d.error.code).toBe('MODE_CHANGE_NEEDED');
    expect(d.error.action).toContain('ciscocm.HCSMode_P0029-2.cop.sgn');
    expect(d.error.action).toContain('publisher cucm-pub.acme.com');
    expect(d.error.action).toContain('reboot');
    const e = licenseModeDecision(c, 'HCS-LE', 'Enterprise');
    expect(e.kind === 'change-needed' && e.error.action).toContain(
      'ciscocm.EnterpriseMode_P0030-2.cop.sgn',
    );
    const le = licenseModeDecision(c, 'HCS', 'HCS-LE');
    expect(le.kind === 'change-needed' && le.error.action).toMatch(/no COP file/);
  });
});

describe("Emergency Responder state from CSSM's device list", () => {
  const dev = (over: Partial<InstanceFacts> = {}): InstanceFacts => ({
    instanceName: 'cer-pub.acme.com',
    productTag: 'regid.2018-03.com.cisco.CER',
    udiPid: 'CER',
    udiSerial: 'ABC12',
    registrationStatus: 'Registered',
    authorizationStatus: 'Authorized',
    lastContactAt: new Date('2026-11-30T10:00:00Z'),
    ...over,
  });
  const now = new Date('2026-12-01T00:00:00Z');

  it('finds the instance by stored UDI first, then by the publisher host name', () => {
    const a = dev();
    const b = dev({ instanceName: 'renamed', udiSerial: 'ZZZ99' });
    expect(findInstance([a, b], { productUdi: 'UDI: PID:CER,SN:zzz99' }, 'cer-pub.acme.com')).toBe(
      b,
    );
    expect(findInstance([a, b], { productUdi: null }, 'CER-PUB.acme.com')).toBe(a);
    expect(findInstance([b], { productUdi: null }, 'cer-pub.acme.com')).toBeUndefined();
    expect(instanceNameOf({ publisherAddress: 'cer-pub.acme.com' }, [])).toBe('cer-pub.acme.com');
    expect(
      instanceNameOf({ publisherAddress: 'http://127.0.0.1:9/uc/x/y' }, [
        { hostname: 'cer-pub', address: null, role: 'publisher' },
      ]),
    ).toBe('cer-pub');
  });

  it("maps CSSM's listing, or its silence, onto the cluster", () => {
    expect(cerStatusPatch(dev(), { outOfComplianceSince: null }, now)).toMatchObject({
      registrationStatus: 'Registered',
      authorizationStatus: 'Authorized',
      lastCommunicationAttempt: new Date('2026-11-30T10:00:00Z'),
      productUdi: 'UDI: PID:CER,SN:ABC12',
      outOfComplianceSince: null,
      lastStatusReadAt: now,
    });
    expect(
      cerStatusPatch(
        dev({ authorizationStatus: 'Out of compliance' }),
        { outOfComplianceSince: null },
        now,
      ).outOfComplianceSince,
    ).toEqual(now);
    expect(cerStatusPatch(undefined, { outOfComplianceSince: null }, now)).toEqual({
      registrationStatus: 'Unregistered',
      authorizationStatus: null,
      lastStatusReadAt: now,
    });
  });
});
