// Real: core/domain/versions.ts (pure parsing and version rules). Faked: nothing; inputs are
// version strings as Cisco prints them.
import { describe, expect, it } from 'vitest';

import {
  checkSatelliteVersion,
  ACCEPTED_VERSION_FORMS,
  VersionParseError,
  checkSmartEligibility,
  compareUcVersions,
  formatUcVersion,
  hcsLeSupported,
  isSmartLicensingAppType,
  licensingModelFor,
  parseUcVersion,
  serviceUpdateOf,
  tryParseUcVersion,
} from '../../core/domain/versions.ts';

describe('parseUcVersion', () => {
  it.each([
    ['12.5.1.11900-146', { major: 12, minor: 5, maintenance: 1, build: 11900, buildRevision: 146 }],
    ['15.0.1.10000-32', { major: 15, minor: 0, maintenance: 1, build: 10000, buildRevision: 32 }],
    ['14.0.1.13900-155', { major: 14, minor: 0, maintenance: 1, build: 13900, buildRevision: 155 }],
    ['12.5.1.11900', { major: 12, minor: 5, maintenance: 1, build: 11900 }],
    ['10.5.2', { major: 10, minor: 5, maintenance: 2 }],
    ['11.5(1)SU3', { major: 11, minor: 5, maintenance: 1, su: 3 }],
    ['12.5(1)SU7', { major: 12, minor: 5, maintenance: 1, su: 7 }],
    ['12.5(1)', { major: 12, minor: 5, maintenance: 1 }],
    ['12.5', { major: 12, minor: 5, maintenance: 1 }],
    ['11.5', { major: 11, minor: 5, maintenance: 1 }],
    ['14SU2', { major: 14, minor: 0, maintenance: 1, su: 2 }],
    ['15SU1', { major: 15, minor: 0, maintenance: 1, su: 1 }],
    ['14', { major: 14, minor: 0, maintenance: 1 }],
    ['14(1)SU1', { major: 14, minor: 0, maintenance: 1, su: 1 }],
    ['14.0(1)SU1', { major: 14, minor: 0, maintenance: 1, su: 1 }],
    ['14SU4a', { major: 14, minor: 0, maintenance: 1, su: 4, suLetter: 'a' }],
    ['8.6(2a)', { major: 8, minor: 6, maintenance: 2, maintenanceLetter: 'a' }],
    ['8.6(2a)su3', { major: 8, minor: 6, maintenance: 2, maintenanceLetter: 'a', su: 3 }],
    ['  12.5(1)SU3 ', { major: 12, minor: 5, maintenance: 1, su: 3 }],
  ])('%s', (input, expected) => {
    const v = parseUcVersion(input);
    expect(v).toEqual({ ...expected, raw: input.trim() });
  });

  it.each([
    '',
    '   ',
    'abc',
    '12.x',
    '11.x',
    '12.5.1.',
    '12..5',
    '12.5(1)SU',
    'SU3',
    '1.2.3.4.5',
    '12.5.1.11900-',
    '0.5(1)',
    'v12.5',
    '12.5(1)SU3 extra',
  ])('rejects %j with VersionParseError', (input) => {
    expect(() => parseUcVersion(input)).toThrow(VersionParseError);
    const r = tryParseUcVersion(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.input).toBe(input);
      expect(r.error.code).toBe('SLMCT1006');
      expect(r.error.message).toContain(`"${input}"`);
      for (const form of ACCEPTED_VERSION_FORMS) expect(r.error.message).toContain(form);
    }
  });
});

describe('serviceUpdateOf', () => {
  it.each([
    ['12.5.1.10000-22', 0],
    ['12.5.1.11900-146', 1],
    ['12.5.1.16900-48', 6],
    ['12.5.1.17900-64', 7],
    ['14.0.1.13900-155', 3],
    ['15.0.1.10000-32', 0],
    ['14SU2', 2],
    ['7.1.5.34900-7', 0],
  ])('%s → SU %i', (input, su) => {
    expect(serviceUpdateOf(parseUcVersion(input))).toBe(su);
  });
});

