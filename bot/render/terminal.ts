/**
 * Reply → text as a terminal shows it: tables fitted to the terminal's width (100 columns in a
 * pipe, in full with --wide), the first (name) column never shortened, long text folded at
 * spaces, control characters escaped. What a narrow table left out comes back as notes for
 * stderr. `smartlic <verb>` (bin/cli/terminal.ts) prints these.
 */
import { escapeControl } from '../../core/index.ts';
import type { Block, Reply } from '../commands/reply.ts';
import { renderTable } from './table.ts';

export interface TerminalRender {
  text: string;
  /** What a narrow table left out, for a note on stderr. */
  notes: string[];
}

/** A Reply as a terminal shows it; `width` Infinity for --wide. */
export function renderTerminal(r: Reply, width: number): TerminalRender {
  const notes: string[] = [];
  const head = r.status === 'error' || r.status === 'denied' ? `✗ ${r.title}` : r.title;
  const parts = [wrap(escapeControl(head), width, 0)];
  for (const b of r.blocks) parts.push(blockText(b, width, notes));
  return { text: `${parts.join('\n\n')}\n`, notes };
}

/** Headers of columns that name a thing (the registry's tables use these words). */
const NAME_COLUMNS =
  /^(name|domain|cluster|customer|virtual account|smart account|va|license|id|entity|alert|token|LM Name|License Type)$/i;

/** Headers of the columns an operator scans for: kept when others are left out. */
const KEY_COLUMNS =
  /^(status|authorization|days left|compliance|short|forecast|owned|in use|count|severity|outcome|missing in CSSM since|expires|export control)$/i;

/** Headers of free-text columns: shortened first when a table is too wide. */
const FREE_TEXT =
  /^(information|recommended action|description|message|needs attention|detail|why|what to do|alerts|title|borrowing|status information)$/i;

/** Folds `text` at spaces to lines of at most `width`, continuation lines indented. */
export function wrap(text: string, width: number, indent: number): string {
  if (!Number.isFinite(width) || text.length <= width || width < 20) return text;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** Escapes each line's control characters, keeping the line breaks. */
export function escapeLines(s: string): string {
  return s
    .split('\n')
    .map((l) => escapeControl(l))
    .join('\n');
}

function blockText(b: Block, width: number, notes: string[]): string {
  switch (b.kind) {
    case 'section':
    case 'context':
      return escapeLines(b.text)
        .split('\n')
        .map((l) => wrap(l, width, 0))
        .join('\n');
    case 'fields': {
      const w = Math.max(...b.fields.map((f) => f.label.length));
      return b.fields
        .map(
          (f) =>
            `${escapeControl(f.label).padEnd(w)}  ${wrap(escapeControl(f.value), width - w - 2, w + 2)}`,
        )
        .join('\n');
    }
    case 'table': {
      // The row's name (the first column) is never shortened: a cut name cannot be copied into
      // the next command. Other names give way last, free text first.
      const natural = (i: number) =>
        Math.max(b.columns[i]!.length, ...b.rows.map((r) => escapeControl(r[i] ?? '').length));
      const t = renderTable(
        b.columns.map((c, i) =>
          i === 0
            ? { header: c, min: natural(i) }
            : NAME_COLUMNS.test(c)
              ? { header: c, min: Math.min(natural(i), 24) }
              : FREE_TEXT.test(c)
                ? { header: c, shrink: true }
                : KEY_COLUMNS.test(c)
                  ? { header: c }
                  : { header: c, optional: true },
        ),
        b.rows,
        { width },
      );
      if (t.hidden.length > 0) notes.push(`columns not shown: ${t.hidden.join(', ')}`);
      if (t.truncated) notes.push('long values shortened with …');
      return t.text.replace(/\n$/, '');
    }
    case 'buttons':
      return b.buttons
        .map((x) => `[${escapeControl(x.label)}] → smartlic ${escapeControl(x.command)}`)
        .join('\n');
  }
}
