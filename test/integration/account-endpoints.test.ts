// Real: SQLite in a temp file, kysely, the migrations up to 0010 and then 0011, the smart
// accounts repository, config's real defaults (configSchema) and the endpoint rules of
// core/services/clients.ts (accountUrls, checkOneCssm). Faked: nothing; no network is used.
// Covers: migration 0011-account-devices-api (lab accounts filled, real ones left alone) and
// how a stored account's URLs are resolved (every URL the account's own; one CSSM per account).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import { configSchema } from '../../core/config.ts';
import { SmartlicError } from '../../core/errors.ts';
import { accountUrls } from '../../core/services/clients.ts';
import {
  MIGRATIONS,
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
  type DatabaseHandle,
  type SmartAccount,
} from '../../core/store/index.ts';

const config = configSchema.parse({});
const LAB = 'http://127.0.0.1:40367';

let dir: string;
let h: DatabaseHandle;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'smartlic-endpoints-'));
  h = openDatabase({
    path: join(dir, 'smartlic.db'),
    clock: new TestClock('2026-12-01T00:00:00Z'),
  });
});
afterEach(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

async function migrateTo(db: Kysely<unknown>, name: string): Promise<void> {
  const r = await new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) },
    allowUnorderedMigrations: true,
  }).migrateTo(name);
  expect(r.error).toBeUndefined();
}

function insertAccount(
  domain: string,
  source: string,
  apiBase: string | null,
  tokenUrl: string | null,
) {
  h.sqlite
    .prepare(
      `insert into smart_accounts (domain, name, type, status, source, transport_mode, token_url, api_base, created_at, updated_at)
       values (?, ?, 'CUSTOMER', 'Active', ?, ?, ?, ?, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')`,
    )
    .run(
      domain,
      domain,
      source,
      source === 'satellite' ? 'Satellite' : 'Direct',
      tokenUrl,
      apiBase,
    );
}

describe('migration 0011: the device-list API base is stored with the account', () => {
  it('fills it for the lab accounts a 0010 database holds and leaves real and satellite accounts alone', async () => {
    await migrateTo(h.db as unknown as Kysely<unknown>, '0010-read-indexes');
    insertAccount(
      'lab.example.com',
      'cssm',
      `${LAB}/services/api/smart-accounts-and-licensing`,
      `${LAB}/oauth2/default/v1/token`,
    );
    insertAccount('real.example.com', 'cssm', null, null);
    insertAccount(
      'swapi.example.com',
      'cssm',
      'https://swapi.cisco.com/services/api/smart-accounts-and-licensing',
      'https://id.cisco.com/oauth2/default/v1/token',
    );
    insertAccount('la-x', 'satellite', `${LAB}/backend/api/v1`, `${LAB}/backend/oauth/token`);
    expect(await migrateToLatest(h.db)).toContain('0011-account-devices-api');

    const rows = h.sqlite
      .prepare('select domain, devices_api_base from smart_accounts order by domain')
      .all() as { domain: string; devices_api_base: string | null }[];
    expect(Object.fromEntries(rows.map((r) => [r.domain, r.devices_api_base]))).toEqual({
      'la-x': null,
      'lab.example.com': `${LAB}/v1/software/apis/`,
      'real.example.com': null,
      'swapi.example.com': null,
    });

    // And what that means for a process with Cisco's defaults in its config (another terminal).
    const repos = createRepositories(h.db, SecretBox.random());
    const lab = (await repos.smartAccounts.getByDomain('lab.example.com'))!;
    expect(accountUrls(lab, config)).toEqual({
      tokenUrl: `${LAB}/oauth2/default/v1/token`,
      apiBase: `${LAB}/services/api/smart-accounts-and-licensing`,
      devicesApiBase: `${LAB}/v1/software/apis/`,
    });
    const real = (await repos.smartAccounts.getByDomain('real.example.com'))!;
    expect(accountUrls(real, config).devicesApiBase).toBe(
      'https://apx.cisco.com/v1/software/apis/',
    );
  });
});

describe('accountUrls: where a stored account is reached', () => {
  const base: SmartAccount = {
    id: 1,
    domain: 'acme.example.com',
    name: 'Acme',
    type: 'CUSTOMER',
    status: 'Active',
    source: 'cssm',
    transportMode: 'Direct',
    proxyHost: null,
    proxyPort: null,
    proxyUsername: null,
    hasProxyPassword: false,
    satelliteHost: null,
    satellitePort: null,
    satelliteTokenUrl: null,
    satelliteRegistrationUrl: null,
    localAccountName: null,
    clientId: 'id',
    hasClientSecret: true,
    lastSyncAt: null,
    lastSyncStatus: null,
    lastSyncError: null,
    tokenUrl: null,
    apiBase: null,
    devicesApiBase: null,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };

  it("the account's stored URLs win over config (another process's config cannot re-point it)", () => {
    const labConfig = configSchema.parse({
      cssm: {
        tokenUrl: 'http://10.0.0.9/t',
        apiBase: 'http://10.0.0.9/a',
        devicesApiBase: 'http://10.0.0.9/d/',
      },
    });
    const a = { ...base, tokenUrl: `${LAB}/t`, apiBase: `${LAB}/a`, devicesApiBase: `${LAB}/d/` };
    expect(accountUrls(a, labConfig)).toEqual({
      tokenUrl: `${LAB}/t`,
      apiBase: `${LAB}/a`,
      devicesApiBase: `${LAB}/d/`,
    });
  });

  it('a lab account with no device-list base stored is refused, not sent to apx.cisco.com', () => {
    const a = { ...base, tokenUrl: `${LAB}/t`, apiBase: `${LAB}/a` };
    let err: unknown;
    try {
      accountUrls(a, config);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SmartlicError);
    const e = err as SmartlicError;
    expect(e.code).toBe('CONFIG');
    expect(e.message).toContain('acme.example.com would reach two different CSSMs');
    expect(e.message).toContain('--devices-api-base https://apx.cisco.com/v1/software/apis/');
    expect(e.action).toBe(`provision it again with --devices-api-base of the CSSM at ${LAB}`);
  });

  it("a real account on Cisco's defaults, and a satellite, resolve as before", () => {
    expect(accountUrls(base, config)).toEqual({
      tokenUrl: 'https://id.cisco.com/oauth2/default/v1/token',
      apiBase: 'https://swapi.cisco.com/services/api/smart-accounts-and-licensing',
      devicesApiBase: 'https://apx.cisco.com/v1/software/apis/',
    });
    const sat = {
      ...base,
      source: 'satellite' as const,
      satelliteTokenUrl: `${LAB}/backend/oauth/token`,
      apiBase: `${LAB}/backend/api/v1`,
    };
    expect(accountUrls(sat, config)).toEqual({
      tokenUrl: `${LAB}/backend/oauth/token`,
      apiBase: `${LAB}/backend/api/v1`,
    });
    expect(() => accountUrls({ ...sat, apiBase: null }, config)).toThrow(
      /no On-Prem token URL or API base/,
    );
  });
});