describe('compareUcVersions', () => {
  it.each([
    ['11.5(1)SU3', '12.5(1)', -1],
    ['12.5(1)SU3', '12.5(1)SU7', -1],
    ['12.5(1)SU7', '12.5.1.17900-64', -1],
    ['12.5.1.16900-48', '12.5(1)SU7', -1],
    ['12.5.1.17900-64', '12.5.1.17900-65', -1],
    ['14SU2', '14.0(1)SU2', 0],
    ['14SU2', '14.0.1.13900-155', -1],
    ['14.0.1.12900-161', '14SU2', 1],
    ['15SU1', '15.0.1.10000-32', 1],
    ['10.5.2', '10.5(2)', 0],
    ['8.6(2)', '8.6(2a)', -1],
    ['14SU4', '14SU4a', -1],
    ['12.5', '12.5(1)', 0],
    ['9.1(2)', '10.5.2', -1],
  ])('%s vs %s → %i', (a, b, sign) => {
    expect(Math.sign(compareUcVersions(a, b))).toBe(sign);
    expect(Math.sign(compareUcVersions(b, a))).toBe(-sign || 0);
  });

  it('sorts a mixed list into one order', () => {
    const list = [
      '15SU1',
      '11.5(1)SU3',
      '12.5.1.17900-64',
      '8.6(2a)',
      '14SU2',
      '12.5(1)SU7',
      '10.5.2',
    ];
    expect([...list].sort(compareUcVersions)).toEqual([
      '8.6(2a)',
      '10.5.2',
      '11.5(1)SU3',
      '12.5(1)SU7',
      '12.5.1.17900-64',
      '14SU2',
      '15SU1',
    ]);
  });

  it('throws VersionParseError on a string that is no version', () => {
    expect(() => compareUcVersions('12.5', 'latest')).toThrow(VersionParseError);
  });
});

describe('formatUcVersion', () => {
  it.each([
    ['12.5.1.11900-146', '12.5.1.11900-146'],
    ['12.5.1.11900', '12.5.1.11900'],
    ['11.5(1)SU3', '11.5(1)SU3'],
    ['12.5', '12.5(1)'],
    ['10.5.2', '10.5(2)'],
    ['14SU2', '14SU2'],
    ['14.0(1)SU1', '14SU1'],
    ['15', '15'],
    ['14SU4a', '14SU4a'],
    ['8.6(2a)su3', '8.6(2a)SU3'],
  ])('%s → %s', (input, text) => {
    expect(formatUcVersion(parseUcVersion(input))).toBe(text);
  });

  it('round-trips: formatting then parsing gives an equal version', () => {
    for (const s of ['12.5.1.11900-146', '11.5(1)SU3', '14SU2', '8.6(2a)', '10.5.2', '15SU1']) {
      expect(compareUcVersions(parseUcVersion(formatUcVersion(parseUcVersion(s))), s)).toBe(0);
    }
  });
});

describe('licensingModelFor', () => {
  it.each([
    ['8.6(2a)', 'PLM'],
    ['10.5.2', 'PLM'],
    ['11.5(1)SU3', 'PLM'],
    ['11.5', 'PLM'],
    ['12.0(1)', 'Smart'],
    ['12.5.1.11900-146', 'Smart'],
    ['14SU2', 'Smart'],
    ['15.0.1.10000-32', 'Smart'],
  ])('%s → %s', (input, model) => {
    expect(licensingModelFor(input)).toBe(model);
    expect(licensingModelFor(parseUcVersion(input))).toBe(model);
  });
});

describe('isSmartLicensingAppType', () => {
  it.each([
    ['CUCM', true],
    ['CUC', true],
    ['CER', true],
    ['IMP', false],
    ['CUCX', false],
    ['cucm', false],
    ['', false],
  ])('%j → %s', (type, ok) => {
    expect(isSmartLicensingAppType(type)).toBe(ok);
  });
});

