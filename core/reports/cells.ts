/**
 * Spreadsheet safety: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
 * return is read as a formula by Excel and LibreOffice (CSV injection). Such cells get a
 * leading apostrophe, which spreadsheets show as plain text. Numbers are written as numbers
 * and need no guard.
 */
import { escapeControl } from '../text.ts';

export type Cell = string | number | null;

const FORMULA_START = /^[=+\-@\t\r]/;

export function neutralizeCell(v: string): string {
  return FORMULA_START.test(v) ? `'${v}` : v;
}

/** One CSV field (RFC 4180 quoting), neutralised when text. */
export function csvField(v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  // Control characters shown, not kept (a line break inside a quoted field is CSV's own).
  const s = neutralizeCell(escapeControl(v, { keepLines: true }));
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text with CRLF line ends (RFC 4180). */
export function toCsv(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [headers, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/**
 * An .xlsx workbook with one sheet, written by exceljs's streaming writer (the in-memory
 * workbook costs seconds at tens of thousands of rows); text cells neutralised.
 */
export async function toXlsx(
  sheet: string,
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  /** The workbook's created/modified stamp: the caller's clock (exceljs would take the wall's). */
  at?: Date,
): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const { PassThrough } = await import('node:stream');
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: sink,
    useStyles: true,
    useSharedStrings: false,
    ...(at ? { created: at, modified: at } : {}),
  });
  wb.creator = 'smartlic';
  const widths = headers.map((h, i) =>
    Math.min(
      60,
      Math.max(h.length, ...rows.slice(0, 500).map((r) => String(r[i] ?? '').length)) + 2,
    ),
  );
  const ws = wb.addWorksheet(sheet, {});
  ws.columns = headers.map((_, i) => ({ width: widths[i]! }));
  const head = ws.addRow(headers.map(neutralizeCell));
  head.font = { bold: true };
  head.commit();
  for (const r of rows) {
    ws.addRow(r.map((v) => (typeof v === 'string' ? neutralizeCell(v) : v))).commit();
  }
  ws.commit();
  await wb.commit();
  return Buffer.concat(chunks);
}
