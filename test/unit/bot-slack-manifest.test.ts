// Real: the Slack app manifest shipped in bot/slack/manifest.yaml and the config defaults.
// Faked: nothing. Checks that the manifest creates what the adapter needs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../core/config.ts';

const manifest = parse(
  readFileSync(join(import.meta.dirname, '../../bot/slack/manifest.yaml'), 'utf8'),
);

describe('Slack app manifest', () => {
  it('creates the slash command the adapter listens for, at /slack/events', () => {
    const cmd = manifest.features.slash_commands[0];
    expect(cmd.command).toBe(loadConfig({ env: {} }).bot.slack.command);
    expect(new URL(cmd.url).pathname).toBe('/slack/events');
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe('/slack/events');
    expect(new URL(manifest.settings.event_subscriptions.request_url).pathname).toBe(
      '/slack/events',
    );
  });

  it('asks for the scopes the adapter and alert delivery use, and the App Home tab', () => {
    expect(manifest.oauth_config.scopes.bot).toEqual(
      expect.arrayContaining(['commands', 'chat:write', 'files:write']),
    );
    expect(manifest.settings.event_subscriptions.bot_events).toContain('app_home_opened');
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
  });
});

describe('chat adapter settings', () => {
  it('names what is missing when the Slack adapter is half set', () => {
    expect(() => loadConfig({ env: { SLACK_BOT_TOKEN: 'xoxb-1' } })).toThrow(
      /SLACK_SIGNING_SECRET/,
    );
    expect(() => loadConfig({ env: { SLACK_SIGNING_SECRET: 'abc' } })).toThrow(/SLACK_BOT_TOKEN/);
    expect(
      loadConfig({ env: { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' } }).bot.slack
        .appToken,
    ).toBe('xapp-1');
  });

  it('names what is missing when the Webex adapter is half set', () => {
    expect(() => loadConfig({ env: { WEBEX_BOT_TOKEN: 't' } })).toThrow(
      /WEBEX_WEBHOOK_URL, WEBEX_WEBHOOK_SECRET missing/,
    );
  });

  it('never shows the chat secrets in a config error', () => {
    try {
      loadConfig({ env: { SLACK_BOT_TOKEN: 'xoxb-very-secret', SMARTLIC_HTTP_PORT: 'x' } });
      expect.unreachable();
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('xoxb-very-secret');
    }
  });
});
