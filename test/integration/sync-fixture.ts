/**
 * Shared set-up of the sync/provision integration tests: the real emulator on loopback, a real
 * SQLite temp file, the real services. The smartlic clock is a TestClock kept equal to the
 * emulator's frozen simulated clock, so both sides move by days together.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator, type StartOptions } from '../../emulator/index.ts';
import { TestClock } from '../../core/clock.ts';
import { loadConfig, type Config } from '../../core/config.ts';
import { createLogger } from '../../core/log.ts';
import { createServices, type Services } from '../../core/services/index.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  type Repositories,
  type StoreHandle,
} from '../../core/store/index.ts';
import { openTestStore, type StoreKind } from '../support/pg.ts';
import type { Metrics } from '../../core/metrics.ts';
import type { ClusterType } from '../../core/store/schema.ts';

export interface Fixture {
  emu: RunningEmulator;
  dir: string;
  dbPath: string;
  h: StoreHandle;
  repos: Repositories;
  secrets: SecretBox;
  clock: TestClock;
  config: Config;
  services: Services;
  logs: string[];
  cloud(i?: number): { account: string; clientId: string; clientSecret: string };
  onprem(account: string): { account: string; clientId: string; clientSecret: string };
  /** GET /__emulator/state. */
  state(): Promise<EmuState>;
  admin(path: string, body?: unknown, method?: string): Promise<unknown>;
  /** Moves the emulator and the smartlic clock by `days` together. */
  advanceDays(days: number): Promise<void>;
  faults(body: Record<string, unknown> | null): Promise<void>;
  close(): Promise<void>;
}

export type EmuState = {
  now: string;
  smartAccounts: {
    domain: string;
    name: string;
    type: string;
    virtualAccounts: {
      name: string;
      isDefault: boolean;
      licenses: { license: string; quantity: number; inUse: number; available: number }[];
      tokens: { token: string; status: string; expiresAt: string }[];
    }[];
  }[];
  satellites: {
    name: string;
    syncMode: string;
    lastSync: string | null;
    localAccounts: {
      name: string;
      virtualAccount: string;
      licenses: { license: string; quantity: number; inUse: number; available: number }[];
      tokens: { token: string; status: string }[];
    }[];
  }[];
  clusters: {
    name: string;
    customer: string;
    type: ClusterType;
    version: string;
    licensing: string;
    baseUrl: string | null;
    credentials: { username: string; password: string };
    nodes: { name: string; role: string }[];
    pool:
      | { via: 'cloud'; smartAccount: string; virtualAccount: string }
      | { via: 'satellite'; localAccount: string; virtualAccount: string }
      | null;
    registration: { status: string | null };
    authorization: { status: string | null };
  }[];
};

