// Real: bin/smartlic.ts main() (`report inventory` to stdout and --out, `report hlm --format
// csv`, `ask "report inventory"`) over a lab built through the real CLI (emulator on loopback,
// SQLite temp file; test/integration/cli-globex-lab.ts); site/lib/data.ts loadSiteData over the
// same file. The hostile customer name is written with the real database, as a sync or an
// operator's import would store it. Faked: stdin/stdout/stderr are in-memory streams (issue 20).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import { openDatabase } from '../../core/store/index.ts';
import { loadSiteData } from '../../site/lib/data.ts';
import { globexLab, type GlobexLab } from './cli-globex-lab.ts';

const HOSTILE = 'Stark \u001b[2J\u001b]0;pwned\u0007\u0000\u009b';
const SHOWN = 'Stark \\x1b[2J\\x1b]0;pwned\\x07\\0\\x9b';
// Any C0 control but line ends and tabs, DEL or C1: none may reach a terminal or a file.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

let lab: GlobexLab;

beforeAll(async () => {
  lab = await globexLab('smartlic-escape-');
  const h = openDatabase({ path: lab.env.SMARTLIC_DB! });
  try {
    await sql`UPDATE customers SET name = ${HOSTILE} WHERE name = 'Globex'`.execute(h.db);
  } finally {
    await h.close();
  }
}, 60_000);
afterAll(async () => lab?.close());

describe('a name with terminal escapes is shown, never obeyed', () => {
  it('report inventory on stdout', async () => {
    const r = await lab.run(['report', 'inventory']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(SHOWN);
    expect(r.out).not.toMatch(RAW);
  });

  it('report inventory --out FILE, and the HLM CSV', async () => {
    const file = join(lab.dir, 'si.txt');
    expect((await lab.run(['report', 'inventory', '--out', file])).code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(SHOWN);
    expect(text).not.toMatch(RAW);
    const csv = await lab.run(['report', 'hlm', '--customer', '--format', 'csv']);
    expect(csv.code, csv.err).toBe(0);
    expect(csv.out).toContain(SHOWN);
    expect(csv.out.replace(/\r\n/g, '\n')).not.toMatch(RAW);
  });

  it('ask "report inventory" (the chat layer on the terminal, file printed after its reply)', async () => {
    const r = await lab.run(['ask', 'report inventory']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(SHOWN);
    expect(r.out).not.toMatch(RAW);
  });

  it("the site's data (pages and their CSV downloads) carries the name escaped", async () => {
    const h = openDatabase({ path: lab.env.SMARTLIC_DB! });
    try {
      const { data } = await loadSiteData(h.db, new TestClock(lab.emu.ready.now));
      const json = JSON.stringify(data);
      // JSON writes a raw ESC as \u001b: none may be left, the escaped form must be there.
      expect(json).not.toMatch(/\\u00(0[0-8]|0b|0c|0e|0f|1[0-9a-f]|7f|8[0-9a-f]|9[0-9a-f])/);
      expect(json).toContain(JSON.stringify(SHOWN).slice(1, -1));
    } finally {
      await h.close();
    }
  });
});
