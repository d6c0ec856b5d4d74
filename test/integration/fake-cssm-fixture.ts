/**
 * Set-up for the tests against the programmable fake CSSM (test/fakes/fake-cssm.ts): real
 * SQLite in a temp file, the real services and HTTP client over loopback; the smartlic clock
 * is a TestClock. The account is provisioned without a sync, so each test starts from there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestClock } from '../../core/clock.ts';
import { loadConfig, type Config } from '../../core/config.ts';
import { createLogger } from '../../core/log.ts';
import { createServices, type Services } from '../../core/services/index.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
  type DatabaseHandle,
  type Repositories,
  type SmartAccount,
} from '../../core/store/index.ts';
import { licenseRecord, startFakeCssm, type FakeCssm, type FakeWorld } from '../fakes/fake-cssm.ts';

export interface FakeFixture {
  cssm: FakeCssm;
  dir: string;
  dbPath: string;
  h: DatabaseHandle;
  repos: Repositories;
  secrets: SecretBox;
  clock: TestClock;
  config: Config;
  services: Services;
  logs: string[];
  account: SmartAccount;
  close(): Promise<void>;
}

/** Three VAs with two license types each, two devices, one token per VA. */
export function defaultWorld(): FakeWorld {
  const vas = ['va-ops', 'va-ordered', 'va-lab'];
  return {
    domain: 'fake.example.com',
    clientId: 'fake-client',
    clientSecret: 'S3cr3t-Client-Value-42',
    vas: vas.map((name, i) => ({ name, isDefault: i === 0 })),
    licenses: vas.flatMap((va) => [
      licenseRecord(va, 'UC Manager Enhanced License (12.x)', 100, 40),
      licenseRecord(va, 'UC Manager Basic License (12.x)', 50, 10),
    ]),
    tokens: Object.fromEntries(
      vas.map((va, i) => [
        va,
        [
          {
            token: `TOKEN${i}${'a'.repeat(50)}${i}END`,
            expirationDate: new Date(Date.now() + 300 * 86_400_000).toISOString(),
            exportControlled: 'Not Allowed' as const,
            status: 'ACTIVE',
          },
        ],
      ]),
    ),
    devices: [
      { virtualAccount: 'va-ops', udiPid: 'UCM', udiSerialNumber: 'AAAA1' },
      { virtualAccount: 'va-ops', udiPid: 'UCM', udiSerialNumber: 'AAAA2' },
    ],
  };
}

export async function fakeSetup(
  opts: { world?: FakeWorld; config?: Record<string, unknown>; dbPath?: string } = {},
): Promise<FakeFixture> {
  const world = opts.world ?? defaultWorld();
  const cssm = await startFakeCssm(world);
  const dir = mkdtempSync(join(tmpdir(), 'smartlic-fake-'));
  const dbPath = opts.dbPath ?? join(dir, 'smartlic.db');
  const h = openDatabase({ path: dbPath });
  await migrateToLatest(h.db);
  const secrets = SecretBox.random();
  const clock = new TestClock(new Date());
  const repos = createRepositories(h.db, secrets, clock);
  const logs: string[] = [];
  const logger = createLogger({
    level: 'info',
    write: (l) => logs.push(l),
    now: () => clock.now(),
  });
  const base = { http: { maxRetries: 0, timeoutMs: 2000 } };
  const config = loadConfig({
    env: {},
    overrides: {
      cssm: {
        tokenUrl: cssm.tokenUrl,
        apiBase: cssm.apiBase,
        devicesApiBase: cssm.devicesApiBase,
      },
      ...base,
      ...opts.config,
      http: { ...base.http, ...(opts.config?.http ?? {}) },
    },
  });
  const services = createServices({ db: h.db, secrets, repos, clock, logger, config });
  const p = await services.provision.provisionSmartAccount({
    source: 'cssm',
    domain: world.domain,
    clientId: world.clientId,
    clientSecret: world.clientSecret,
    requestedBy: 'test',
    sync: false,
  });
  return {
    cssm,
    dir,
    dbPath,
    h,
    repos,
    secrets,
    clock,
    config,
    services,
    logs,
    account: p.account,
    async close() {
      await services.close();
      await h.close();
      await cssm.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
