// Real: core/domain/catalog.ts (pure data and lookups). Faked: nothing.
import { describe, expect, it } from 'vitest';
import {
  LICENSE_TYPES,
  LICENSE_TYPE_IDS,
  catalogIndex,
  chainMembers,
  eligibleSources,
  findLicenseType,
  hcsTypeFor,
  isLicenseTypeId,
  licenseModeOfTags,
  licenseType,
  shortNameOfTag,
  tiersFrom,
} from '../../core/domain/catalog.ts';
import type { LicenseTypeId } from '../../core/domain/catalog.ts';

const ALL_IDS: LicenseTypeId[] = [
  'UCM_Essential',
  'UCM_Basic',
  'UCM_Enhanced',
  'UCM_EnhancedPlus',
  'UCM_CUWL',
  'UCM_TelePresenceRoom',
  'CUC_BasicMessaging',
  'CUC_EnhancedMessaging',
  'CUC_SpeechConnectPort',
  'CER_USER',
  'HUCM_Essential',
  'HUCM_Basic',
  'HUCM_Foundation',
  'HUCM_Standard',
  'HUCM_TelePresenceRoom',
  'HCUC_BasicMessaging',
  'HCUC_EnhancedMessaging',
  'HCUC_StandardMessaging',
  'HCUC_SpeechConnectPort',
  'HCER_User',
];

// DOMAIN §6, tags seen on a real system [sample], with CSSM display names.
const SAMPLE_TAGS: [LicenseTypeId, string, string][] = [
  [
    'UCM_CUWL',
    'regid.2017-02.com.cisco.UCM_CUWL,12.0_cc59375a-1cd8-4b36-8366-6f4d2abba965',
    'UC Manager CUWL License (12.x)',
  ],
  [
    'UCM_EnhancedPlus',
    'regid.2016-07.com.cisco.UCM_EnhancedPlus,12.0_d8372792-588c-4caa-b279-8587e5ce2f82',
    'UC Manager Enhanced Plus License (12.x)',
  ],
  [
    'UCM_Enhanced',
    'regid.2016-07.com.cisco.UCM_Enhanced,12.0_66d0d1cf-4863-4761-91d0-d01d3eb1949a',
    'UC Manager Enhanced License (12.x)',
  ],
  [
    'UCM_Basic',
    'regid.2016-07.com.cisco.UCM_Basic,12.0_ef827a2f-f4ae-4ebb-887f-052737063d3a',
    'UC Manager Basic License (12.x)',
  ],
  [
    'UCM_Essential',
    'regid.2016-07.com.cisco.UCM_Essential,12.0_25f9c396-c67c-4519-aa98-d4b3ad18f805',
    'UC Manager Essential License (12.x)',
  ],
  [
    'UCM_TelePresenceRoom',
    'regid.2016-07.com.cisco.UCM_TelePresenceRoom,12.0_d9a71418-29e9-4c9a-9d3a-1366ebe38e7c',
    'UC Manager TelePresence Room License (12.x)',
  ],
];

describe('catalog ids', () => {
  it('knows exactly the 20 types, in catalog order', () => {
    expect([...LICENSE_TYPE_IDS]).toEqual(ALL_IDS);
    expect(LICENSE_TYPES.map((t) => t.id)).toEqual(ALL_IDS);
    expect(new Set(LICENSE_TYPE_IDS).size).toBe(20);
  });

  it.each(ALL_IDS)('%s: found by id, lower-case id, tag, upper-case tag and display name', (id) => {
    const t = licenseType(id);
    expect(t.id).toBe(id);
    expect(isLicenseTypeId(id)).toBe(true);
    expect(catalogIndex(id)).toBe(ALL_IDS.indexOf(id));
    expect(findLicenseType(id)?.id).toBe(id);
    expect(findLicenseType(id.toLowerCase())?.id).toBe(id);
    expect(findLicenseType(`  ${id}  `)?.id).toBe(id);
    expect(findLicenseType(t.tag)?.id).toBe(id);
    expect(findLicenseType(t.tag.toUpperCase())?.id).toBe(id);
    expect(findLicenseType(t.displayName)?.id).toBe(id);
    expect(findLicenseType(t.displayName.toUpperCase())?.id).toBe(id);
    expect(shortNameOfTag(t.tag)).toBe(id);
  });

  it('HCS types carry their report code and application code', () => {
    for (const t of LICENSE_TYPES.filter((x) => x.family === 'HCS')) {
      expect(t.reportCode).toBe(t.id);
      expect(t.appCode).toBe(t.app === 'CUCM' ? 'HUCM' : t.app === 'CUC' ? 'HCUC' : 'HCER');
    }
    expect(LICENSE_TYPES.filter((x) => x.family === 'HCS')).toHaveLength(10);
  });
});

