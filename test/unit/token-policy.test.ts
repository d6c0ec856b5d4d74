// Real: core/domain/token-mask.ts and core/services/token-policy.ts (pure rules). Nothing faked.
import { describe, expect, it } from 'vitest';
import { maskToken } from '../../core/domain/token-mask.ts';
import { kindsToRefresh, type TokenFacts } from '../../core/services/token-policy.ts';

describe('token masks', () => {
  it('come from the decoded token, so two CSSM tokens ending alike mask differently', () => {
    // CSSM's shape: URL-encoded base64 lines joined by %0A, ending in %0A.
    const a = `${encodeURIComponent('NjE5ZDk0MmQtYTQ2Ni00ZGI2LWEy')}%0A${encodeURIComponent('MTY3MDAwMDAwMHwxMjM0NTY=')}%0A`;
    const b = `${encodeURIComponent('NjE5ZDk0MmQtYjk5OS00ZGI2LWEy')}%0A${encodeURIComponent('MTY3MDAwMDAwMHw5ODc2NTQ=')}%0A`;
    expect(a.slice(-4)).toBe(b.slice(-4));
    expect(maskToken(a)).not.toBe(maskToken(b));
    expect(maskToken(a)).toBe('NjE5…NTY=');
  });

  it('short or odd values', () => {
    expect(maskToken('short')).toBe('****');
    expect(maskToken('%E0%A4%A not-url-encoded-but-long')).toBe('%E0%…long');
  });
});

describe('which export-control kinds need a new token', () => {
  const now = Date.parse('2026-06-01T00:00:00Z');
  const windowEnd = now + 30 * 86_400_000;
  const t = (exportControlled: boolean, days: number, status: TokenFacts['status'] = 'Active') => ({
    status,
    exportControlled,
    expiresAt: new Date(now + days * 86_400_000),
  });

  it('each kind separately: a lasting export-controlled token does not hide expiring plain ones', () => {
    expect(kindsToRefresh([t(false, 10), t(true, 300)], windowEnd, true)).toEqual([false]);
    expect(kindsToRefresh([t(false, 300), t(true, 10)], windowEnd, true)).toEqual([true]);
    expect(kindsToRefresh([t(false, 10), t(true, 10)], windowEnd, false)).toEqual([false, true]);
    expect(kindsToRefresh([t(false, 300), t(true, 300)], windowEnd, true)).toEqual([]);
  });

  it('no active token: a plain one only when clusters are assigned', () => {
    expect(kindsToRefresh([t(true, 5, 'Revoked')], windowEnd, true)).toEqual([false]);
    expect(kindsToRefresh([], windowEnd, false)).toEqual([]);
  });
});
