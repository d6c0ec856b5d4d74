/**
 * Reply → plain text (terminal, and the monospace parts of chat messages). Control characters
 * in values (terminal escapes, NUL, newlines inside a cell) are shown escaped, never obeyed.
 */
import { escapeControl } from '../../core/index.ts';
import { forChat, type Block, type Reply } from '../commands/reply.ts';

/**
 * The one escaping rule (core's `escapeControl`): every text renderer and every terminal or
 * file sink calls it, so a name's control characters are shown wherever the text comes from.
 */
export { escapeControl };

/** Escapes control characters; `multiline` keeps line breaks (section text). */
export function clean(s: string, multiline = false): string {
  return escapeControl(s, { keepLines: multiline });
}

/** Aligned columns with a header rule; the last column is not padded. */
export function textTable(
  columns: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const all = [columns, ...rows].map((r) => r.map((c) => clean(c)));
  const widths = columns.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length)))
      .join('  ')
      .trimEnd();
  return [line(all[0]!), line(widths.map((w) => '-'.repeat(w))), ...all.slice(1).map(line)].join(
    '\n',
  );
}

export function blockText(b: Block): string {
  switch (b.kind) {
    case 'section':
      return clean(b.text, true);
    case 'context':
      return clean(b.text, true);
    case 'fields': {
      const w = Math.max(...b.fields.map((f) => f.label.length));
      return b.fields.map((f) => `${clean(f.label).padEnd(w)}  ${clean(f.value)}`).join('\n');
    }
    case 'table':
      return (
        textTable(b.columns, b.rows) +
        (b.total !== undefined ? `\n(${b.rows.length} of ${b.total} rows shown)` : '')
      );
    case 'buttons':
      return b.buttons.map((x) => `[${clean(x.label)}] → ${clean(x.command)}`).join('\n');
  }
}

export function renderText(full: Reply): string {
  // Chat messages stay readable: long tables show their first rows and the count.
  const r = forChat(full);
  const head = r.status === 'error' || r.status === 'denied' ? `✗ ${r.title}` : r.title;
  const parts = [clean(head), ...r.blocks.map(blockText)];
  if (r.file) parts.push(`(file ${r.file.name}, ${r.file.content.length} bytes)`);
  return `${parts.join('\n\n')}\n`;
}