describe('checkSmartEligibility', () => {
  it('CUCM 12.5 is eligible for smart licensing', () => {
    const r = checkSmartEligibility('CUCM', '12.5');
    expect(r).toMatchObject({ ok: true, appType: 'CUCM', licensingModel: 'Smart' });
    if (r.ok) expect(r.version).toMatchObject({ major: 12, minor: 5 });
  });

  it.each([
    ['CUCM', '12.5.1.11900-146'],
    ['CUC', '14SU2'],
    ['CER', '15.0.1.10000-32'],
    ['CUCM', '12.0(1)'],
  ])('%s %s is eligible', (type, version) => {
    expect(checkSmartEligibility(type, version).ok).toBe(true);
  });

  it('CUCM 11.5 is PLM: SLMCT1006 unsupported version for smart registration', () => {
    const r = checkSmartEligibility('CUCM', '11.5');
    expect(r).toMatchObject({ ok: false, code: 'SLMCT1006', licensingModel: 'PLM' });
    if (!r.ok) {
      expect(r.message).toMatch(/unsupported version for smart registration/i);
      expect(r.message).toContain('11.5(1)');
      expect(r.message).toContain('PLM');
      expect(r.action).not.toBe('');
    }
  });

  it.each([
    ['CUC', '11.5(1)SU3'],
    ['CER', '10.5.2'],
    ['CUCM', parseUcVersion('8.6(2a)')],
  ])('%s %s → SLMCT1006 (PLM)', (type, version) => {
    expect(checkSmartEligibility(type, version)).toMatchObject({
      ok: false,
      code: 'SLMCT1006',
      licensingModel: 'PLM',
    });
  });

  it('IMP → SLMCT1015 unsupported application type, whatever the version', () => {
    for (const version of ['14SU2', '11.5', 'garbage']) {
      const r = checkSmartEligibility('IMP', version);
      expect(r).toMatchObject({ ok: false, code: 'SLMCT1015' });
      if (!r.ok) {
        expect(r.message).toContain('IMP');
        expect(r.message).toContain('CUCM, CUC and CER');
        expect(r.licensingModel).toBeUndefined();
      }
    }
  });

  it('an unparseable version → SLMCT1006 naming the input, no licensing model', () => {
    const r = checkSmartEligibility('CUCM', '12.x');
    expect(r).toMatchObject({ ok: false, code: 'SLMCT1006' });
    if (!r.ok) {
      expect(r.message).toContain('"12.x"');
      expect(r.licensingModel).toBeUndefined();
    }
  });
});

describe('hcsLeSupported', () => {
  it.each([
    ['11.5(1)SU3', true],
    ['12.0(1)', true],
    ['12.5(1)', true],
    ['12.5(1)SU6', true],
    ['12.5.1.16900-48', true],
    ['12.5(1)SU7', false],
    ['12.5.1.17900-64', false],
    ['12.5(1)SU8', false],
    ['14', true],
    ['14.0.1.10000-20', true],
    ['14(1)SU1', false],
    ['14SU1', false],
    ['14.0.1.11900-132', false],
    ['14SU2', false],
    ['15', false],
    ['15SU1', false],
  ])('%s → %s', (version, supported) => {
    expect(hcsLeSupported(version)).toBe(supported);
  });
});

describe('checkSatelliteVersion (DOMAIN §3: 7.2 or later, no Classic Edition)', () => {
  it('passes 7.2 and later, in the 7.x and the On-Prem 8 forms', () => {
    for (const v of ['7.2', '7.2.0', '7.10', '8-202404', '8-202004', '9.0', 'v7.3'])
      expect(checkSatelliteVersion(v), v).toEqual({ ok: true, known: true });
  });
  it('refuses older releases with SLMCT1006 and says what to do', () => {
    for (const v of ['7.1', '7.0.1', '6.3.0', '5']) {
      const r = checkSatelliteVersion(v);
      expect(r, v).toMatchObject({ ok: false, code: 'SLMCT1006' });
      if (!r.ok) {
        expect(r.message).toContain(v);
        expect(r.action).toMatch(/upgrade the satellite to 7\.2 or later/);
      }
    }
  });
  it('refuses the Classic Edition whatever its number', () => {
    for (const v of ['Classic Edition 8.0', 'satellite classic 7.2']) {
      const r = checkSatelliteVersion(v);
      expect(r, v).toMatchObject({ ok: false, code: 'SLMCT1006' });
      if (!r.ok) expect(r.message).toMatch(/Classic Edition/);
    }
  });
  it('lets an unknown or unreadable version through as unknown', () => {
    for (const v of [undefined, null, '', '  ', 'latest'])
      expect(checkSatelliteVersion(v)).toEqual({ ok: true, known: false });
  });
});
