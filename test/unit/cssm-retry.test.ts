// Real: core/cssm/retry.ts (pure policy functions). Faked: nothing (random is a fixed function).
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  classifyNetworkError,
  isRetryableNetworkError,
  isUnsentNetworkError,
  parseRetryAfter,
  retryDelay,
} from '../../core/cssm/retry.ts';

const policy = { baseMs: 100, maxMs: 1000, retryAfterCapMs: 5000 };
const now = new Date('2026-01-01T00:00:00Z');

describe('backoffDelay (full jitter)', () => {
  it('grows the ceiling exponentially and caps it', () => {
    const top = () => 0.999999;
    expect(backoffDelay(0, policy, top)).toBe(99);
    expect(backoffDelay(1, policy, top)).toBe(199);
    expect(backoffDelay(3, policy, top)).toBe(799);
    expect(backoffDelay(10, policy, top)).toBe(999);
  });
  it('is uniform in [0, ceiling)', () => {
    expect(backoffDelay(2, policy, () => 0)).toBe(0);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(200);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter(['2', '9'], now)).toBe(2000);
  });
  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('retryDelay', () => {
  it('prefers Retry-After, capped', () => {
    expect(retryDelay(0, 2000, policy, () => 0.5)).toBe(2000);
    expect(retryDelay(0, 60_000, policy, () => 0.5)).toBe(5000);
  });
  it('falls back to backoff', () => {
    expect(retryDelay(1, undefined, policy, () => 0.5)).toBe(100);
  });
});

describe('classifyNetworkError', () => {
  const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  it('reads codes on the error, its cause chain and AggregateError members', () => {
    expect(classifyNetworkError(withCode('ECONNREFUSED'))).toBe('refused');
    expect(
      classifyNetworkError(new TypeError('fetch failed', { cause: withCode('ENOTFOUND') })),
    ).toBe('unknown-host');
    expect(classifyNetworkError(new AggregateError([withCode('ECONNREFUSED')]))).toBe('refused');
    expect(classifyNetworkError(withCode('EHOSTUNREACH'))).toBe('no-route');
    expect(classifyNetworkError(withCode('ENETUNREACH'))).toBe('no-route');
    expect(classifyNetworkError(withCode('EAI_AGAIN'))).toBe('dns-temporary');
    expect(classifyNetworkError(withCode('UND_ERR_SOCKET'))).toBe('reset');
    expect(classifyNetworkError(withCode('UND_ERR_HEADERS_TIMEOUT'))).toBe('timeout');
  });
  it('falls back on message text', () => {
    expect(classifyNetworkError(new Error('socket hang up'))).toBe('reset');
    expect(
      classifyNetworkError(new Error('Proxy response (403) !== 200 when HTTP Tunneling')),
    ).toBe('proxy');
    expect(classifyNetworkError(new Error('weird'))).toBe('other');
    expect(classifyNetworkError('plain string')).toBe('other');
  });
  it('retries refused/reset/timeout, and only unsent failures for non-idempotent calls', () => {
    expect(isRetryableNetworkError('refused')).toBe(true);
    expect(isRetryableNetworkError('reset')).toBe(true);
    expect(isRetryableNetworkError('timeout')).toBe(true);
    expect(isRetryableNetworkError('unknown-host')).toBe(false);
    expect(isRetryableNetworkError('no-route')).toBe(false);
    expect(isUnsentNetworkError('refused')).toBe(true);
    expect(isUnsentNetworkError('reset')).toBe(false);
    expect(isUnsentNetworkError('timeout')).toBe(false);
  });
});
