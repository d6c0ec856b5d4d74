/**
 * Reply → Webex: markdown for every message, plus an Adaptive Card (1.3, what Webex renders)
 * when the reply has buttons — confirmations and alert actions. A card press comes back as an
 * attachmentAction whose `inputs` carry the command to run.
 */
import { forChat, type Block, type Reply } from '../commands/reply.ts';
import { clean, textTable } from './text.ts';

/** Webex refuses a message whose text is over 7,439 bytes (its Messages API). */
export const WEBEX_MAX_BYTES = 7439;
/** Table cells longer than this are cut with … (one long name must not widen every row). */
const MAX_CELL = 120;
/** A reply is split into at most this many messages; past that it is cut with a pointer. */
const MAX_MESSAGES = 4;
/** Room kept in each message for the "cut" pointer. */
const POINTER_RESERVE = 400;

function cut(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

function shortRows(rows: readonly (readonly string[])[]): string[][] {
  return rows.map((r) => r.map((c) => cut(c, MAX_CELL)));
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Cuts a string to at most `max` UTF-8 bytes, ending with … when cut. */
function cutBytes(s: string, max: number): string {
  if (bytes(s) <= max) return s;
  let out = '';
  let n = 0;
  for (const ch of s) {
    const b = bytes(ch);
    if (n + b > max - 3) break;
    out += ch;
    n += b;
  }
  return `${out}…`;
}

/** Webex markdown: escape the characters that would start emphasis, links or HTML. */
export function escapeMarkdown(s: string): string {
  return clean(s, true).replace(/([\\*_[\]<>#|~])/g, '\\$1');
}

function md(b: Block): string {
  switch (b.kind) {
    case 'section':
      return escapeMarkdown(b.text);
    case 'context':
      return `_${escapeMarkdown(b.text)}_`;
    case 'fields':
      return b.fields
        .map((f) => `**${escapeMarkdown(f.label)}:** ${escapeMarkdown(f.value)}`)
        .join('  \n');
    case 'table':
      return tablePieces(b, WEBEX_MAX_BYTES - POINTER_RESERVE).join('\n\n');
    case 'buttons':
      return b.buttons
        .map((x) => `- ${escapeMarkdown(x.label)}: \`${x.command.replace(/`/g, "'")}\``)
        .join('\n');
  }
}

export interface WebexCard {
  contentType: 'application/vnd.microsoft.card.adaptive';
  content: Record<string, unknown>;
}

export interface WebexMessage {
  markdown: string;
  attachments?: WebexCard[];
}

function cardBody(r: Reply): Record<string, unknown>[] {
  const body: Record<string, unknown>[] = [
    { type: 'TextBlock', text: clean(r.title), weight: 'Bolder', size: 'Medium', wrap: true },
  ];
  for (const b of r.blocks) {
    if (b.kind === 'section' || b.kind === 'context') {
      body.push({
        type: 'TextBlock',
        text: cutBytes(clean(b.text, true), 4000),
        wrap: true,
        ...(b.kind === 'context' ? { isSubtle: true, size: 'Small' } : {}),
      });
    } else if (b.kind === 'fields') {
      body.push({
        type: 'FactSet',
        facts: b.fields.map((f) => ({ title: clean(f.label), value: clean(f.value) })),
      });
    } else if (b.kind === 'table') {
      body.push({
        type: 'TextBlock',
        text: cutBytes(textTable(b.columns, shortRows(b.rows)), 4000),
        wrap: true,
        fontType: 'Monospace',
      });
    }
  }
  return body;
}

function card(r: Reply): WebexCard[] | undefined {
  const buttons = r.blocks.flatMap((b) => (b.kind === 'buttons' ? b.buttons : []));
  if (buttons.length === 0) return undefined;
  return [
    {
      contentType: 'application/vnd.microsoft.card.adaptive',
      content: {
        type: 'AdaptiveCard',
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        version: '1.3',
        body: cardBody(r),
        actions: [
          ...buttons.map((b) => ({
            type: 'Action.Submit',
            title: clean(b.label),
            ...(b.style === 'danger'
              ? { style: 'destructive' }
              : b.style === 'primary'
                ? { style: 'positive' }
                : {}),
            // A confirm button's press is judged by its ticket (core ConfirmationService):
            // the card's data is the sender's to forge, the ticket is not.
            data: {
              smartlic: 'command',
              command: b.command,
              ...(b.confirm ? { ticket: b.ticket ?? '' } : {}),
            },
          })),
          ...(buttons.some((b) => b.confirm)
            ? [{ type: 'Action.Submit', title: 'Cancel', data: { smartlic: 'cancel' } }]
            : []),
        ],
      },
    },
  ];
}

/** A table as code blocks of whole rows (header repeated), each within `budget` bytes. */
function tablePieces(b: Extract<Block, { kind: 'table' }>, budget: number): string[] {
  const lines = textTable(b.columns, shortRows(b.rows)).replace(/`/g, "'").split('\n');
  const head = lines.slice(0, 2).map((l) => cutBytes(l, budget / 4));
  const out: string[] = [];
  let chunk: string[] = [];
  const fence = (rows: string[]) => `\`\`\`\n${[...head, ...rows].join('\n')}\n\`\`\``;
  for (const raw of lines.slice(2)) {
    const line = cutBytes(raw, budget / 2);
    if (chunk.length > 0 && bytes(fence([...chunk, line])) > budget) {
      out.push(fence(chunk));
      chunk = [];
    }
    chunk.push(line);
  }
  if (chunk.length > 0 || out.length === 0) out.push(fence(chunk));
  if (b.total !== undefined) out.push(`_${b.rows.length} of ${b.total} rows shown_`);
  return out;
}

/** Text over `budget` bytes, cut at line ends (a longer line is itself cut with …). */
function textPieces(text: string, budget: number): string[] {
  if (bytes(text) <= budget) return [text];
  const out: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    const line = cutBytes(raw, budget);
    if (cur !== '' && bytes(`${cur}\n${line}`) > budget) {
      out.push(cur);
      cur = '';
    }
    cur = cur === '' ? line : `${cur}\n${line}`;
  }
  if (cur !== '') out.push(cur);
  return out;
}

export interface WebexRenderOptions {
  /** At most this many messages (1 for an alert or an edit); default 4. */
  maxMessages?: number;
  /** The report site (bot.siteUrl): where a cut answer points. */
  siteUrl?: string;
}

/**
 * Reply → Webex messages, each within Webex's 7,439-byte limit, as the Slack renderer keeps
 * Block Kit's: long cells are cut, a long answer is split into several messages (whole table
 * rows, line ends), and past `maxMessages` it is cut with a pointer to the site or the
 * terminal. An Adaptive Card (buttons) rides on the last message.
 */
export function renderWebexMessages(full: Reply, opts: WebexRenderOptions = {}): WebexMessage[] {
  const budget = WEBEX_MAX_BYTES - POINTER_RESERVE;
  // Chat messages stay readable: long tables show their first rows and the count.
  const r = forChat(full);
  const head =
    r.status === 'error' || r.status === 'denied'
      ? `❌ **${escapeMarkdown(r.title)}**`
      : `**${escapeMarkdown(r.title)}**`;
  const pieces = [
    ...textPieces(head, budget),
    ...r.blocks.flatMap((b) =>
      b.kind === 'table' ? tablePieces(b, budget) : textPieces(md(b), budget),
    ),
  ];
  const messages: string[] = [];
  for (const p of pieces) {
    const last = messages.length - 1;
    if (last >= 0 && bytes(`${messages[last]}\n\n${p}`) <= budget)
      messages[last] = `${messages[last]}\n\n${p}`;
    else messages.push(p);
  }
  const max = Math.max(1, opts.maxMessages ?? MAX_MESSAGES);
  if (messages.length > max) {
    const where = opts.siteUrl
      ? `the report site (${escapeMarkdown(opts.siteUrl)}) or \`smartlic ask\` on a terminal`
      : '`smartlic ask` on a terminal (or the report site)';
    const left = messages.length - max;
    messages.length = max;
    messages[max - 1] =
      `${messages[max - 1]}\n\n_The answer was cut to fit Webex (${left} more message${left === 1 ? '' : 's'}' worth): ${where} shows all of it._`;
  }
  const attachments = card(r);
  return messages.map((markdown, i) =>
    i === messages.length - 1 && attachments ? { markdown, attachments } : { markdown },
  );
}

/** Reply → one Webex message (an alert's post or edit, a file's comment), cut to fit. */
export function renderWebex(
  r: Reply,
  opts: Omit<WebexRenderOptions, 'maxMessages'> = {},
): WebexMessage {
  return renderWebexMessages(r, { ...opts, maxMessages: 1 })[0]!;
}