describe('lookups', () => {
  it.each(SAMPLE_TAGS)('%s has the sampled tag and display name', (id, tag, displayName) => {
    const t = licenseType(id);
    expect(t.tag).toBe(tag);
    expect(t.tagSource).toBe('sample');
    expect(t.displayName).toBe(displayName);
    expect(findLicenseType(tag)?.id).toBe(id);
  });

  it('shortNameOfTag takes the text between .cisco. and the comma', () => {
    expect(shortNameOfTag(SAMPLE_TAGS[0]![1])).toBe('UCM_CUWL');
    expect(shortNameOfTag('regid.2018-01.com.cisco.CER_USER,12.0_x')).toBe('CER_USER');
    expect(shortNameOfTag('UCM_CUWL')).toBeUndefined();
    expect(shortNameOfTag('regid.2017-02.com.cisco.UCM_CUWL')).toBeUndefined();
  });

  it('answers undefined for unknown names and tags', () => {
    expect(findLicenseType('UCM_Foo')).toBeUndefined();
    expect(findLicenseType('')).toBeUndefined();
    expect(findLicenseType('regid.2017-02.com.cisco.UCM_Foo,12.0_x')).toBeUndefined();
    expect(isLicenseTypeId('ucm_cuwl')).toBe(false);
    expect(() => licenseType('UCM_Foo' as LicenseTypeId)).toThrow(/unknown license type/);
  });
});

describe('tiers', () => {
  it('orders the CUCM user chain Essential < Basic < Enhanced < Enhanced Plus < CUWL', () => {
    expect(chainMembers('ucm-user').map((t) => t.id)).toEqual([
      'UCM_Essential',
      'UCM_Basic',
      'UCM_Enhanced',
      'UCM_EnhancedPlus',
      'UCM_CUWL',
    ]);
    expect(chainMembers('hucm-user').map((t) => t.id)).toEqual([
      'HUCM_Essential',
      'HUCM_Basic',
      'HUCM_Foundation',
      'HUCM_Standard',
    ]);
    expect(chainMembers('cuc-user').map((t) => t.id)).toEqual([
      'CUC_BasicMessaging',
      'CUC_EnhancedMessaging',
    ]);
    expect(chainMembers('hcuc-user').map((t) => t.id)).toEqual([
      'HCUC_BasicMessaging',
      'HCUC_EnhancedMessaging',
      'HCUC_StandardMessaging',
    ]);
  });

  it('keeps TelePresence Room outside the user chain', () => {
    expect(licenseType('UCM_TelePresenceRoom').chain).toBe('ucm-room');
    expect(chainMembers('ucm-room').map((t) => t.id)).toEqual(['UCM_TelePresenceRoom']);
  });

  it('tiersFrom lists the type and every higher tier, nearest first', () => {
    expect(tiersFrom('UCM_Enhanced')).toEqual(['UCM_Enhanced', 'UCM_EnhancedPlus', 'UCM_CUWL']);
    expect(tiersFrom('UCM_CUWL')).toEqual(['UCM_CUWL']);
    expect(tiersFrom('HUCM_Foundation')).toEqual(['HUCM_Foundation', 'HUCM_Standard']);
  });

  it('gives devices per user for the CUCM user tiers', () => {
    expect(chainMembers('ucm-user').map((t) => t.devicesPerUser)).toEqual([1, 1, 1, 2, 10]);
  });
});

describe('Enterprise → HCS mapping (DOMAIN §6)', () => {
  it.each<[LicenseTypeId, LicenseTypeId | undefined]>([
    ['UCM_Essential', 'HUCM_Foundation'],
    ['UCM_Basic', 'HUCM_Foundation'],
    ['UCM_Enhanced', 'HUCM_Foundation'],
    ['UCM_EnhancedPlus', 'HUCM_Standard'],
    ['UCM_CUWL', 'HUCM_Standard'],
    ['UCM_TelePresenceRoom', 'HUCM_TelePresenceRoom'],
    ['CUC_BasicMessaging', 'HCUC_BasicMessaging'],
    ['CUC_EnhancedMessaging', 'HCUC_StandardMessaging'],
    ['CER_USER', 'HCER_User'],
    ['CUC_SpeechConnectPort', undefined],
    ['HUCM_Foundation', undefined],
  ])('%s is covered by %s', (id, hcs) => {
    expect(hcsTypeFor(id)).toBe(hcs);
  });
});

