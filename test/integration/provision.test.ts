// Real: the emulator (demo scenario, frozen clock) over loopback as CSSM cloud and On-Prem,
// core/services provision (credential check, encrypted storage, first sync as its own job),
// core/cssm clients, SQLite in a temp file. Faked: the smartlic clock (a TestClock), and the
// satellite's release in a copy of the demo scenario (an old and a Classic Edition satellite).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SmartlicError } from '../../core/errors.ts';
import { JobFailedError } from '../../core/services/index.ts';
import { setup, type Fixture } from './sync-fixture.ts';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

async function failure(p: Promise<unknown>): Promise<SmartlicError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof JobFailedError) return e.error;
    if (e instanceof SmartlicError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

async function nothingStored(f: Fixture): Promise<void> {
  expect(await f.h.db.selectFrom('smart_accounts').selectAll().execute()).toEqual([]);
  expect(await f.h.db.selectFrom('virtual_accounts').selectAll().execute()).toEqual([]);
  expect(await f.h.db.selectFrom('local_accounts').selectAll().execute()).toEqual([]);
}

describe('provision a Smart Account', () => {
  it('stores the credentials encrypted, the SA and its VAs, and runs a first sync', async () => {
    fx = await setup();
    const c = fx.cloud();
    const r = await fx.services.provision.provisionSmartAccount({
      source: 'cssm',
      domain: c.account,
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      requestedBy: 'test',
    });
    expect(r.account.name).toBe('Nimbus Voice HCS');
    expect(r.account.transportMode).toBe('Direct');
    expect(r.virtualAccounts).toContain('va-hcs-operational');
    expect(r.sync?.status).toBe('Completed');
    expect(r.account.lastSyncStatus).toBe('Success');
    const raw = await fx.h.db
      .selectFrom('smart_accounts')
      .select('client_secret_enc')
      .executeTakeFirstOrThrow();
    expect(raw.client_secret_enc).not.toContain(c.clientSecret);
    expect((await fx.repos.smartAccounts.getCredentials(r.account.id))?.clientSecret).toBe(
      c.clientSecret,
    );
    const jobs = await fx.repos.jobs.list({ entityName: c.account });
    expect(jobs.map((j) => [j.jobType, j.status]).sort()).toEqual([
      ['Provision Smart Account', 'Completed'],
      ['Sync', 'Completed'],
    ]);
  });

  it('bad credentials: CSSM1011 with its action, nothing stored, the job says why', async () => {
    fx = await setup();
    const c = fx.cloud();
    const e = await failure(
      fx.services.provision.provisionSmartAccount({
        source: 'cssm',
        domain: c.account,
        clientId: c.clientId,
        clientSecret: 'wrong-secret',
        requestedBy: 'test',
      }),
    );
    expect(e.code).toBe('CSSM1011');
    expect(e.action).toMatch(/client id and secret/i);
    await nothingStored(fx);
    const job = (await fx.repos.jobs.list())[0]!;
    expect([job.jobType, job.status, job.errorCode]).toEqual([
      'Provision Smart Account',
      'Failed',
      'CSSM1011',
    ]);
    expect(job.recommendedAction).toBe(e.action);
  });

  it('a domain the credentials cannot see: CSSM1015; an unknown SA: CSSM1019', async () => {
    fx = await setup();
    const c = fx.cloud(0);
    const other = fx.cloud(1).account;
    const wrong = await failure(
      fx.services.provision.provisionSmartAccount({
        source: 'cssm',
        domain: other,
        clientId: c.clientId,
        clientSecret: c.clientSecret,
        requestedBy: 'test',
      }),
    );
    expect(wrong.code).toBe('CSSM1015');
    const unknown = await failure(
      fx.services.provision.provisionSmartAccount({
        source: 'cssm',
        domain: 'no-such-account.example.com',
        clientId: c.clientId,
        clientSecret: c.clientSecret,
        requestedBy: 'test',
      }),
    );
    expect(unknown.code).toBe('CSSM1019');
    await nothingStored(fx);
  });

  it('an app not yet entitled to the API: CSSM1015 in plain words', async () => {
    fx = await setup();
    const u = fx.emu.ready.unentitledClients[0]!;
    const e = await failure(
      fx.services.provision.provisionSmartAccount({
        source: 'cssm',
        domain: u.account,
        clientId: u.clientId,
        clientSecret: u.clientSecret,
        requestedBy: 'test',
      }),
    );
    expect(e.code).toBe('CSSM1015');
    expect(e.message).toMatch(/not approved|API/i);
    await nothingStored(fx);
  });

  it('a satellite local account: checked through the On-Prem API; a wrong one is refused', async () => {
    fx = await setup();
    const c = fx.onprem('la-umbrella');
    const base = {
      source: 'satellite' as const,
      tokenUrl: fx.emu.ready.onprem.tokenUrl,
      apiBase: fx.emu.ready.onprem.apiBase,
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      requestedBy: 'test',
    };
    const wrong = await failure(
      fx.services.provision.provisionSmartAccount({
        ...base,
        domain: 'initech.local',
        localAccount: 'la-initech',
      }),
    );
    expect(['CSSM1015', 'CSSM1019']).toContain(wrong.code);
    await nothingStored(fx);
    const r = await fx.services.provision.provisionSmartAccount({
      ...base,
      domain: 'umbrella.local',
      localAccount: 'la-umbrella',
    });
    expect(r.account.source).toBe('satellite');
    expect(r.account.transportMode).toBe('Satellite');
    expect(r.sync?.status).toBe('Completed');
    const la = await fx.repos.localAccounts.getBySmartAccount(r.account.id);
    expect(la?.name).toBe('la-umbrella');
  });

  it('a satellite older than 7.2, or a Classic Edition, is refused with nothing stored', async () => {
    const demo = JSON.parse(
      readFileSync(new URL('../../data/scenarios/demo.json', import.meta.url), 'utf8'),
    ) as { satellites: { version?: string }[] };
    const dir = mkdtempSync(join(tmpdir(), 'smartlic-satver-'));
    try {
      for (const [version, said] of [
        ['7.1', /version 7\.1; smartlic needs CSSM On-Prem 7\.2 or later/],
        ['Classic Edition 6.3', /Classic Edition/],
      ] as const) {
        for (const sat of demo.satellites) sat.version = version;
        const file = join(dir, `demo-${version.replace(/\W+/g, '-')}.json`);
        writeFileSync(file, JSON.stringify(demo));
        fx = await setup({ emulator: { scenario: file } });
        const c = fx.onprem('la-umbrella');
        const f = await failure(
          fx.services.provision.provisionSmartAccount({
            source: 'satellite',
            tokenUrl: fx.emu.ready.onprem.tokenUrl,
            apiBase: fx.emu.ready.onprem.apiBase,
            clientId: c.clientId,
            clientSecret: c.clientSecret,
            requestedBy: 'test',
            domain: 'umbrella.local',
            localAccount: 'la-umbrella',
          }),
        );
        expect(f.code, version).toBe('SLMCT1006');
        expect(f.message, version).toMatch(said);
        expect(f.action).toMatch(/7\.2 or later/);
        await nothingStored(fx);
        await fx.close();
        fx = undefined;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('input problems are INPUT / CAA1040 before any request', async () => {
    fx = await setup();
    const c = fx.cloud();
    const req = {
      source: 'cssm' as const,
      domain: c.account,
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      requestedBy: 'test',
    };
    expect(
      (await failure(fx.services.provision.provisionSmartAccount({ ...req, transport: 'Proxy' })))
        .code,
    ).toBe('CAA1040');
    expect(
      (
        await failure(
          fx.services.provision.provisionSmartAccount({ ...req, proxy: 'http://u:p@proxy:3128' }),
        )
      ).code,
    ).toBe('CAA1040');
    expect(
      (await failure(fx.services.provision.provisionSmartAccount({ ...req, source: 'satellite' })))
        .code,
    ).toBe('INPUT');
    await nothingStored(fx);
  });
});
