/**
 * A plain-text table fitted to a width: the terminal's (bot/render/terminal.ts) and the process
 * verbs' tables (bin/cli/output.ts). Cells are escaped (core's `escapeControl`), so a name can
 * neither drive the terminal nor forge a row.
 */
import { escapeControl } from '../../core/index.ts';

export interface Column {
  header: string;
  /** Left out when the table does not fit; --wide brings it back. */
  optional?: boolean;
  /** Among optional columns, lower goes first (default: from the right). */
  dropOrder?: number;
  /** Never shortened below this (default: the header, at most 12). */
  min?: number;
  /** Free text (descriptions, messages): shortened before the identifying columns. */
  shrink?: boolean;
}

export interface TableOptions {
  /** Total width available; Infinity for --wide. */
  width: number;
}

export interface RenderedTable {
  text: string;
  hidden: string[];
  truncated: boolean;
}

function cut(s: string, w: number): string {
  if (s.length <= w) return s;
  return w <= 1 ? s.slice(0, w) : `${s.slice(0, w - 1)}…`;
}

/** A plain-text table (header, rule, rows) fitted to `width`. Cells are escaped. */
export function renderTable(
  columns: readonly (string | Column)[],
  rows: readonly (readonly string[])[],
  opts: TableOptions = { width: Infinity },
): RenderedTable {
  const cols = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  const cells = rows.map((r) => cols.map((_, i) => escapeControl(r[i] ?? '')));
  let keep = cols.map((_, i) => i);
  const natural = cols.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const minOf = (i: number) =>
    Math.min(natural[i]!, cols[i]!.min ?? Math.min(cols[i]!.header.length, 12));
  const total = (idx: number[], w: (i: number) => number) =>
    idx.reduce((s, i) => s + w(i), 0) + 2 * Math.max(0, idx.length - 1);
  const hidden: string[] = [];
  const widths = new Map(keep.map((i) => [i, natural[i]!]));
  const current = () => total(keep, (i) => widths.get(i)!);
  let truncated = false;
  const shrink = (eligible: (i: number) => boolean) => {
    while (current() > opts.width) {
      let widest = -1;
      for (const i of keep) {
        if (!eligible(i) || widths.get(i)! <= minOf(i)) continue;
        if (widest < 0 || widths.get(i)! > widths.get(widest)!) widest = i;
      }
      if (widest < 0) return;
      widths.set(widest, widths.get(widest)! - 1);
      truncated = true;
    }
  };
  // 1. free text shortens; 2. optional columns go, from the right; 3. anything shortens.
  shrink((i) => cols[i]!.shrink === true);
  while (current() > opts.width) {
    const candidates = [...keep].reverse().filter((i) => cols[i]!.optional);
    if (candidates.length === 0) break;
    const rank = (i: number) => cols[i]!.dropOrder ?? Infinity;
    const drop = candidates.reduce((a, b) => (rank(b) < rank(a) ? b : a));
    keep = keep.filter((i) => i !== drop);
    hidden.unshift(cols[drop]!.header);
  }
  shrink(() => true);
  // Give back what dropping columns freed to the columns shortened in step 1.
  let grown = true;
  while (grown && current() < opts.width) {
    grown = false;
    for (const i of keep) {
      if (current() >= opts.width) break;
      if (widths.get(i)! < natural[i]!) {
        widths.set(i, widths.get(i)! + 1);
        grown = true;
      }
    }
  }
  truncated = keep.some((i) => widths.get(i)! < natural[i]!);
  const line = (vals: readonly string[]) =>
    keep
      .map((i, k) => {
        const w = widths.get(i)!;
        const v = cut(vals[i] ?? '', w);
        return k === keep.length - 1 ? v : v.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  const text = [
    line(cols.map((c) => c.header)),
    line(cols.map((_, i) => '-'.repeat(widths.get(i) ?? 0))),
    ...cells.map(line),
  ].join('\n');
  return { text: `${text}\n`, hidden, truncated };
}
