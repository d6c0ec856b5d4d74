// AnswerMemo (core/cssm/cssm.client.ts): a kept answer comes back only for the same request and
// the same text hash; the memo stays bounded. Pure: nothing real or faked beyond the class.
import { describe, expect, it } from 'vitest';
import { AnswerMemo } from '../../core/cssm/cssm.client.ts';

describe('AnswerMemo', () => {
  it('returns the kept answer for the same request and text, nothing otherwise', () => {
    const m = new AnswerMemo();
    const answer = { virtualAccounts: [{ name: 'va-1' }] };
    m.set('GET /va', 'h1', answer);
    expect(m.get('GET /va', 'h1')).toBe(answer);
    expect(m.get('GET /va', 'h2')).toBeUndefined();
    expect(m.get('GET /other', 'h1')).toBeUndefined();
    m.set('GET /va', 'h2', { virtualAccounts: [] });
    expect(m.get('GET /va', 'h1')).toBeUndefined();
  });

  it('stays within its bound', () => {
    const m = new AnswerMemo(2);
    m.set('a', 'h', 1);
    m.set('b', 'h', 2);
    m.set('c', 'h', 3);
    expect(m.get('c', 'h')).toBe(3);
    expect([m.get('a', 'h'), m.get('b', 'h')]).toEqual([undefined, undefined]);
  });
});
