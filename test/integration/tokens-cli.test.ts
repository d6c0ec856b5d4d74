// Real: bin/smartlic.ts main() with the account, token (the registry's specs, run by the terminal
// adapter: bot/commands/handlers/tokens.ts, bin/cli/terminal.ts), va, cluster, jobs and plan verbs
// (config from the given env, SQLite in a temp file with its key file, the real services), the
// emulator (demo scenario, its clock started at the real time and frozen) over loopback as
// CSSM and the UC publishers. Faked: stdin/stdout/stderr are in-memory streams; no TTY.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { loadConfig } from '../../core/config.ts';
import { maskToken } from '../../core/domain/token-mask.ts';
import {
  SecretBox,
  createRepositories,
  openDatabase,
  resolveSecretKey,
} from '../../core/store/index.ts';
import { emulatorCloudEnv, runCli } from '../support/helpers.ts';

const SA = 'nimbus-hcs.example.com';

let emu: RunningEmulator;
let dir: string;
let env: NodeJS.ProcessEnv;

function run(argv: string[], extraEnv: Record<string, string> = {}, stdinText = '') {
  return runCli(argv, { ...env, ...extraEnv }, stdinText);
}

/** Every token smartlic stores, decrypted (to prove none leaks into output). */
async function storedTokenValues(): Promise<string[]> {
  const config = loadConfig({ env });
  const key = resolveSecretKey({ envValue: config.secretKey, dbPath: config.db.path });
  const h = openDatabase({ path: config.db.path });
  try {
    const repos = createRepositories(h.db, new SecretBox(key.key));
    const out: string[] = [];
    for (const t of await repos.tokens.list()) out.push((await repos.tokens.reveal(t.id))!);
    return out;
  } finally {
    await h.close();
  }
}

beforeAll(async () => {
  emu = await startEmulator({
    port: 0,
    scenario: 'demo',
    frozen: true,
    now: new Date().toISOString(),
  });
  dir = mkdtempSync(join(tmpdir(), 'smartlic-tokens-cli-'));
  env = {
    SMARTLIC_DB: join(dir, 'smartlic.db'),
    ...emulatorCloudEnv(emu),
    SMARTLIC_LOG_LEVEL: 'error',
    SMARTLIC_HTTP_RETRIES: '0',
  };
  const c = emu.ready.clients.find((x) => x.for === 'cloud' && x.account === SA)!;
  const r = await run(
    ['account', 'add', '--domain', SA, '--client-id', c.clientId, '--secret-env', 'CS'],
    { CS: c.clientSecret },
  );
  expect(r.code, r.err).toBe(0);
}, 60_000);

