/**
 * Reply → Slack Block Kit. Text goes out as mrkdwn with `&`, `<`, `>` escaped (so a value can
 * neither mention @channel nor forge a link); tables become monospace sections, since Block
 * Kit has no table block for messages. Slack's limits are kept: 50 blocks, 3000 characters
 * per text, 10 fields per section, 25 elements per actions block, 2000 characters per value.
 */
import { forChat, type Block, type Button, type Reply } from '../commands/reply.ts';
import { clean, textTable } from './text.ts';

export type SlackBlock = Record<string, unknown>;

export const ACTION_PREFIX = 'smartlic_cmd_';
/** A button behind a confirm dialog: its press is the confirmation. */
export const CONFIRM_PREFIX = 'smartlic_confirm_';

export function escapeMrkdwn(s: string): string {
  return clean(s, true).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const plain = (text: string, max = 150): { type: 'plain_text'; text: string } => ({
  type: 'plain_text',
  text: truncate(clean(text), max),
});

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Splits long monospace text into code sections of at most ~2900 characters, on line ends. */
function codeSections(text: string): SlackBlock[] {
  const out: SlackBlock[] = [];
  let chunk: string[] = [];
  let size = 0;
  const flush = () => {
    if (chunk.length === 0) return;
    out.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `\`\`\`${chunk.join('\n')}\`\`\`` },
    });
    chunk = [];
    size = 0;
  };
  for (const line of escapeMrkdwn(text).split('\n')) {
    if (size + line.length + 1 > 2900) flush();
    chunk.push(truncate(line, 2900));
    size += line.length + 1;
  }
  flush();
  return out;
}

/**
 * A confirm button's value: its ticket and the line. The press is judged by the ticket
 * (core ConfirmationService), never by the button's kind, so a forged value runs nothing.
 */
export function confirmValue(ticket: string, command: string): string {
  return JSON.stringify({ ticket, command });
}

/** The ticket and line of a confirm press; a value that is not one carries no ticket (''). */
export function parseConfirmValue(value: string): { ticket: string; command: string } {
  try {
    const v = JSON.parse(value) as unknown;
    if (
      typeof v === 'object' &&
      v !== null &&
      typeof (v as { ticket?: unknown }).ticket === 'string' &&
      typeof (v as { command?: unknown }).command === 'string'
    ) {
      return {
        ticket: (v as { ticket: string }).ticket,
        command: (v as { command: string }).command,
      };
    }
  } catch {
    /* not JSON: a bare line, which no ticket confirms */
  }
  return { ticket: '', command: value };
}

function button(b: Button, i: number): SlackBlock {
  return {
    type: 'button',
    action_id: `${b.confirm ? CONFIRM_PREFIX : ACTION_PREFIX}${i}`,
    text: plain(b.label, 75),
    value: b.confirm && b.ticket ? confirmValue(b.ticket, b.command) : truncate(b.command, 2000),
    ...(b.style ? { style: b.style } : {}),
    ...(b.confirm
      ? {
          confirm: {
            title: plain(b.confirm.title, 100),
            text: { type: 'mrkdwn', text: truncate(escapeMrkdwn(b.confirm.text), 300) },
            confirm: plain(b.confirm.yes, 30),
            deny: plain(b.confirm.no, 30),
            ...(b.style === 'danger' ? { style: 'danger' } : {}),
          },
        }
      : {}),
  };
}

function blocks(b: Block, offset: { n: number }): SlackBlock[] {
  switch (b.kind) {
    case 'section':
      return [
        { type: 'section', text: { type: 'mrkdwn', text: truncate(escapeMrkdwn(b.text), 3000) } },
      ];
    case 'context':
      return [
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: truncate(escapeMrkdwn(b.text), 3000) }],
        },
      ];
    case 'fields': {
      const out: SlackBlock[] = [];
      for (let i = 0; i < b.fields.length; i += 10) {
        out.push({
          type: 'section',
          fields: b.fields.slice(i, i + 10).map((f) => ({
            type: 'mrkdwn',
            text: truncate(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, 2000),
          })),
        });
      }
      return out;
    }
    case 'table': {
      const out = codeSections(textTable(b.columns, b.rows));
      if (b.total !== undefined) {
        out.push({
          type: 'context',
          elements: [{ type: 'mrkdwn', text: `${b.rows.length} of ${b.total} rows shown` }],
        });
      }
      return out;
    }
    case 'buttons': {
      const start = offset.n;
      offset.n += b.buttons.length;
      return [
        { type: 'actions', elements: b.buttons.slice(0, 25).map((x, i) => button(x, start + i)) },
      ];
    }
  }
}

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export function renderSlack(full: Reply): SlackMessage {
  // Chat messages stay readable: long tables show their first rows and the count.
  const r = forChat(full);
  const icon =
    r.status === 'error' || r.status === 'denied'
      ? ':x: '
      : r.status === 'pending'
        ? ':hourglass_flowing_sand: '
        : r.status === 'confirm'
          ? ':warning: '
          : '';
  const offset = { n: 0 };
  const body = r.blocks.flatMap((b) => blocks(b, offset));
  const all: SlackBlock[] = [{ type: 'header', text: { ...plain(r.title), emoji: true } }, ...body];
  if (all.length > 50) {
    all.length = 49;
    all.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'The answer was cut to fit one message.' }],
    });
  }
  // The notification text is mrkdwn too: escaped like the blocks (no <!here> from a name).
  return { text: truncate(`${icon}${escapeMrkdwn(r.title)}`, 3000), blocks: all };
}
