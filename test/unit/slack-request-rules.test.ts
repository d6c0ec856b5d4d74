// Pure rules of Slack's requests: the timestamp must be within 5 minutes of now, either way;
// the signing secret must not be obviously weak.
// Real: slackTimestampFresh (bot/slack/slack-adapter.ts), loadConfig (core/config.ts).
// Faked: nothing (the time is given).
import { describe, expect, it } from 'vitest';
import { SLACK_MAX_SKEW_S, slackTimestampFresh } from '../../bot/slack/slack-adapter.ts';
import { loadConfig } from '../../core/config.ts';

const now = 1_800_000_000_000;
const at = (skew: number) => String(now / 1000 + skew);

describe('slackTimestampFresh', () => {
  it('accepts up to 5 minutes off either way, and refuses beyond', () => {
    expect(SLACK_MAX_SKEW_S).toBe(300);
    for (const skew of [0, 299, -299, 300, -300])
      expect(slackTimestampFresh(at(skew), now)).toBe(true);
    for (const skew of [301, -301, 400, -400, 86_400])
      expect(slackTimestampFresh(at(skew), now)).toBe(false);
  });

  it('refuses what is not whole seconds; leaves a missing header to Bolt', () => {
    for (const bad of ['', 'abc', '1.8e9', '-1', ' 1800000000', '18000000000000', ['1', '2']])
      expect(slackTimestampFresh(bad, now)).toBe(false);
    expect(slackTimestampFresh(undefined, now)).toBe(true);
  });
});

describe('SLACK_SIGNING_SECRET', () => {
  const load = (secret: string) =>
    loadConfig({ env: { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: secret } });

  it('refuses one under 16 characters, naming the variable and never the value', () => {
    for (const weak of ['Q', 'qwerty42', '0123456789abcde']) {
      let message = '';
      try {
        load(weak);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain('bot.slack.signingSecret (SLACK_SIGNING_SECRET)');
      expect(message).toContain('32 hex characters');
      expect(message).not.toContain(weak);
    }
  });

  it("accepts one of Slack's 32 hex characters", () => {
    expect(
      load('8f742231b10e8888abcd99yyyzzz85a5'.replace(/[yz]/g, 'e')).bot.slack.signingSecret,
    ).toHaveLength(32);
  });
});
