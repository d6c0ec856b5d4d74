// Real: the pure rules of the cluster, token, virtual-account and migration services
// (transport encoding and checks, token masking, the combined allocation
// effect). Faked: nothing; no I/O.
import { describe, expect, it } from 'vitest';
import { ucTransport } from '../../core/services/clusters.service.ts';
import { maskToken } from '../../core/services/tokens.service.ts';
import {
  accountTransport,
  parseLicenseMode,
  validateTransport,
} from '../../core/services/virtual-accounts.service.ts';
import { combinedAllocationEffect, planClusterMigration } from '../../core/domain/migration.ts';
import type { SmartAccount } from '../../core/store/index.ts';

describe('transport', () => {
  it('encodes Direct 0, Satellite 1, Proxy 2 for the applications', () => {
    expect(ucTransport({ mode: 'Direct' })).toEqual({ mode: 0 });
    expect(ucTransport({ mode: 'Satellite', satelliteUrl: 'https://s/SmartTransport' })).toEqual({
      mode: 1,
      url: 'https://s/SmartTransport',
    });
    expect(ucTransport({ mode: 'Proxy', proxyHost: 'p', proxyPort: 3128 })).toEqual({
      mode: 2,
      httpHost: 'p',
      httpPort: 3128,
    });
  });

  it('rejects bad proxy details with CAA1040 and a satellite without URL', () => {
    expect(() => validateTransport({ mode: 'Proxy', proxyHost: 'http://p', proxyPort: 1 })).toThrow(
      expect.objectContaining({ code: 'CAA1040' }),
    );
    expect(() => validateTransport({ mode: 'Proxy', proxyHost: 'p', proxyPort: 70000 })).toThrow(
      expect.objectContaining({ code: 'CAA1040' }),
    );
    expect(() => validateTransport({ mode: 'Satellite' })).toThrow(
      expect.objectContaining({ code: 'INPUT' }),
    );
    expect(validateTransport({ mode: 'Direct', proxyHost: 'ignored' })).toEqual({ mode: 'Direct' });
  });

  it("falls back to the account's settings", () => {
    const a = {
      transportMode: 'Direct',
      source: 'satellite',
      satelliteRegistrationUrl: null,
      satelliteHost: 'sat.example',
    } as unknown as SmartAccount;
    expect(accountTransport(a)).toEqual({
      mode: 'Satellite',
      satelliteUrl: 'https://sat.example/SmartTransport',
    });
  });

  it('reads license modes case-insensitively and refuses others', () => {
    expect(parseLicenseMode('hcs-le')).toBe('HCS-LE');
    expect(() => parseLicenseMode('Flex')).toThrow(expect.objectContaining({ code: 'INPUT' }));
  });
});

describe('maskToken', () => {
  it('shows only the first and last four characters', () => {
    const t = 'ODk4ZmY2NzMtNTk2Yy00YmQ0LWIyZDctZDJiZDhhZjE1YWY0LTE3MDA';
    expect(maskToken(t)).toBe(`${t.slice(0, 4)}…${t.slice(-4)}`);
    expect(maskToken(t)).not.toContain(t.slice(4, -4));
    expect(maskToken('short')).toBe('****');
  });
});

describe('combinedAllocationEffect', () => {
  const va = {
    name: 'va-x',
    licenseMode: 'HCS' as const,
    assignedClusters: 0,
    entitlements: [{ type: 'HUCM_Foundation' as const, quantity: 100 }],
    otherRequests: [],
  };
  const a = {
    name: 'a',
    type: 'CUCM',
    version: '14.0.1',
    licenseMode: 'Enterprise' as const,
    registered: false,
    demand: [{ type: 'UCM_Enhanced' as const, count: 60 }],
  };
  const b = { ...a, name: 'b' };

  it('adds up the clusters moving together; each alone would fit', () => {
    const alone = planClusterMigration(a, 'HCS', { targetVa: va });
    expect(alone.allocation?.newShortages).toEqual([]);
    const both = combinedAllocationEffect(va, [
      { cluster: a, target: 'HCS' },
      { cluster: b, target: 'HCS' },
    ]);
    expect(both.newShortages.reduce((s, x) => s + x.quantity, 0)).toBe(20);
    expect(both.virtualAccount).toBe('va-x');
  });

  it('is the single-cluster effect for one cluster', () => {
    const one = combinedAllocationEffect(va, [{ cluster: a, target: 'HCS' }]);
    expect(one).toEqual(planClusterMigration(a, 'HCS', { targetVa: va }).allocation);
  });
});
