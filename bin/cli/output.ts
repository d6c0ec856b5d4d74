/**
 * How the CLI prints: results on stdout (text, or JSON with --json), progress and warnings on
 * stderr as text, tables that fit the terminal (100 columns when stdout is not a terminal;
 * --wide shows everything), and every control character from a name escaped so that a name
 * can neither drive the terminal nor forge a table row.
 */
import type { Writable } from 'node:stream';
import { escapeControl as coreEscape } from '../../core/index.ts';
import type { CliContext } from './types.ts';

// The table renderer is the bot's (bot/render/table.ts): process verbs print their tables with
// the very fitting rules of the registry's replies.
import { renderTable, type Column } from '../../bot/index.ts';

export { renderTable, type Column };

/**
 * Shows control characters escaped: the one rule (core/text.ts) of the CLI's tables, its text
 * on stdout and the chat renderers. One argument, so that it can be passed to `map`.
 */
export function escapeControl(s: string): string {
  return coreEscape(s);
}

/** `1 token`, `2 tokens`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** A time in UTC with its zone named: `2026-11-28 12:00 UTC`. */
export function when(d: Date | null | undefined): string {
  return d ? `${d.toISOString().replace('T', ' ').slice(0, 16)} UTC` : '';
}

/**
 * One line on stderr that redraws on a terminal (a progress bar) and that other stderr text
 * (warnings, log lines) clears first and redraws after, so neither overwrites the other.
 */
export class StatusLine {
  private current = '';
  constructor(
    private readonly err: Writable,
    private readonly tty: boolean,
  ) {}

  get isTty(): boolean {
    return this.tty;
  }

  set(line: string): void {
    if (!this.tty) return;
    this.current = line;
    this.err.write(`\r\x1b[2K${line}`);
  }

  clear(): void {
    if (this.current) this.err.write('\r\x1b[2K');
    this.current = '';
  }

  /** Writes whole lines to stderr without breaking the status line. */
  write(text: string): void {
    if (this.current) this.err.write('\r\x1b[2K');
    this.err.write(text.endsWith('\n') ? text : `${text}\n`);
    if (this.current) this.err.write(this.current);
  }
}

export interface Output {
  /** --json was given: results are one JSON document on stdout. */
  json: boolean;
  wide: boolean;
  /** Table width: the terminal's, 100 when stdout is not a terminal, Infinity with --wide. */
  width: number;
  /** Text on stdout (a newline is added when missing). */
  print(text: string): void;
  /** A JSON document on stdout. */
  data(value: unknown): void;
  /** A fitted table on stdout; says on stderr what was hidden or shortened. */
  table(columns: readonly (string | Column)[], rows: readonly (readonly string[])[]): void;
  /** A warning on stderr as text. */
  warn(text: string): void;
  /** A note on stderr (progress, what was done), text. */
  note(text: string): void;
  status: StatusLine;
}

const statusLines = new WeakMap<Writable, StatusLine>();

export function statusLineFor(ctx: CliContext): StatusLine {
  let s = statusLines.get(ctx.io.stderr);
  if (!s) {
    s = new StatusLine(ctx.io.stderr, ctx.io.isTty);
    statusLines.set(ctx.io.stderr, s);
  }
  return s;
}

export function createOutput(ctx: CliContext, flags: { json?: boolean; wide?: boolean }): Output {
  const json = flags.json === true;
  const wide = flags.wide === true;
  const width = wide ? Infinity : ctx.io.isTty ? (ctx.io.columns ?? 100) : 100;
  const status = statusLineFor(ctx);
  // The sink: whatever a verb prints, a name's control characters are shown, not obeyed.
  const print = (text: string) => {
    const safe = coreEscape(text, { keepLines: true });
    ctx.io.stdout.write(safe.endsWith('\n') ? safe : `${safe}\n`);
  };
  return {
    json,
    wide,
    width,
    status,
    print,
    data: (value) => print(JSON.stringify(value, null, 2)),
    table(columns, rows) {
      const t = renderTable(columns, rows, { width });
      print(t.text);
      if (t.hidden.length > 0 || t.truncated) {
        const parts: string[] = [];
        if (t.hidden.length > 0) parts.push(`columns not shown: ${t.hidden.join(', ')}`);
        if (t.truncated) parts.push('long values shortened with …');
        status.write(`(${parts.join('; ')}; --wide shows everything, --json all fields)`);
      }
    },
    warn: (text) => status.write(`warning: ${text}`),
    note: (text) => status.write(text),
  };
}