afterAll(async () => {
  await emu?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('smartlic token', () => {
  /**
   * The export-controlled token of va-acme, created once by whichever test needs it first, so
   * each test passes alone as well as in the file's order (issue 27).
   */
  let making: ReturnType<typeof run> | undefined;
  const creation = () =>
    (making ??= run(['token', 'create', SA, 'va-acme', '--export-controlled', '--days', '90']));
  let created = '';
  const made = async () => (created = (await creation()).out.trim());

  it('create prints the new token once on stdout, export control as asked', async () => {
    const r = await creation();
    expect(r.code, r.err).toBe(0);
    created = r.out.trim();
    expect(created.length).toBeGreaterThan(16);
    expect(r.err).toMatch(/export control\s+Allowed/);
    expect(r.err).not.toContain(created);
    // The older two-word VA still works, with a hint to say it the one way.
    expect(r.err).toContain(`A VA is one word now: \`${SA}/va-acme\``);
  });

  it('create with <domain>/<va>: the value once on stdout, in --json too; never in chat', async () => {
    const r = await run(['token', 'create', `${SA}/va-acme`, '--description', 'lab']);
    expect(r.code, r.err).toBe(0);
    const value = r.out.trim();
    expect(value.length).toBeGreaterThan(16);
    expect(r.out).toBe(`${value}\n`);
    expect(r.err).toMatch(/export control\s+Not Allowed/);
    expect(r.err).not.toContain(value);
    const j = JSON.parse((await run(['token', 'create', `${SA}/va-acme`, '--json'])).out) as {
      token: { masked: string; tokenHash?: unknown };
      value: string;
    };
    expect(j.token.masked).toBe(maskToken(j.value));
    expect(j.token.tokenHash).toBeUndefined();
    // A chat user (here through `ask --as`) gets the masked token only.
    const chat = await run(['ask', '--as', 'slack:U1', `token create ${SA}/va-acme`, '--json']);
    const cj = JSON.parse(chat.out) as { token?: { masked: string }; value?: string };
    expect(cj.value).toBeUndefined();
    for (const v of await storedTokenValues()) expect(chat.out).not.toContain(v);
  });

  it('list shows tokens masked: no stored plaintext appears in its output', async () => {
    await made();
    // A second token, so the list has more than the one (made here, not by the test above).
    expect((await run(['token', 'create', `${SA}/va-acme`, '--description', 'second'])).code).toBe(
      0,
    );
    const values = await storedTokenValues();
    expect(values).toContain(created);
    expect(values.length).toBeGreaterThan(1);
    const table = await run(['token', 'list']);
    const json = await run(['token', 'list', SA, '--json']);
    expect(table.code).toBe(0);
    expect(json.code).toBe(0);
    expect(table.out).toContain(maskToken(created));
    for (const v of values) {
      expect(table.out).not.toContain(v);
      expect(json.out).not.toContain(v);
      expect(table.err + json.err).not.toContain(v);
    }
    expect(table.out).toMatch(/Allowed/);
  });

  it('revoke revokes in CSSM and marks it Revoked', async () => {
    await made();
    const list = JSON.parse((await run(['token', 'list', SA, 'va-acme', '--json'])).out) as {
      id: number;
      masked: string;
    }[];
    const mine = list.find((t) => t.masked === maskToken(created))!;
    // A destructive verb: a script says --yes (a terminal is asked y/N).
    const asked = await run(['token', 'revoke', String(mine.id)]);
    expect(asked.code).not.toBe(0);
    expect((await run(['token', 'list', SA, 'va-acme', '--status', 'Revoked'])).out).not.toContain(
      maskToken(created),
    );
    const r = await run(['token', 'revoke', String(mine.id), '--yes']);
    expect(r.code, r.err).toBe(0);
    const after = await run(['token', 'list', SA, 'va-acme', '--status', 'Revoked']);
    expect(after.out).toContain(String(mine.id));
    expect(after.out).toContain(maskToken(created));
    const again = await run(['token', 'revoke', String(mine.id), '--yes', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ alreadyRevoked: true, job: null });
  });
});

describe('smartlic cluster / va / jobs / plan', () => {
  it('refuses a password on the command line', async () => {
    const r = await run(['cluster', 'add', '--name', 'x', '--password', 'hunter2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^smartlic cluster add: INPUT: --password is not accepted/);
    expect(r.err).not.toContain('hunter2');
  });

  it('adds, registers and lists a cluster; failures are one line with code and action', async () => {
    const st = (await (await fetch(`${emu.ready.admin}/state`)).json()) as {
      clusters: {
        name: string;
        customer: string;
        type: string;
        version: string;
        baseUrl: string;
        credentials: { username: string; password: string };
      }[];
    };
    const c = st.clusters.find((x) => x.name === 'stark-cucm-01')!;
    const add = await run(
      [
        'cluster',
        'add',
        '--customer',
        c.customer,
        '--name',
        c.name,
        '--type',
        c.type,
        '--version',
        c.version,
        '--publisher',
        c.baseUrl,
        '--admin-user',
        c.credentials.username,
        '--password-stdin',
      ],
      {},
      `${c.credentials.password}\n`,
    );
    expect(add.code, add.err).toBe(0);

    const noMode = await run(['cluster', 'register', c.name, '--va', `${SA}/va-hcs-operational`]);
    expect(noMode.code).toBe(1);
    expect(noMode.err.trim().split('\n')).toHaveLength(1);
    expect(noMode.err).toMatch(/SLM1014: .* — set it first: smartlic va mode/);
    expect(noMode.err).not.toMatch(/\n\s+at /);

    expect((await run(['va', 'mode', `${SA}/va-hcs-operational`, 'HCS', '--yes'])).code).toBe(0);
    const dry = await run([
      'cluster',
      'register',
      c.name,
      '--va',
      `${SA}/va-hcs-operational`,
      '--dry-run',
    ]);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toMatch(/would \(nothing changed\)/);
    // No interface sets a mode: the plan says what the product reports and that none is needed.
    expect(dry.out).toMatch(/license mode: /);
    expect(dry.out).not.toMatch(/refused/);
    const reg = await run(['cluster', 'register', c.name, '--va', `${SA}/va-hcs-operational`]);
    expect(reg.code, reg.err).toBe(0);
    // The steps it took come with the job's follow-up.
    expect(reg.out).toMatch(/register the publisher/);
    // Registered now: a second registration without --force is refused, not "Completed" again.
    const again = await run(['cluster', 'register', c.name]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(
      /ALREADY_REGISTERED: stark-cucm-01 is registered now .* — pass --force/,
    );
    expect(reg.out).toMatch(/Manually Registered/);

    const mode = await run(['va', 'mode', `${SA}/va-hcs-operational`, 'Enterprise', '--yes']);
    expect(mode.code).toBe(1);
    expect(mode.err).toMatch(/VA_CLUSTERS_ASSIGNED: .*unassign/);

    const narrow = await run(['cluster', 'list']);
    for (const l of narrow.out.trimEnd().split('\n')) expect(l.length).toBeLessThanOrEqual(100);
    expect(narrow.err).toMatch(/columns not shown: .*--wide shows everything/);
    const list = await run(['cluster', 'list', '--wide']);
    // The registry's Cluster Summary (issue 21): a title line, then the header; the VA is
    // named <domain>/<va> as everywhere else.
    expect(list.out.split('\n')[2]).toMatch(
      /^name\s+customer\s+type\s+version\s+virtual account\s+status\s+job/,
    );
    expect(list.out).toMatch(
      /stark-cucm-01\s+.+\s+CUCM\s+\S+\s+nimbus-hcs\.example\.com\/va-hcs-operational\s+Manually Registered\s+Completed/,
    );

    const jobs = await run(['jobs', '--failed', '--wide']);
    expect(jobs.code).toBe(0);
    expect(jobs.out).toMatch(/Assign Cluster.*SLM1014/);
    // The terminal user is the registry's console actor (issue 21).
    expect(jobs.out).toMatch(/console:/);

    const plan = await run(['plan', '--customer', c.customer, '--to', 'Enterprise']);
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toMatch(/stark-cucm-01: Smart HCS .* → Enterprise/);
    expect(plan.out).toMatch(/allocation on\s+va-hcs-operational/);

    const missing = await run(['cluster', 'deregister', 'no-such-cluster', '--yes']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^smartlic deregister: NOT_FOUND: cluster no-such-cluster/);
  });
});
