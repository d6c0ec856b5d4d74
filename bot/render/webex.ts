/**
 * Reply → Webex: markdown for every message, plus an Adaptive Card (1.3, what Webex renders)
 * when the reply has buttons — confirmations and alert actions. A card press comes back as an
 * attachmentAction whose `inputs` carry the command to run.
 */
import { forChat, type Block, type Reply } from '../commands/reply.ts';
import { clean, textTable } from './text.ts';

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
    case 'table': {
      // Inside a code block nothing is interpreted, except a fence: break any backtick run.
      const t = textTable(b.columns, b.rows).replace(/`/g, "'");
      return `\`\`\`\n${t}\n\`\`\`${b.total !== undefined ? `\n_${b.rows.length} of ${b.total} rows shown_` : ''}`;
    }
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
        text: clean(b.text, true),
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
        text: textTable(b.columns, b.rows),
        wrap: true,
        fontType: 'Monospace',
      });
    }
  }
  return body;
}

export function renderWebex(full: Reply): WebexMessage {
  // Chat messages stay readable: long tables show their first rows and the count.
  const r = forChat(full);
  const head =
    r.status === 'error' || r.status === 'denied'
      ? `❌ **${escapeMarkdown(r.title)}**`
      : `**${escapeMarkdown(r.title)}**`;
  const markdown = [head, ...r.blocks.map(md)].join('\n\n');
  const buttons = r.blocks.flatMap((b) => (b.kind === 'buttons' ? b.buttons : []));
  if (buttons.length === 0) return { markdown };
  return {
    markdown,
    attachments: [
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
              // A confirm button sent in a card is the confirmation itself: pressing it is the "yes".
              data: { smartlic: 'command', command: b.command, confirmed: b.confirm !== undefined },
            })),
            ...(buttons.some((b) => b.confirm)
              ? [{ type: 'Action.Submit', title: 'Cancel', data: { smartlic: 'cancel' } }]
              : []),
          ],
        },
      },
    ],
  };
}
