/**
 * The estate a chat-face benchmark (bot.bench, mcp.bench) answers from: every account of the
 * emulator at `--scale` provisioned, its Smart-licensed clusters stored and assigned, one full
 * sync. Real: the emulator over HTTP on 127.0.0.1, SQLite, the services; not timed.
 */
import { systemClock } from '../../core/clock.ts';
import { loadConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { createServices } from '../../core/services/index.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
  resolveSecretKey,
  verifySecretKey,
} from '../../core/store/index.ts';

/** What the emulator prints when it is ready (the parts the set-up reads). */
export interface BenchEmulatorReady {
  cloud: { tokenUrl: string; apiBase: string; devicesApiBase: string };
  onprem: { tokenUrl: string; apiBase: string };
  admin: string;
  clients: { for: 'cloud' | 'onprem'; account: string; clientId: string; clientSecret: string }[];
}

/** Builds the estate in `dbPath`; the caller closes `services` and `h` when it has read them. */
export async function seedChatBenchEstate(
  ready: BenchEmulatorReady,
  env: NodeJS.ProcessEnv,
  dbPath: string,
  report: { scale: number; t0: number; out: (line: string) => void },
) {
  const { scale: SCALE, t0, out } = report;
  const config = loadConfig({
    env,
    overrides: { http: { pageSize: 1000 }, sync: { accountConcurrency: 32 } },
  });
  const h = openDatabase({ path: dbPath });
  await migrateToLatest(h.db);
  const secrets = new SecretBox(
    resolveSecretKey({ envValue: env.SMARTLIC_SECRET_KEY, dbPath }).key,
  );
  await verifySecretKey(h.db, secrets, systemClock);
  const repos = createRepositories(h.db, secrets, systemClock);
  const services = createServices({
    db: h.db,
    secrets,
    repos,
    clock: systemClock,
    logger: silentLogger,
    config,
  });
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (;;) {
        const c = ready.clients[next++];
        if (!c) return;
        const sat = c.for === 'onprem';
        await services.provision.provisionSmartAccount({
          source: sat ? 'satellite' : 'cssm',
          domain: sat ? `${c.account}.local` : c.account,
          ...(sat
            ? {
                localAccount: c.account,
                tokenUrl: ready.onprem.tokenUrl,
                apiBase: ready.onprem.apiBase,
              }
            : {}),
          clientId: c.clientId,
          clientSecret: c.clientSecret,
          requestedBy: 'bench',
          sync: false,
        });
      }
    }),
  );
  type EmuCluster = {
    name: string;
    customer: string;
    type: 'CUCM' | 'CUC' | 'CER';
    version: string;
    licensing: string;
    baseUrl: string | null;
    credentials: { username: string; password: string };
    pool: {
      via: string;
      smartAccount?: string;
      localAccount?: string;
      virtualAccount: string;
    } | null;
  };
  const st = (await (await fetch(`${ready.admin}/state`)).json()) as { clusters: EmuCluster[] };
  const accounts = await repos.smartAccounts.list();
  let stored = 0;
  for (const c of st.clusters) {
    if (c.licensing !== 'Smart' || !c.pool || !c.baseUrl) continue;
    const pool = c.pool;
    const sa =
      pool.via === 'cloud'
        ? accounts.find((a) => a.domain === pool.smartAccount)
        : accounts.find((a) => a.localAccountName === pool.localAccount);
    const va = sa && (await repos.virtualAccounts.getByName(sa.id, pool.virtualAccount));
    if (!va) continue;
    const customer = await repos.customers.upsert({ name: c.customer });
    const row = await repos.clusters.upsert({
      customerId: customer.id,
      name: c.name,
      type: c.type,
      version: c.version,
      publisherAddress: c.baseUrl,
      adminUsername: c.credentials.username,
      adminPassword: c.credentials.password,
    });
    await repos.clusters.assign(row.id, va.id, 'Manually Registered');
    stored++;
  }
  const ts = performance.now();
  await services.sync.syncAll({ requestedBy: 'bench', full: true });
  out(
    `set-up: scale ${SCALE}, ${accounts.length} accounts, ${stored} clusters, first full sync ${((performance.now() - ts) / 1000).toFixed(1)} s (set-up ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
  return { h, repos, services, accounts };
}

/**
 * A database a former run kept (BENCH_KEEP=1), opened as seedChatBenchEstate returns it, with
 * nothing written: its clusters point at the emulator's port of that run, so the emulator must
 * listen there again (BENCH_EMULATOR_PORT) for a sync against it.
 */
export async function openBenchEstate(env: NodeJS.ProcessEnv, dbPath: string) {
  const config = loadConfig({ env });
  const h = openDatabase({ path: dbPath });
  await migrateToLatest(h.db);
  const secrets = new SecretBox(
    resolveSecretKey({ envValue: env.SMARTLIC_SECRET_KEY, dbPath }).key,
  );
  await verifySecretKey(h.db, secrets, systemClock);
  const repos = createRepositories(h.db, secrets, systemClock);
  const services = createServices({
    db: h.db,
    secrets,
    repos,
    clock: systemClock,
    logger: silentLogger,
    config,
  });
  return { h, repos, services, accounts: await repos.smartAccounts.list() };
}
