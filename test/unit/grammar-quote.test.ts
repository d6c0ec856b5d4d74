// Real: bot/commands/grammar.ts (quoteWord, tokenize). Faked: nothing; pure functions.
// Covers: a command smartlic builds from a name (an alert's buttons in bot/notify/notifier.ts)
// reads back as that one name, whatever spaces or quotes the name holds.
import { describe, expect, it } from 'vitest';
import { quoteWord, tokenize } from '../../bot/commands/grammar.ts';

describe('quoteWord', () => {
  it.each([
    'globex-cucm-01',
    'acme cucm 01',
    'tab\there',
    'say "hi"',
    "o'brien cucm",
    'smart “quotes”',
    '',
  ])('%j reads back as one word', (name) => {
    expect(tokenize(`cluster ${quoteWord(name)}`)).toEqual(['cluster', name]);
  });

  it('leaves a plain name as it is', () => {
    expect(quoteWord('va-globex')).toBe('va-globex');
  });
});
