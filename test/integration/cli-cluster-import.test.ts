// `smartlic cluster import FILE` as an operator runs it: a CSV and a JSON-lines file on disk,
// passwords through an environment variable and a secrets file, --dry-run, a bad file, a
// re-import, and the refusal from chat.
// Real: bin/smartlic.ts main() (the registry's `cluster import`, run by bin/cli/terminal.ts,
// which reads the files), SQLite in a temp file with its key file, the real services, and the
// emulator (demo scenario) over loopback HTTP for `account add`. Faked: stdin/stdout/stderr are
// in-memory streams; no TTY.
// Covers bot/commands/handlers/cluster-import.ts, readInputFile of bin/cli/common.ts and, below
// them, core/services/clusters/bulk-import.ts.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SecretBox,
  createRepositories,
  openDatabase,
  resolveSecretKey,
} from '../../core/store/index.ts';
import { startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { emulatorCloudEnv, runCli } from '../support/helpers.ts';

let emu: RunningEmulator;
let dir: string;
let env: NodeJS.ProcessEnv;
const SA = 'nimbus-hcs.example.com';
const VA = `${SA}/va-hcs-operational`;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, scenario: 'demo', frozen: true });
  dir = mkdtempSync(join(tmpdir(), 'smartlic-cli-import-'));
  env = {
    SMARTLIC_DB: join(dir, 'smartlic.db'),
    ...emulatorCloudEnv(emu),
    SMARTLIC_LOG_LEVEL: 'error',
    SMARTLIC_HTTP_RETRIES: '0',
    SMARTLIC_HTTP_TIMEOUT_MS: '3000',
  };
  const c = emu.ready.clients.find((x) => x.for === 'cloud' && x.account === SA)!;
  const r = await run(
    ['account', 'add', '--domain', SA, '--client-id', c.clientId, '--secret-stdin'],
    {},
    `${c.clientSecret}\n`,
  );
  expect(r.code, r.err).toBe(0);
  const mode = await run(['va', 'mode', VA, 'HCS', '--yes']);
  expect(mode.code, mode.err).toBe(0);
});
afterAll(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(argv: string[], extraEnv: Record<string, string> = {}, stdinText = '') {
  return runCli(argv, { ...env, ...extraEnv }, stdinText);
}

function file(name: string, text: string, mode = 0o644): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}

async function stored() {
  const path = env.SMARTLIC_DB!;
  const h = openDatabase({ path });
  try {
    const repos = createRepositories(h.db, new SecretBox(resolveSecretKey({ dbPath: path }).key));
    const clusters = await repos.clusters.list();
    return {
      clusters,
      passwords: await Promise.all(
        clusters.map(async (c) => (await repos.clusters.getAdminCredentials(c.id))?.password),
      ),
      jobs: await repos.jobs.list({ limit: 100 }),
    };
  } finally {
    await h.close();
  }
}

const CSV = `customer,cluster,type,version,publisher,admin_user,password_ref,va,publisher_hostname
"Globex, Inc.",globex-cucm-01,CUCM,14.0.1.13900-155,https://globex-cucm-01.example:8443,axladmin,env:GLOBEX_PW,${VA},globex-cucm-01-pub
"Globex, Inc.",globex-cuc-01,CUC,14.0.1.13900-10,https://globex-cuc-01.example,cucadmin,file:globex-cuc,${VA},
Initech,initech-cucm-01,CUCM,11.5.1.10000-6,initech-cucm-01.example,axladmin,file:initech,,
`;

