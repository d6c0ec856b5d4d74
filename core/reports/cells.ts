/**
 * Spreadsheet safety: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
 * return is read as a formula by Excel and LibreOffice (CSV injection). Such cells get a
 * leading apostrophe, which spreadsheets show as plain text. Numbers are written as numbers
 * and need no guard.
 */
export type Cell = string | number | null;

const FORMULA_START = /^[=+\-@\t\r]/;

export function neutralizeCell(v: string): string {
  return FORMULA_START.test(v) ? `'${v}` : v;
}

/** One CSV field (RFC 4180 quoting), neutralised when text. */
export function csvField(v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  const s = neutralizeCell(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text with CRLF line ends (RFC 4180). */
export function toCsv(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [headers, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** An .xlsx workbook with one sheet, written by exceljs; text cells neutralised. */
export async function toXlsx(
  sheet: string,
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'smartlic';
  const ws = wb.addWorksheet(sheet);
  ws.addRow(headers.map(neutralizeCell));
  ws.getRow(1).font = { bold: true };
  for (const r of rows) {
    ws.addRow(r.map((v) => (typeof v === 'string' ? neutralizeCell(v) : v)));
  }
  headers.forEach((h, i) => {
    const width = Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length));
    ws.getColumn(i + 1).width = Math.min(60, width + 2);
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}
