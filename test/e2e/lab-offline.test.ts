// Real: `smartlic start` as a user starts it (child process, embedded emulator on 127.0.0.1, a
// real SQLite file it provisions and syncs), then every command that talks to CSSM run as its
// own `node bin/smartlic.js …` process on that database, as an operator would in another
// terminal: sync, sync --full, token create / revoke, cluster register / unassign (a CER and a
// CUCM), va remove, doctor and the chat's `sync` (`smartlic ask`).
// Faked: the name resolver. Every process gets `--import test/support/no-outside-dns.mjs`,
// which fails every lookup but localhost and writes the name to a file, as a machine with no
// way out would (plus a record). Covers: the account's stored endpoints
// (core/services/clients.ts accountUrls, provision.service.ts, migration 0011), start.ts.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const PRELOAD = resolve('test/support/no-outside-dns.mjs');
const dir = mkdtempSync(join(tmpdir(), 'smartlic-lab-offline-'));
const db = join(dir, 'smartlic.db');
const dnsLog = join(dir, 'outside-names.log');
const env: NodeJS.ProcessEnv = {
  ...process.env,
  SMARTLIC_DB: db,
  SMARTLIC_LOG_LEVEL: 'warn',
  // Not about the lab's past (start-history.test.ts is): no 90 days of syncs first.
  SMARTLIC_LAB_HISTORY_DAYS: '0',
  SMARTLIC_TEST_DNS_LOG: dnsLog,
};
// Whatever a developer's shell points the CSSM settings at, these processes see Cisco's
// defaults: the account's stored URLs alone must keep them in the lab.
for (const k of Object.keys(env)) if (k.startsWith('SMARTLIC_CSSM_')) delete env[k];