export async function setup(
  opts: {
    emulator?: StartOptions;
    /** An emulator already running (e.g. in a child process); closed with the fixture. */
    external?: RunningEmulator;
    config?: Record<string, unknown>;
    sync?: { deepReadMaxAgeMs?: number; clusterStatusMaxAgeMs?: number };
    /** Handed to the services (test/integration/metrics.test.ts). */
    metrics?: Metrics;
    /** Which store (test/support/pg.ts); SQLite at `dbPath` by default. */
    store?: StoreKind;
  } = {},
): Promise<Fixture> {
  const emu =
    opts.external ??
    (await startEmulator({ port: 0, scenario: 'demo', frozen: true, ...opts.emulator }));
  const dir = mkdtempSync(join(tmpdir(), 'smartlic-sync-'));
  const dbPath = join(dir, 'smartlic.db');
  const h = await openTestStore(opts.store ?? 'sqlite', { path: dbPath });
  await migrateToLatest(h.db);
  const secrets = SecretBox.random();
  const clock = new TestClock(emu.ready.now);
  const repos = createRepositories(h.db, secrets, clock);
  const logs: string[] = [];
  const logger = createLogger({
    level: 'warn',
    write: (l) => logs.push(l),
    now: () => clock.now(),
  });
  const config = loadConfig({
    env: {},
    overrides: {
      cssm: {
        tokenUrl: emu.ready.cloud.tokenUrl,
        apiBase: emu.ready.cloud.apiBase,
        devicesApiBase: emu.ready.cloud.devicesApiBase,
      },
      ...opts.config,
    },
  });
  const services = createServices({
    db: h.db,
    secrets,
    repos,
    clock,
    logger,
    config,
    ...(opts.sync ? { sync: opts.sync } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  const admin = async (path: string, body?: unknown, method?: string): Promise<unknown> => {
    const r = await fetch(`${emu.baseUrl}/__emulator/${path}`, {
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const j = await r.json();
    if (r.status >= 400) throw new Error(`admin ${path}: ${r.status} ${JSON.stringify(j)}`);
    return j;
  };
  const find = (kind: 'cloud' | 'onprem', account?: string, i = 0) => {
    const list = emu.ready.clients.filter(
      (c) => c.for === kind && (account === undefined || c.account === account),
    );
    const c = list[i];
    if (!c) throw new Error(`no ${kind} client ${account ?? i}`);
    return { account: c.account, clientId: c.clientId, clientSecret: c.clientSecret };
  };
  return {
    emu,
    dir,
    dbPath,
    h,
    repos,
    secrets,
    clock,
    config,
    services,
    logs,
    cloud: (i = 0) => find('cloud', undefined, i),
    onprem: (account) => find('onprem', account),
    state: async () => (await admin('state')) as EmuState,
    admin,
    async advanceDays(days) {
      await admin('clock', { advance: `P${days}D` });
      clock.advance({ days });
    },
    async faults(body) {
      if (body === null) await admin('faults', undefined, 'DELETE');
      else await admin('faults', body);
    },
    async close() {
      await services.close();
      await h.close();
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Provisions the first cloud client's SA (the demo's nimbus-hcs) without a first sync. */
export async function provisionCloud(fx: Fixture, i = 0, sync = false) {
  const c = fx.cloud(i);
  return fx.services.provision.provisionSmartAccount({
    source: 'cssm',
    domain: c.account,
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    requestedBy: 'test',
    sync,
  });
}

export async function provisionSatellite(fx: Fixture, localAccount: string, sync = false) {
  const c = fx.onprem(localAccount);
  return fx.services.provision.provisionSmartAccount({
    source: 'satellite',
    domain: `${localAccount}.local`,
    localAccount,
    tokenUrl: fx.emu.ready.onprem.tokenUrl,
    apiBase: fx.emu.ready.onprem.apiBase,
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    requestedBy: 'test',
    sync,
  });
}

/**
 * Puts the emulator's smart-licensed clusters that sit in a pool of a provisioned account into
 * the database (customer, cluster with publisher URL and admin credentials, VA assignment), as
 * the cluster service would. Returns how many were added.
 */
export async function seedClusters(fx: Fixture): Promise<number> {
  const st = await fx.state();
  const accounts = await fx.repos.smartAccounts.list();
  let n = 0;
  for (const c of st.clusters) {
    if (c.licensing !== 'Smart' || !c.pool || !c.baseUrl) continue;
    const pool = c.pool;
    const sa =
      pool.via === 'cloud'
        ? accounts.find((a) => a.domain === pool.smartAccount)
        : accounts.find((a) => a.localAccountName === pool.localAccount);
    if (!sa) continue;
    const va = await fx.repos.virtualAccounts.getByName(sa.id, pool.virtualAccount);
    if (!va) continue;
    const customer = await fx.repos.customers.upsert({ name: c.customer });
    const row = await fx.repos.clusters.upsert({
      customerId: customer.id,
      name: c.name,
      type: c.type,
      version: c.version,
      publisherAddress: c.baseUrl,
      adminUsername: c.credentials.username,
      adminPassword: c.credentials.password,
    });
    // CSSM lists the product instance by the publisher's host name (the lab's node name).
    const pub = c.nodes.find((x) => x.role === 'publisher');
    if (pub)
      await fx.repos.clusters.replaceNodes(row.id, [
        { hostname: pub.name, address: null, role: 'publisher' },
      ]);
    await fx.repos.clusters.assign(row.id, va.id, 'Manually Registered');
    n++;
  }
  return n;
}

/** Every row a sync writes, for before/after comparisons (ids and sync bookkeeping left out). */
export async function snapshotData(fx: Fixture): Promise<Record<string, unknown[]>> {
  const db = fx.h.db;
  const strip = <T extends Record<string, unknown>>(rows: T[], drop: string[]) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k))));
  return {
    smart_accounts: strip(
      await db.selectFrom('smart_accounts').selectAll().orderBy('id').execute(),
      [
        'last_sync_at',
        'last_sync_status',
        'last_sync_error',
        // moved by every recorded sync result, failed ones too (the site's cue, migration 0018)
        'data_version',
        'updated_at',
        'client_secret_enc',
      ],
    ),
    virtual_accounts: await db.selectFrom('virtual_accounts').selectAll().orderBy('id').execute(),
    licenses: await db.selectFrom('licenses').selectAll().orderBy('id').execute(),
    license_details: await db.selectFrom('license_details').selectAll().orderBy('id').execute(),
    license_substitutions: await db
      .selectFrom('license_substitutions')
      .selectAll()
      .orderBy('id')
      .execute(),
    usage_snapshots: await db.selectFrom('usage_snapshots').selectAll().orderBy('id').execute(),
    registration_tokens: strip(
      await db.selectFrom('registration_tokens').selectAll().orderBy('id').execute(),
      ['token_enc'],
    ),
    devices: await db.selectFrom('devices').selectAll().orderBy('id').execute(),
    clusters: await db.selectFrom('clusters').selectAll().orderBy('id').execute(),
    cluster_license_usage: await db
      .selectFrom('cluster_license_usage')
      .selectAll()
      .orderBy('cluster_id')
      .orderBy('license_type')
      .execute(),
    local_accounts: await db.selectFrom('local_accounts').selectAll().orderBy('id').execute(),
  };
}
