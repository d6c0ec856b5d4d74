// Real: bin/smartlic.ts main() with the read verbs (status, va list, usage, cluster list/show,
// report hlm/inventory, forecast, whatif) over SQLite in a temp file filled by the real account,
// cluster and sync verbs against the emulator (demo scenario, frozen clock) on loopback. Faked:
// stdin/stdout/stderr are in-memory streams; no TTY (one test says it is a 72-column TTY).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/smartlic.ts';
import { HCS, globexLab, type GlobexLab } from './cli-globex-lab.ts';

let lab: GlobexLab;
let dir: string;
let env: NodeJS.ProcessEnv;
const run = (argv: string[], stdin = '') => lab.run(argv, stdin);

beforeAll(async () => {
  lab = await globexLab('smartlic-cli-read-');
  ({ dir, env } = lab);
}, 60_000);

afterAll(() => lab.close());

const widest = (text: string) => Math.max(...text.split('\n').map((l) => l.length));

describe('read verbs', () => {
  it('va list and usage show the globex shortage', async () => {
    const list = await run(['va', 'list', '--wide']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(
      new RegExp(
        `${HCS}/va-globex\\s+Nimbus Voice HCS\\s+FULL\\s+1\\s+1\\s+HCS\\s+—\\s+Out of Compliance: short 70 \\(HCS UCM Standard\\)`,
      ),
    );
    const u = await run(['usage', `${HCS}/va-globex`]);
    expect(u.code).toBe(0);
    expect(u.out).toMatch(/HCS UCM Standard\s+150\s+220\s+-70\s+0\s+Insufficient Licenses\s+70/);
    const j = JSON.parse((await run(['usage', `${HCS}/va-acme`, '--json'])).out) as {
      substitutions: { text: string }[];
    };
    expect(j.substitutions.map((s) => s.text)).toContain('20 CUWL lent to Enhanced Plus');
    const bad = await run(['usage', 'nimbus-hcs.example.com']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/INPUT: .*<smart-account-domain>\/<virtual-account>/);
  });

  it('cluster list and show: effective authorization and days left', async () => {
    const narrow = await run(['cluster', 'list']);
    expect(narrow.code).toBe(0);
    // Line 1 is the title; the header follows the blank line. Days left is what one scans for.
    expect(narrow.out.split('\n')[2]).toMatch(/days left/);
    const l = await run(['cluster', 'list', '--wide']);
    expect(l.code).toBe(0);
    expect(l.out).toMatch(/authorization\s+days left/);
    expect(l.out).toMatch(/globex-cucm-01 .*Out of compliance\s+\d+ \((authorization|overage)\)/);
    const s = await run(['cluster', 'show', 'globex-cucm-01']);
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/where from\s+As the product said on \d{4}-\d\d-\d\d/);
    expect(s.out).toMatch(/Latest jobs/);
    expect(s.out).toMatch(/Assign Cluster/);
    // The Add Cluster job learnt the id of the cluster it created.
    expect(s.out).toMatch(/Add Cluster\s+Completed/);
    const missing = await run(['cluster', 'show', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/NOT_FOUND: cluster nope does not exist/);
  });

  it('report hlm (text, csv, xlsx) and inventory', async () => {
    const csv = await run(['report', 'hlm', '--format', 'csv']);
    expect(csv.out).toContain(`va-globex @ ${HCS},HUCM_Standard,150,220,-70,Non-Compliant\r\n`);
    const file = join(dir, 'hlm.xlsx');
    const x = await run(['report', 'hlm', '--customer', '--format', 'xlsx', '--out', file]);
    expect(x.code).toBe(0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(readFileSync(file) as unknown as ArrayBuffer);
    expect(wb.worksheets[0]!.getRow(1).values).toEqual([
      undefined,
      'Customer',
      'LM Name',
      'Subscription ID',
      'License Type',
      'Count',
      'Status',
    ]);
    expect((await run(['report', 'hlm', '--format', 'xlsx'])).code).toBe(2);
    const si = await run(['report', 'inventory']);
    expect(si.out.startsWith('|LICENSESUMMARYSTART|\n')).toBe(true);
    expect(si.out).toContain(
      `|SUMMARY|PLMINFO| va-globex@${HCS} ,CSSM ,Sub102200,2028-08-20,TERM|HUCM|15|HUCM_Standard|150|220|-70|Out of Compliance|`,
    );
  });

  it('status, forecast and whatif', async () => {
    const s = await run(['status']);
    expect(s.code).toBe(0);
    // What needs attention is the open alerts (the registry's status, the same records as
    // `alerts`): the shortage alert, which names the cluster it puts out of compliance;
    // "failed" counts that cluster as `clusters --failed` does.
    expect(s.out).toMatch(/id\s+severity\s+(about\s+)?alert/);
    expect(s.out).toContain('va-globex is short of 70 HCS UCM Standard');
    expect(s.out).toMatch(/1 in trouble, 1 failed, 0 unreachable/);
    const sj = JSON.parse((await run(['status', '--json'])).out) as {
      clusters: { total: number; failed: number };
      attention: { id: number }[];
    };
    expect(sj.clusters.total).toBe(1);
    expect(sj.clusters.failed).toBe(1);
    const alerts = JSON.parse((await run(['alerts', '--json'])).out) as { id: number }[];
    expect(sj.attention.map((a) => a.id)).toEqual(alerts.map((a) => a.id));
    const f = await run(['forecast', `${HCS}/va-globex`]);
    expect(f.out).toMatch(/HCS UCM Standard\s+150\s+220\s+-\s+already short/);
    const w = await run(['whatif', 'move', 'globex-cucm-01', '--to', `${HCS}/va-hcs-operational`]);
    expect(w.code).toBe(0);
    expect(w.out).toMatch(/nothing is changed/);
    expect(w.out).toMatch(/shortages resolved: 70 HCS UCM Standard/);
    expect((await run(['cluster', 'list', '--json'])).out).toContain(
      `"virtualAccount": "${HCS}/va-globex"`,
    );
  });
});

describe('read tables fit the terminal (100 columns when not a terminal); --wide shows all', () => {
  // Not `status`: the terminal's own status (bin/cli/status.ts, moving onto the registry's
  // status in issue 21) prints the open alerts' titles as lines, not as a table it can cut.
  const verbs: string[][] = [
    ['va', 'list'],
    ['usage', `${HCS}/va-globex`],
    ['usage', `${HCS}/va-acme`],
    ['usage', '--customer', 'Globex'],
    ['report', 'hlm'],
    ['report', 'hlm', '--customer'],
    ['forecast', `${HCS}/va-globex`],
    ['whatif', 'move', 'globex-cucm-01', '--to', `${HCS}/va-hcs-operational`],
    ['cluster', 'show', 'globex-cucm-01'],
    ['alerts'],
  ];
  it.each(verbs.map((v) => [v.join(' '), v]))('%s', async (_, argv) => {
    const narrow = await run(argv);
    expect(narrow.code, narrow.err).toBe(0);
    expect(widest(narrow.out)).toBeLessThanOrEqual(100);
    const wide = await run([...argv, '--wide']);
    expect(wide.code, wide.err).toBe(0);
    // --wide never hides: it is at least as wide, and where the narrow one was cut it says so.
    expect(widest(wide.out)).toBeGreaterThanOrEqual(widest(narrow.out));
    if (widest(wide.out) > 100) expect(narrow.err).toMatch(/--wide shows everything/);
    expect(wide.err).not.toMatch(/--wide shows everything/);
  });

  it('the tables that are wider than 100 columns in full are cut, not wrapped', async () => {
    // These are wide in the demo: the VA summary, the account table, the HLM report.
    for (const argv of [['va', 'list'], ['status'], ['report', 'hlm']]) {
      const wide = await run([...argv, '--wide']);
      expect(widest(wide.out), argv.join(' ')).toBeGreaterThan(100);
    }
    const narrow = await run(['va', 'list']);
    expect(narrow.err).toMatch(/columns not shown: .*SA name/);
  });

  it('a TTY gets its own width', async () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await main(['va', 'list'], {
      stdout,
      stderr: new PassThrough(),
      stdin: Readable.from(['']),
      env,
      isTty: true,
      columns: 72,
    });
    expect(code).toBe(0);
    expect(widest(out)).toBeLessThanOrEqual(72);
    expect(out).toContain('va-globex');
  });
});
