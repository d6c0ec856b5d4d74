// Real: the three renderers (bot/render) on fixed Replies. Faked: nothing. Output is compared
// with golden files under test/golden/bot; UPDATE_GOLDEN=1 rewrites them (review the diff).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buttons, context, fields, section, table, type Reply } from '../../bot/commands/reply.ts';
import {
  WEBEX_MAX_BYTES,
  renderSlack,
  renderText,
  renderWebex,
  renderWebexMessages,
} from '../../bot/render/index.ts';

const dir = join(import.meta.dirname, '..', 'golden', 'bot');

function golden(name: string, actual: string): void {
  const file = join(dir, name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  expect(existsSync(file), `${name} is missing: run with UPDATE_GOLDEN=1 once and review it`).toBe(
    true,
  );
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const SAMPLES: Record<string, Reply> = {
  clusters: {
    status: 'ok',
    title: 'Clusters (2 failed)',
    blocks: [
      table(
        ['name', 'customer', 'status', 'authorization'],
        [
          ['cucm-acme-1', 'acme', 'Manual Registration Failed', 'Authorization Expired'],
          ['cuc-<b>evil</b>', 'Bob & Co *bold*', 'Auto Registration Failed', '—'],
        ],
      ),
      context('`cluster <name>` shows one.'),
    ],
  },
  cluster: {
    status: 'ok',
    title: 'Cluster cucm-acme-1',
    blocks: [
      fields({
        customer: 'acme',
        'virtual account': 'acme.com/va-hcs-operational',
        registration: 'Registered',
        'authorization expires': '2026-03-01',
        note: '<!channel> hello\u001b[31m red',
      }),
    ],
  },
  confirm: {
    status: 'confirm',
    title: 'Confirm: deregister cucm-acme-1',
    blocks: [
      section(
        '`deregister cucm-acme-1` deregisters a cluster from smart licensing. This cannot be undone from chat.',
      ),
      buttons({
        label: 'Yes, do it',
        command: 'deregister cucm-acme-1',
        ticket: 'tkt-0123456789abcdefghij',
        style: 'danger',
        confirm: {
          title: 'Are you sure?',
          text: 'Run `deregister cucm-acme-1`?',
          yes: 'Run it',
          no: 'Cancel',
        },
      }),
      context('On the terminal, add --yes.'),
    ],
    ephemeral: true,
  },
  error: {
    status: 'error',
    title: 'register failed',
    blocks: [
      section('CAA1048: registration token invalid or expired'),
      context('sync with CSSM (refreshes tokens)'),
    ],
    ephemeral: true,
  },
  long: {
    status: 'ok',
    title: 'Jobs',
    blocks: [
      table(
        ['id', 'type'],
        Array.from({ length: 40 }, (_, i) => [String(i + 1), 'Sync']),
      ),
    ],
  },
};

describe('renderers against golden files', () => {
  for (const [name, reply] of Object.entries(SAMPLES)) {
    it(`${name}: Slack blocks, Webex markdown/card, plain text`, () => {
      golden(`${name}.slack.json`, `${JSON.stringify(renderSlack(reply), null, 2)}\n`);
      golden(`${name}.webex.json`, `${JSON.stringify(renderWebex(reply), null, 2)}\n`);
      golden(`${name}.txt`, renderText(reply));
    });
  }

  it('escapes markup and control characters on every platform', () => {
    const r = SAMPLES.cluster!;
    const slack = JSON.stringify(renderSlack(r));
    expect(slack).not.toContain('<!channel>');
    expect(slack).toContain('&lt;!channel&gt;');
    expect(renderText(r)).not.toContain('\u001b');
    expect(renderText(r)).toContain('\\x1b');
    expect(renderWebex(r).markdown).toContain('\\<!channel\\>');
  });

  it('a confirmation carries a Slack confirm dialog and a Webex card, each with its ticket', () => {
    const slack = renderSlack(SAMPLES.confirm!);
    const actions = slack.blocks.find((b) => b.type === 'actions') as {
      elements: Record<string, unknown>[];
    };
    expect(actions.elements[0]).toMatchObject({
      value: JSON.stringify({
        ticket: 'tkt-0123456789abcdefghij',
        command: 'deregister cucm-acme-1',
      }),
      style: 'danger',
      confirm: { confirm: { text: 'Run it' } },
    });
    const card = renderWebex(SAMPLES.confirm!).attachments![0]!.content as {
      actions: { data: unknown }[];
    };
    expect(card.actions[0]!.data).toEqual({
      smartlic: 'command',
      command: 'deregister cucm-acme-1',
      ticket: 'tkt-0123456789abcdefghij',
    });
  });

  it('keeps long tables inside one message and says how many rows there were', () => {
    expect(renderText(SAMPLES.long!)).toContain('25 of 40 rows shown');
    expect(renderSlack(SAMPLES.long!).blocks.length).toBeLessThanOrEqual(50);
  });
});

describe('Webex size limit (7,439 bytes a message)', () => {
  const huge: Reply = {
    status: 'ok',
    title: 'Clusters',
    blocks: [
      section(`intro ${'é'.repeat(9000)}`),
      {
        kind: 'table',
        columns: ['name', 'customer'],
        rows: Array.from({ length: 400 }, (_, i) => [`cucm-${i}-${'x'.repeat(5000)}`, 'acme']),
      },
      // More than four messages' worth after the table: the answer must be cut with a pointer.
      ...Array.from({ length: 3 }, (_, i) => section(`part ${i} ${'y'.repeat(7000)}`)),
      buttons({ label: 'Show', command: 'clusters --failed' }),
    ],
  };
  const size = (m: { markdown: string }) => Buffer.byteLength(m.markdown);

  it('splits into messages that each fit, cuts long cells, and says where the rest is', () => {
    const ms = renderWebexMessages(huge, { siteUrl: 'https://lic.example.com/' });
    expect(ms.length).toBe(4);
    for (const m of ms) expect(size(m)).toBeLessThanOrEqual(WEBEX_MAX_BYTES);
    // The 18 KB line is cut; the table goes on in whole rows, its header on each part.
    expect(ms[1]!.markdown).toMatch(/^intro é+…$/);
    expect(ms[2]!.markdown).toMatch(/^```\nname/);
    expect(ms[2]!.markdown).toContain('x…');
    // A chat answer shows a long table's first rows and the count (forChat), then the rest.
    expect(ms[2]!.markdown).toContain('25 of 400 rows shown');
    expect(ms[3]!.markdown).toContain('cut to fit Webex');
    expect(ms[3]!.markdown).toContain('https://lic.example.com/');
    // The card (buttons) rides on the last message only.
    expect(ms.slice(0, 3).every((m) => m.attachments === undefined)).toBe(true);
    expect(ms[3]!.attachments).toHaveLength(1);
  });

  it('one message where only one can go (alerts, edits), within the limit', () => {
    const one = renderWebex(huge);
    expect(size(one)).toBeLessThanOrEqual(WEBEX_MAX_BYTES);
    expect(one.markdown).toContain('`smartlic ask` on a terminal');
  });
});