describe('cluster import', () => {
  it('a bad file: every bad line named with its fix, exit 2, nothing written', async () => {
    const bad = file(
      'bad.csv',
      `${CSV}Initech,initech-cucm-02,CUCM,11.5.1.10000-6,p.example,axladmin,env:GLOBEX_PW,${VA},
Initech,initech-cucm-03,MCS,14.0,p.example,axladmin,plain-password-here,${SA}/no-such-va,
`,
    );
    const secrets = file('s1.env', 'globex-cuc=cuc-secret-1\ninitech=initech-secret-1\n', 0o600);
    const r = await run(['cluster', 'import', bad, '--secrets', secrets], {
      GLOBEX_PW: 'globex-secret-1',
    });
    expect(r.code, r.out).toBe(2);
    expect(r.err).toMatch(/nothing was written/);
    const j = await run(['cluster', 'import', bad, '--secrets', secrets, '--json'], {
      GLOBEX_PW: 'globex-secret-1',
    });
    const doc = (
      JSON.parse(j.out) as {
        error: { details: { problems: { line: number; column: string; message: string }[] } };
      }
    ).error.details;
    expect(doc.problems.map((p) => [p.line, p.column])).toEqual([
      [6, 'type'],
      [6, 'password_ref'],
    ]);
    expect(j.out).not.toContain('plain-password-here');
    // Line 5 is good on its own; the store refuses it (≤ 11.x cannot be assigned) once line 6 is fixed.
    const fixed = file(
      'fixed.csv',
      `${CSV}Initech,initech-cucm-02,CUCM,11.5.1.10000-6,p.example,axladmin,env:GLOBEX_PW,${VA},\n`,
    );
    const f = await run(['cluster', 'import', fixed, '--secrets', secrets, '--json'], {
      GLOBEX_PW: 'globex-secret-1',
    });
    expect(f.code).toBe(2);
    expect(
      (JSON.parse(f.out) as { error: { details: typeof doc } }).error.details.problems,
    ).toMatchObject([{ line: 5, column: 'version', message: expect.stringMatching(/^SLMCT1006/) }]);
    expect((await stored()).clusters).toEqual([]);
  });

  it('--dry-run says what it would do; the import does it in one job; a re-import changes nothing', async () => {
    const csv = file('estate.csv', CSV);
    const secrets = file('s.env', 'globex-cuc=cuc-secret-1\ninitech=initech-secret-1\n', 0o600);
    const pw = { GLOBEX_PW: 'globex-secret-1' };
    const dry = await run(['cluster', 'import', csv, '--secrets', secrets, '--dry-run'], pw);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toMatch(
      /Dry run: 3 row\(s\) are good; importing would give 3 added, 0 updated, 0 unchanged, 2 assigned/,
    );
    expect((await stored()).clusters).toEqual([]);

    const r = await run(['cluster', 'import', csv, '--secrets', secrets, '--registered'], pw);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(
      /Imported 3 row\(s\): 3 added, 0 updated, 0 unchanged, 2 assigned to a VA, 2 new customer/,
    );
    for (const secret of ['globex-secret-1', 'cuc-secret-1', 'initech-secret-1'])
      expect(r.out + r.err).not.toContain(secret);
    const s = await stored();
    expect(
      s.clusters.map((c) => [c.name, c.licensing, c.status, c.virtualAccountId !== null]),
    ).toEqual([
      ['globex-cuc-01', 'Smart', 'Manually Registered', true],
      ['globex-cucm-01', 'Smart', 'Manually Registered', true],
      ['initech-cucm-01', 'PLM', null, false],
    ]);
    expect(s.passwords).toEqual(['cuc-secret-1', 'globex-secret-1', 'initech-secret-1']);
    expect(s.jobs.filter((j) => j.jobType === 'Import Clusters')).toHaveLength(1);

    // The same file as JSON lines: everything is as stored already.
    const jsonl = file(
      'estate.jsonl',
      [
        {
          customer: 'Globex, Inc.',
          cluster: 'globex-cucm-01',
          type: 'CUCM',
          version: '14.0.1.13900-155',
          publisher: 'https://globex-cucm-01.example:8443',
          admin_user: 'axladmin',
          password_ref: 'env:GLOBEX_PW',
          va: VA,
          publisher_hostname: 'globex-cucm-01-pub',
        },
        {
          customer: 'Globex, Inc.',
          cluster: 'globex-cuc-01',
          type: 'CUC',
          version: '14.0.1.13900-10',
          publisher: 'https://globex-cuc-01.example',
          admin_user: 'cucadmin',
          password_ref: 'file:globex-cuc',
          va: VA,
        },
        {
          customer: 'Initech',
          cluster: 'initech-cucm-01',
          type: 'CUCM',
          version: '11.5.1.10000-6',
          publisher: 'initech-cucm-01.example',
          admin_user: 'axladmin',
          password_ref: 'file:initech',
        },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    const again = await run(['cluster', 'import', jsonl, '--secrets', secrets, '--json'], pw);
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({
      added: 0,
      updated: 0,
      unchanged: 3,
      assigned: 0,
    });
    expect((await stored()).clusters.map((c) => c.updatedAt)).toEqual(
      s.clusters.map((c) => c.updatedAt),
    );
  });

  it('refuses a secrets file others may read, an unset variable, a missing file, and chat', async () => {
    const csv = file('estate2.csv', CSV);
    const open = file('open.env', 'globex-cuc=x1234567\ninitech=y1234567\n', 0o644);
    const r1 = await run(['cluster', 'import', csv, '--secrets', open], { GLOBEX_PW: 'z1234567' });
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(/others than its owner may read it .*chmod 600/);
    const secrets = file('s2.env', 'globex-cuc=x1234567\ninitech=y1234567\n', 0o600);
    const r2 = await run(['cluster', 'import', csv, '--secrets', secrets, '--json']);
    expect(r2.code).toBe(2);
    expect(JSON.parse(r2.out)).toMatchObject({
      error: {
        code: 'INPUT',
        details: {
          problems: [
            {
              line: 2,
              column: 'password_ref',
              message: 'environment variable GLOBEX_PW is not set',
            },
          ],
        },
      },
    });
    const r3 = await run(['cluster', 'import', join(dir, 'nope.csv')]);
    expect(r3.code).toBe(2);
    expect(r3.err).toMatch(/nope\.csv does not exist/);
    // A chat operator (granted the role first) still cannot: there is no file in chat.
    expect((await run(['role', 'grant', 'slack:U1', 'operator'])).code).toBe(0);
    const chat = await run(['ask', '--as', 'slack:U1', `cluster import ${csv}`]);
    expect(chat.code).not.toBe(0);
    expect(chat.err + chat.out).toMatch(/does not run from chat or MCP.*smartlic cluster import/s);
  });
});