describe('eligibleSources', () => {
  it.each<[LicenseTypeId, LicenseTypeId[]]>([
    [
      'UCM_Essential',
      [
        'UCM_Essential',
        'UCM_Basic',
        'UCM_Enhanced',
        'UCM_EnhancedPlus',
        'UCM_CUWL',
        'HUCM_Foundation',
        'HUCM_Standard',
      ],
    ],
    [
      'UCM_Basic',
      [
        'UCM_Basic',
        'UCM_Enhanced',
        'UCM_EnhancedPlus',
        'UCM_CUWL',
        'HUCM_Foundation',
        'HUCM_Standard',
      ],
    ],
    ['UCM_EnhancedPlus', ['UCM_EnhancedPlus', 'UCM_CUWL', 'HUCM_Standard']],
    ['UCM_CUWL', ['UCM_CUWL', 'HUCM_Standard']],
    ['UCM_TelePresenceRoom', ['UCM_TelePresenceRoom', 'HUCM_TelePresenceRoom']],
    [
      'CUC_BasicMessaging',
      [
        'CUC_BasicMessaging',
        'CUC_EnhancedMessaging',
        'HCUC_BasicMessaging',
        'HCUC_EnhancedMessaging',
        'HCUC_StandardMessaging',
      ],
    ],
    ['CUC_EnhancedMessaging', ['CUC_EnhancedMessaging', 'HCUC_StandardMessaging']],
    ['CUC_SpeechConnectPort', ['CUC_SpeechConnectPort']],
    ['CER_USER', ['CER_USER', 'HCER_User']],
    ['HUCM_Foundation', ['HUCM_Foundation', 'HUCM_Standard']],
    ['HUCM_Standard', ['HUCM_Standard']],
  ])('Enterprise mode, %s: own type, higher tiers, then HCS', (id, expected) => {
    expect(eligibleSources(id, 'Enterprise')).toEqual(expected);
  });

  it.each<[LicenseTypeId, LicenseTypeId[]]>([
    ['UCM_Essential', ['HUCM_Essential', 'HUCM_Basic', 'HUCM_Foundation', 'HUCM_Standard']],
    ['UCM_Basic', ['HUCM_Basic', 'HUCM_Foundation', 'HUCM_Standard']],
    ['UCM_Enhanced', ['HUCM_Foundation', 'HUCM_Standard']],
    ['UCM_EnhancedPlus', ['HUCM_Standard']],
    ['UCM_CUWL', ['HUCM_Standard']],
    ['UCM_TelePresenceRoom', ['HUCM_TelePresenceRoom']],
    [
      'CUC_BasicMessaging',
      ['HCUC_BasicMessaging', 'HCUC_EnhancedMessaging', 'HCUC_StandardMessaging'],
    ],
    ['CUC_EnhancedMessaging', ['HCUC_EnhancedMessaging', 'HCUC_StandardMessaging']],
    ['CUC_SpeechConnectPort', ['HCUC_SpeechConnectPort']],
    ['CER_USER', ['HCER_User']],
    ['HUCM_Foundation', ['HUCM_Foundation', 'HUCM_Standard']],
  ])('HCS mode, %s: HCS types only', (id, expected) => {
    expect(eligibleSources(id, 'HCS')).toEqual(expected);
  });

  it('never lists a lower tier, a duplicate or another chain family than the mapping allows', () => {
    for (const id of ALL_IDS) {
      for (const mode of ['Enterprise', 'HCS'] as const) {
        const list = eligibleSources(id, mode);
        const own = licenseType(id);
        expect(new Set(list).size).toBe(list.length);
        if (mode === 'Enterprise' || own.family === 'HCS') expect(list[0]).toBe(id);
        if (mode === 'HCS') expect(list.every((s) => licenseType(s).family === 'HCS')).toBe(true);
        for (const s of list) {
          const src = licenseType(s);
          if (src.chain === own.chain) expect(src.tier).toBeGreaterThanOrEqual(own.tier);
          expect(src.app).toBe(own.app);
        }
        // Enterprise sources always come before HCS sources (dual parenting order).
        const firstHcs = list.findIndex((s) => licenseType(s).family === 'HCS');
        if (firstHcs >= 0) {
          expect(list.slice(firstHcs).every((s) => licenseType(s).family === 'HCS')).toBe(true);
        }
      }
    }
  });
});

describe('licenseModeOfTags (the mode a product shows only through its entitlement tags)', () => {
  const tag = (short: string) =>
    `regid.2016-07.com.cisco.${short},12.0_00000000-0000-0000-0000-000000000000`;
  it('reads Enterprise, HCS and HCS-LE from the tags, by short name or full tag', () => {
    expect(licenseModeOfTags(['UCM_CUWL', 'UCM_EnhancedPlus', 'UCM_Essential'].map(tag))).toBe(
      'Enterprise',
    );
    expect(licenseModeOfTags([tag('HUCM_Foundation'), tag('HUCM_Standard')])).toBe('HCS');
    expect(licenseModeOfTags([tag('HCUC_BasicMessaging')])).toBe('HCS');
    expect(licenseModeOfTags([tag('HLECUC_BasicMessaging'), tag('HLECUC_EnhancedMessaging')])).toBe(
      'HCS-LE',
    );
    expect(licenseModeOfTags(['CUC_BasicMessaging'])).toBe('Enterprise');
  });
  it('says nothing when there is no known tag, or the tags disagree', () => {
    expect(licenseModeOfTags([])).toBeUndefined();
    expect(licenseModeOfTags([tag('SomethingElse')])).toBeUndefined();
    expect(licenseModeOfTags([tag('UCM_Basic'), tag('HUCM_Basic')])).toBeUndefined();
    // An unknown tag beside known ones does not change what they show.
    expect(licenseModeOfTags([tag('UCM_Basic'), tag('SomethingElse')])).toBe('Enterprise');
  });
});
