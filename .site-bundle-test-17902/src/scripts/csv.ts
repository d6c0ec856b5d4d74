/**
 * CSV text (RFC 4180) for a spreadsheet: a text cell that starts with = + - @, a tab or a
 * carriage return is prefixed with ' so that a spreadsheet shows it instead of running it.
 * Plain numbers stay numbers.
 */
const NUMBER = /^-?\d+(\.\d+)?$/;

export function neutralise(v: string): string {
  if (NUMBER.test(v)) return v;
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

export function csvLine(cells: readonly string[]): string {
  return cells
    .map((c) => {
      const v = neutralise(c);
      return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
    })
    .join(',');
}

export function toCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [csvLine(header), ...rows.map(csvLine)].join('\r\n') + '\r\n';
}
