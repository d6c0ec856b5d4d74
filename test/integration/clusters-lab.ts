// The lab the cluster-workflow tests share (clusters-wire, registration-plan): a temp SQLite
// file with the real migrations and repositories, the real service container, and the real
// emulator over loopback (demo scenario, frozen clock) as CSSM and as the CUCM/CUC/CER
// publishers; the demo account synced, va-hcs-operational in HCS mode and va-acme in
// Enterprise mode. Faked: nothing but time (a TestClock at the emulator's now).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { TestClock } from '../../core/clock.ts';
import { loadConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
  type DatabaseHandle,
  type Repositories,
} from '../../core/store/index.ts';
import { JobFailedError, createServices, type Services } from '../../core/services/index.ts';

export interface EmuCluster {
  name: string;
  customer: string;
  type: string;
  version: string;
  baseUrl: string | null;
  credentials: { username: string; password: string };
  nodes: { name: string; role: string }[];
  registration: { status: string | null };
  licenseMode: string;
}

export const SA = 'nimbus-hcs.example.com';
export const OP_VA = `${SA}/va-hcs-operational`;
export const WHO = 'cli:wire-tester';

export interface ClustersLab {
  emu: RunningEmulator;
  h: DatabaseHandle;
  repos: Repositories;
  s: Services;
  /** The emulator's own record of a cluster (its admin state). */
  emuCluster(name: string): Promise<EmuCluster>;
  /** Adds an emulator cluster to smartlic as an operator would. */
  add(
    name: string,
    over?: { hostname?: string | null; axl?: string },
  ): ReturnType<Services['clusters']['add']>;
  close(): Promise<void>;
}

/** What a failed call threw: its code, message and action. Throws when it did not fail. */
export async function failure(
  p: Promise<unknown>,
): Promise<{ code: string; message: string; action?: string }> {
  try {
    await p;
  } catch (e) {
    const err =
      e instanceof JobFailedError
        ? e.error
        : (e as { code: string; message: string; action?: string });
    return { code: err.code, message: err.message, ...(err.action ? { action: err.action } : {}) };
  }
  throw new Error('expected a failure');
}

export async function clustersLab(prefix: string): Promise<ClustersLab> {
  const emu = await startEmulator({ port: 0, scenario: 'demo', frozen: true });
  const clock = new TestClock(emu.ready.now);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'smartlic.db');
  const h = openDatabase({ path, clock });
  await migrateToLatest(h.db);
  const secrets = SecretBox.random();
  const repos = createRepositories(h.db, secrets, clock);
  const config = loadConfig({
    env: {},
    overrides: {
      db: { path },
      http: { maxRetries: 0 },
      cssm: { devicesApiBase: emu.ready.cloud.devicesApiBase },
    },
  });
  const s = createServices({ db: h.db, secrets, repos, clock, logger: silentLogger, config });
  const cloud = emu.ready.clients.find((c) => c.for === 'cloud' && c.account === SA)!;
  await repos.smartAccounts.upsert({
    domain: SA,
    clientId: cloud.clientId,
    clientSecret: cloud.clientSecret,
    tokenUrl: emu.ready.cloud.tokenUrl,
    apiBase: emu.ready.cloud.apiBase,
    transportMode: 'Direct',
  });
  expect((await s.sync.syncAccount(SA, { requestedBy: WHO, full: true })).error).toBeUndefined();
  for (const va of ['va-hcs-operational', 'va-acme']) {
    await s.virtualAccounts.setLicenseMode({
      domain: SA,
      va,
      mode: va === 'va-acme' ? 'Enterprise' : 'HCS',
      requestedBy: WHO,
    });
  }
  const emuCluster = async (name: string): Promise<EmuCluster> =>
    (
      (await (await fetch(`${emu.ready.admin}/state`)).json()) as { clusters: EmuCluster[] }
    ).clusters.find((c) => c.name === name)!;
  return {
    emu,
    h,
    repos,
    s,
    emuCluster,
    async add(name, over = {}) {
      const c = await emuCluster(name);
      const hostname =
        over.hostname === undefined
          ? c.nodes.find((n) => n.role === 'publisher')!.name
          : over.hostname;
      return s.clusters.add({
        customer: c.customer,
        name: c.name,
        type: c.type,
        version: c.version,
        publisherAddress: c.baseUrl!,
        ...(hostname ? { publisherHostname: hostname } : {}),
        ...(over.axl ? { axlSchemaVersion: over.axl } : {}),
        adminUsername: c.credentials.username,
        adminPassword: c.credentials.password,
        requestedBy: WHO,
      });
    },
    async close() {
      await s.close();
      await h.close();
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
