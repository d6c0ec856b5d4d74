// `smartlic bot` beside an elected `smartlic serve` (issue 24): the bot answers chat but never
// leads, says so, and its /healthz and /metrics name the instance that leads and since when.
// Real: a `smartlic serve` and a `smartlic bot` process on one SQLite file with
// leader.election=lease, each with the Slack adapter through Bolt and its own HTTP listener on
// 127.0.0.1; /healthz and /metrics over HTTP.
// Faked: Slack's Web API (test/fakes/fake-slack.ts). No CSSM is needed: nothing is synced.
// Covers bin/cli/host.ts (createLeadership for bot, the leader block of health and metrics),
// bin/cli/chat.ts (bot), core/services/leadership.ts (FollowerLeadership), bin/cli/metrics.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeSlack } from '../fakes/fake-slack.ts';
import { smartlic, type Proc } from './proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-bot-follower-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Health {
  leader?: {
    instance: string;
    election: string;
    leader: boolean;
    since: string | null;
    current: { instance: string; epoch: number; since: string } | null;
  };
}

describe('smartlic bot beside an elected serve', () => {
  it('the bot does not lead and says alerts are the leader work; its /healthz and /metrics name the leader', async () => {
    const slack = await startFakeSlack();
    const procs: Proc[] = [];
    try {
      const env = (id: string) => ({
        SMARTLIC_DB: join(dir, 'shared.db'),
        SMARTLIC_HTTP_PORT: '0',
        SMARTLIC_LEADER_ELECTION: 'lease',
        SMARTLIC_INSTANCE_ID: id,
        SMARTLIC_EMULATOR: 'false',
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_SIGNING_SECRET: slack.signingSecret,
        SLACK_API_URL: slack.apiUrl,
      });
      const serve = smartlic(['serve'], env('alpha'));
      procs.push(serve);
      const ready = JSON.parse(await serve.line(/^\{"ready":true/)) as { leader: boolean };
      expect(ready.leader).toBe(true);

      const bot = smartlic(['bot'], env('botty'));
      procs.push(bot);
      const url = /listening on (http:\/\/\S+)/.exec(await bot.line(/^listening on /))![1]!;
      await bot.line(/^alerts: delivered by the elected leader \(leader.election lease\)/);

      const h = (await (await fetch(`${url}/healthz`)).json()) as Health;
      expect(h.leader).toMatchObject({
        instance: 'botty',
        election: 'lease',
        leader: false,
        since: null,
        current: { instance: 'alpha', epoch: expect.any(Number) as unknown },
      });
      expect(Number.isNaN(Date.parse(h.leader!.current!.since))).toBe(false);

      const m = await (await fetch(`${url}/metrics`)).text();
      expect(m).toContain('smartlic_leader{instance="botty"} 0');
      expect(m).toContain('smartlic_leader_current{instance="alpha"} 1');
      expect(m).toMatch(/smartlic_leader_since_seconds \d/);
    } finally {
      for (const p of procs) p.child.kill('SIGTERM');
      await Promise.all(procs.map((p) => p.exited));
      await slack.close().catch(() => undefined);
    }
  }, 180_000);
});