let start: ReturnType<typeof spawn> | undefined;
afterAll(async () => {
  if (start && start.exitCode === null) {
    start.kill('SIGTERM');
    await new Promise((r) => start!.once('close', r));
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** `node --import <preload> bin/smartlic.js …args`, to its end. */
function smartlic(args: string[], extra: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, ['--import', PRELOAD, 'bin/smartlic.js', ...args], {
    cwd: process.cwd(),
    env: { ...env, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((r) => child.on('close', (code) => r({ code, out, err })));
}

const outsideNames = () => (existsSync(dnsLog) ? readFileSync(dnsLog, 'utf8') : '');

async function ok(args: string[]): Promise<Run> {
  const r = await smartlic(args);
  expect(r.code, `smartlic ${args.join(' ')}\n${r.err}${r.out}`).toBe(0);
  expect(outsideNames(), `after smartlic ${args.join(' ')}`).toBe('');
  return r;
}

describe('the lab never calls Cisco', () => {
  it('the preload really refuses and records an outside name (so an empty record means something)', async () => {
    const probe = join(dir, 'probe.log');
    const child = spawn(
      process.execPath,
      [
        '--import',
        PRELOAD,
        '-e',
        "fetch('https://apx.cisco.com/v1/software/apis/').then(() => process.exit(3), (e) => { console.log(e.cause?.code); })",
      ],
      { env: { ...env, SMARTLIC_TEST_DNS_LOG: probe }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
    expect(out.trim()).toBe('ENOTFOUND');
    expect(readFileSync(probe, 'utf8')).toMatch(/ apx\.cisco\.com\n$/);
  });

  it('every command that talks to CSSM, run beside `start` in its own process, stays on 127.0.0.1', async () => {
    start = spawn(
      process.execPath,
      ['--import', PRELOAD, 'bin/smartlic.js', 'start', '--port', '0'],
      {
        cwd: process.cwd(),
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let startErr = '';
    start.stderr!.on('data', (d: Buffer) => (startErr += d.toString()));
    const ready = await new Promise<{ emulator: string }>((res, rej) => {
      let buf = '';
      start!.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const line = buf.split('\n').find((l) => l.startsWith('{"ready":true'));
        if (line) res(JSON.parse(line) as { emulator: string });
      });
      start!.once('close', (c) => rej(new Error(`start exited ${c}: ${startErr.slice(-2000)}`)));
    });
    expect(outsideNames()).toBe('');

    // What start stored: every cloud account carries the lab's three URLs.
    const sq = new BetterSqlite3(db, { readonly: true });
    const rows = sq
      .prepare(
        'select domain, source, token_url, api_base, devices_api_base from smart_accounts order by domain',
      )
      .all() as {
      domain: string;
      source: string;
      token_url: string;
      api_base: string;
      devices_api_base: string | null;
    }[];
    sq.close();
    expect(rows.length).toBe(4);
    for (const r of rows) {
      expect(r.token_url.startsWith(ready.emulator)).toBe(true);
      expect(r.api_base.startsWith(ready.emulator)).toBe(true);
      if (r.source === 'cssm')
        expect(r.devices_api_base).toBe(`${ready.emulator}/v1/software/apis/`);
      else expect(r.devices_api_base).toBeNull();
    }

    const sync = JSON.parse((await ok(['sync', '--json'])).out) as { status: string }[];
    expect(sync.map((o) => o.status)).toEqual(['Completed', 'Completed', 'Completed', 'Completed']);
    const full = JSON.parse((await ok(['sync', '--full', '--json'])).out) as {
      status: string;
      counts?: { devices?: number };
    }[];
    expect(full.every((o) => o.status === 'Completed')).toBe(true);

    const created = JSON.parse(
      (
        await ok([
          'token',
          'create',
          'nimbus-hcs.example.com/va-hcs-operational',
          '--days',
          '30',
          '--json',
        ])
      ).out,
    ) as { token: { id: number } };
    const revoked = JSON.parse(
      (await ok(['token', 'revoke', String(created.token.id), '--yes', '--json'])).out,
    ) as { token: { status: string } };
    expect(revoked.token.status).toBe('Revoked');

    // A CER is confirmed and released through CSSM's device list: the call that went to Cisco.
    // Destructive: a script says --yes (issue 21: the registry's `unassign`).
    expect((await ok(['cluster', 'unassign', 'globex-cer-01', '--yes'])).out).toMatch(
      /Unassign globex-cer-01: done/,
    );
    expect(
      (
        await ok([
          'cluster',
          'register',
          'globex-cer-01',
          '--va',
          'nimbus-hcs.example.com/va-globex',
        ])
      ).out,
    ).toMatch(/confirmed by CSSM's device list/);
    await ok([
      'cluster',
      'register',
      'stark-cucm-01',
      '--va',
      'nimbus-hcs.example.com/va-hcs-operational',
    ]);
    await ok(['cluster', 'unassign', 'stark-cucm-01', '--yes']);
    await ok(['va', 'remove', 'nimbus-eu.example.com/va-eu-ordered', '--yes']);
    const doctor = JSON.parse((await ok(['doctor', '--json'])).out) as {
      ok: boolean;
      checks: { check: string; verdict: string }[];
    };
    expect(doctor.ok).toBe(true);
    expect(doctor.checks.filter((c) => c.check === 'cssm.account').length).toBe(4);
    const chat = await ok(['ask', 'sync']);
    expect(chat.out).toMatch(/Sync finished: 4 of 4 accounts ok/);

    // `start` itself (its first full sync ran above) is still up and asked no outside name.
    expect(start.exitCode).toBeNull();
    expect(outsideNames()).toBe('');
  }, 600_000);

  it('an account pointed half at the lab, half at Cisco is refused before anything is sent', async () => {
    const emuUrl = 'http://127.0.0.1:9'; // nothing listens: a request would fail, not hang
    const r = await smartlic(
      [
        'account',
        'add',
        '--domain',
        'half.example.com',
        '--client-id',
        'x',
        '--secret-env',
        'HALF_SECRET',
        '--token-url',
        `${emuUrl}/oauth2/default/v1/token`,
        '--api-base',
        `${emuUrl}/services/api/smart-accounts-and-licensing`,
      ],
      { HALF_SECRET: 'not-a-real-secret' },
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/CONFIG/);
    expect(r.err).toMatch(/two different CSSMs/);
    expect(r.err).toMatch(/--devices-api-base/);
    expect(outsideNames()).toBe('');
  });
});
