/**
 * The chat-neutral answer of every command. Handlers build a Reply; one renderer per platform
 * (bot/render) turns it into Slack Block Kit, Webex markdown / Adaptive Card, or plain text.
 * Text is plain: renderers escape it for their platform, so a value can never inject markup.
 */

export type ReplyStatus = 'ok' | 'error' | 'denied' | 'confirm' | 'pending' | 'usage';

export interface Field {
  label: string;
  value: string;
}

export interface Button {
  label: string;
  /** The command line a press runs, as the person who pressed it (roles are checked again). */
  command: string;
  /** The confirmation ticket a confirm button carries (core ConfirmationService). */
  ticket?: string;
  style?: 'primary' | 'danger';
  /** Ask "are you sure?" on the platform before running (Slack confirm dialog, Webex card). */
  confirm?: { title: string; text: string; yes: string; no: string };
}

export type Block =
  | { kind: 'section'; text: string }
  | { kind: 'fields'; fields: Field[] }
  | {
      kind: 'table';
      columns: string[];
      rows: string[][];
      /** Rows in the read model when more than were shown. */
      total?: number;
    }
  | { kind: 'buttons'; buttons: Button[] }
  | { kind: 'context'; text: string };

export interface ReplyFile {
  name: string;
  mime: string;
  content: Buffer | string;
}

export interface Reply {
  status: ReplyStatus;
  title: string;
  blocks: Block[];
  /** Only the asker should see it (errors, denials, usage, confirmations). */
  ephemeral?: boolean;
  /** A job this reply is about: its id is shown, and a follow-up comes when it ends. */
  jobId?: number;
  file?: ReplyFile;
  /**
   * The answer as typed data (the read model's rows, the job's result): what `--json` prints on
   * every face, so the terminal and `ask` give the same document.
   */
  data?: unknown;
  /** On an error: core's code (`NOT_FOUND`, `INPUT`, a Cisco code), for exit codes and JSON. */
  code?: string;
}

export const section = (text: string): Block => ({ kind: 'section', text });
export const context = (text: string): Block => ({ kind: 'context', text });
export const fields = (f: Record<string, string | number | null | undefined>): Block => ({
  kind: 'fields',
  fields: Object.entries(f)
    .filter(([, v]) => v !== undefined)
    .map(([label, value]) => ({ label, value: value === null ? '—' : String(value) })),
});

/** Chat messages stay readable: longer tables show the first rows and say how many there are. */
export const MAX_TABLE_ROWS = 25;

/**
 * A table with every row; chat renderers show the first MAX_TABLE_ROWS (forChat), the terminal
 * shows them all.
 */
export function table(columns: string[], rows: (string | number | null | undefined)[][]): Block {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  return { kind: 'table', columns, rows: cells };
}

/** The reply as a chat message shows it: long tables cut to their first rows, with the count. */
export function forChat(r: Reply): Reply {
  if (!r.blocks.some((b) => b.kind === 'table' && b.rows.length > MAX_TABLE_ROWS)) return r;
  return {
    ...r,
    blocks: r.blocks.map((b) =>
      b.kind === 'table' && b.rows.length > MAX_TABLE_ROWS
        ? { ...b, rows: b.rows.slice(0, MAX_TABLE_ROWS), total: b.total ?? b.rows.length }
        : b,
    ),
  };
}

export const buttons = (...b: Button[]): Block => ({ kind: 'buttons', buttons: b });

export function ok(title: string, ...blocks: Block[]): Reply {
  return { status: 'ok', title, blocks };
}

export function errorReply(title: string, text: string, action?: string): Reply {
  return {
    status: 'error',
    title,
    blocks: [section(text), ...(action ? [context(action)] : [])],
    ephemeral: true,
  };
}

/** When every row has been trimmed, what the "more rows" line says. */
export function moreRows(shown: number, total: number): string {
  return `${shown} of ${total} rows shown; narrow the question (flags) to see the rest.`;
}
