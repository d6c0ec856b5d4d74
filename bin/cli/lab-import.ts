/**
 * The embedded lab's inventory into smartlic, as `start` does it the first time (and the scale
 * bench with it): the lab's VA roles and license modes (smartlic's own settings: CSSM has no
 * such field), then its customers and clusters in one bulk import, the path of
 * `cluster import` (core: clusters/bulk-import.ts). A satellite's local account is found
 * by its local account name, whatever domain it was provisioned under.
 */
import { z } from 'zod';
import {
  SmartlicError,
  type ClusterImportReport,
  type ClusterImportRow,
  type Logger,
  type ProvisionRequest,
  type Services,
  type VaSettingsReport,
  type VaSettingsRow,
  type store,
} from '../../core/index.ts';
import type { RunningEmulator } from '../../emulator/index.ts';

const REQUESTED_BY = 'start';
/**
 * Accounts provisioned at once: each waits on a few round trips to CSSM (a token, the account,
 * its VAs), so eight overlap the waits without crowding the emulator or the store.
 */
const PROVISION_CONCURRENCY = 8;

// The emulator's inventory (GET /__emulator/inventory, an emulator extension): only what the
// import needs, parsed at the edge.
const emulatorState = z.object({
  smartAccounts: z.array(
    z.object({
      domain: z.string(),
      virtualAccounts: z.array(
        z.object({
          name: z.string(),
          role: z.string().nullable().optional(),
          licenseMode: z.enum(['Enterprise', 'HCS', 'HCS-LE']).nullable().optional(),
        }),
      ),
    }),
  ),
  satellites: z.array(
    z.object({
      localAccounts: z.array(
        z.object({ name: z.string(), smartAccount: z.string(), virtualAccount: z.string() }),
      ),
    }),
  ),
  clusters: z.array(
    z.object({
      name: z.string(),
      customer: z.string(),
      type: z.string(),
      version: z.string(),
      licenseMode: z.enum(['Enterprise', 'HCS', 'HCS-LE']),
      baseUrl: z.string(),
      credentials: z.object({ username: z.string(), password: z.string() }),
      nodes: z.array(z.object({ name: z.string(), role: z.string() })).default([]),
      pool: z
        .object({
          via: z.string(),
          smartAccount: z.string().optional(),
          virtualAccount: z.string().optional(),
          localAccount: z.string().optional(),
        })
        .nullable()
        .optional(),
    }),
  ),
});
export type LabInventory = z.infer<typeof emulatorState>;

/** What the lab import uses of the runtime. */
export interface LabImportDeps {
  services: Services;
  repos: store.Repositories;
  logger: Logger;
}

/** The emulator's inventory, parsed. */
export async function labInventory(emu: Pick<RunningEmulator, 'baseUrl'>): Promise<LabInventory> {
  const res = await fetch(`${emu.baseUrl}/__emulator/inventory`);
  const parsed = emulatorState.safeParse(await res.json());
  if (!parsed.success) {
    throw new SmartlicError({
      code: 'EMULATOR',
      message: `the emulator's inventory has an unexpected shape at ${parsed.error.issues[0]?.path.join('.') ?? '?'}`,
      action: 'run the emulator shipped with this version of smartlic',
    });
  }
  return parsed.data;
}

/** Accounts by the name the lab uses: a cloud SA's domain, a satellite's local account name. */
async function labAccounts(repos: store.Repositories): Promise<Map<string, store.SmartAccount>> {
  const out = new Map<string, store.SmartAccount>();
  for (const a of await repos.smartAccounts.list()) {
    out.set(a.domain, a);
    if (a.localAccountName) out.set(a.localAccountName, a);
  }
  return out;
}

/**
 * The lab's VA roles and license modes, through the bulk VA settings service (one job, one
 * audit row, the rules of `va mode`): every VA the lab gives a role or a mode, and each
 * satellite local account's VA with the mode of the cloud VA it serves. A VA that already has
 * clusters keeps its mode (a second `start` over an earlier database: the rule of `va mode`,
 * logged, not an error); anything else refused is an error of the emulator's inventory.
 */
export async function applyLabVaSettings(
  deps: LabImportDeps,
  state: LabInventory,
): Promise<VaSettingsReport> {
  const { repos, services } = deps;
  const accounts = await labAccounts(repos);
  const settings: VaSettingsRow[] = [];
  for (const sa of state.smartAccounts) {
    const account = accounts.get(sa.domain);
    if (!account) continue;
    for (const v of sa.virtualAccounts) {
      const role = v.role === 'ordered' || v.role === 'operational' ? v.role : undefined;
      if (!role && !v.licenseMode) continue;
      settings.push({
        domain: account.domain,
        va: v.name,
        ...(role ? { role } : {}),
        ...(v.licenseMode ? { mode: v.licenseMode } : {}),
      });
    }
  }
  // A satellite local account serves the cloud VA it maps to; it takes that VA's mode.
  const cloudModes = new Map<string, string>();
  for (const sa of state.smartAccounts) {
    for (const v of sa.virtualAccounts)
      if (v.licenseMode) cloudModes.set(`${sa.domain}/${v.name}`, v.licenseMode);
  }
  for (const sat of state.satellites) {
    for (const la of sat.localAccounts) {
      const account = accounts.get(la.name);
      const mode = cloudModes.get(`${la.smartAccount}/${la.virtualAccount}`);
      if (account && mode) settings.push({ domain: account.domain, va: la.virtualAccount, mode });
    }
  }
  const va = services.virtualAccounts;
  const input = { requestedBy: REQUESTED_BY, source: 'emulator' };
  const check = await va.applySettings({ ...input, settings, dryRun: true });
  const kept = new Set<number>();
  for (const p of check.problems) {
    if (p.code !== 'VA_CLUSTERS_ASSIGNED') {
      throw new SmartlicError({
        code: 'EMULATOR',
        message: `the emulator's virtual account ${p.va} cannot be set up: ${p.code}: ${p.message}`,
        action: p.action,
      });
    }
    kept.add(p.index);
    deps.logger.warn('virtual account keeps its settings: clusters are assigned', { va: p.va });
  }
  return va.applySettings({ ...input, settings: settings.filter((_, i) => !kept.has(i)) });
}

/**
 * Provisions every account the emulator offers (cloud SAs and satellite local accounts), a
 * few at a time (each its own check and `Provision Smart Account` job, as `account add`), then
 * sets the lab's VA roles and license modes and imports its customers and clusters the way an
 * operator would with `cluster import` (one bulk import). Idempotent: a second start updates
 * what the first stored.
 */
export async function provisionLab(
  deps: LabImportDeps,
  emu: Pick<RunningEmulator, 'baseUrl' | 'ready'>,
  out: (s: string) => void,
  opts: { concurrency?: number } = {},
): Promise<void> {
  const reqs: ProvisionRequest[] = emu.ready.clients.map((c) => {
    const satellite = c.for === 'onprem';
    return {
      source: satellite ? 'satellite' : 'cssm',
      domain: c.account,
      ...(satellite ? { localAccount: c.account } : {}),
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      tokenUrl: satellite ? emu.ready.onprem.tokenUrl : emu.ready.cloud.tokenUrl,
      apiBase: satellite ? emu.ready.onprem.apiBase : emu.ready.cloud.apiBase,
      // Stored with the account, so every process on this database syncs against the lab.
      ...(satellite ? {} : { devicesApiBase: emu.ready.cloud.devicesApiBase }),
      requestedBy: REQUESTED_BY,
      sync: false,
    };
  });
  // Dozens of accounts are listed one by one, as before; thousands in one line.
  const many = reqs.length > 50;
  const results = await deps.services.provision.provisionMany(reqs, {
    concurrency: opts.concurrency ?? PROVISION_CONCURRENCY,
    onEach: (r) => {
      if (many) return;
      const satellite = r.account.source === 'satellite';
      out(
        `provisioned ${satellite ? 'satellite local account' : 'smart account'} ${r.account.localAccountName ?? r.account.domain}: ${r.virtualAccounts.length} VA(s)`,
      );
    },
  });
  if (many) {
    const vas = results.reduce((n, r) => n + r.virtualAccounts.length, 0);
    out(`provisioned ${results.length} accounts: ${vas} VA(s)`);
  }

  const state = await labInventory(emu);
  const settings = await applyLabVaSettings(deps, state);
  if (settings.changed > 0) {
    out(`set the lab's VA roles and license modes: ${settings.changed} VA(s) changed`);
  }
  const r = await importLabClusters(deps, state);
  out(
    `imported ${state.clusters.length} cluster(s) from the emulator (${r.added} added, ${r.updated} updated, ${r.assigned} assigned${r.leftUnassigned ? `, ${r.leftUnassigned} left unassigned: see the log` : ''})`,
  );
}

/**
 * The lab's customers and clusters in one bulk import, each assigned to its pool's VA and
 * recorded as Manually Registered (the lab registered them already). A cluster whose
 * assignment the rules refuse (a VA without a license mode, a release without smart
 * licensing) is imported unassigned and logged, as one `cluster assign` failing did before;
 * anything else wrong with the lab's inventory is an error of the emulator.
 */
export async function importLabClusters(
  deps: LabImportDeps,
  state: LabInventory,
): Promise<ClusterImportReport & { leftUnassigned: number }> {
  const accounts = await labAccounts(deps.repos);
  const rows: ClusterImportRow[] = state.clusters.map((c, i) => {
    // CSSM lists a product instance by its publisher's host name: the lab's node name.
    const publisherHostname = c.nodes.find((n) => n.role === 'publisher')?.name;
    const pool = c.pool;
    const owner = pool ? (pool.localAccount ?? pool.smartAccount ?? '') : '';
    const domain = accounts.get(owner)?.domain ?? owner;
    return {
      line: i + 1,
      customer: c.customer,
      name: c.name,
      type: c.type.toUpperCase() as ClusterImportRow['type'],
      version: c.version,
      publisherAddress: c.baseUrl,
      adminUsername: c.credentials.username,
      adminPassword: c.credentials.password,
      ...(publisherHostname ? { publisherHostname } : {}),
      ...(pool ? { va: `${domain}/${pool.virtualAccount ?? ''}` } : {}),
    };
  });
  const input = {
    requestedBy: REQUESTED_BY,
    source: 'emulator',
    assignedStatus: 'Manually Registered' as const,
  };
  const clusters = deps.services.clusters;
  const check = await clusters.import({ ...input, rows, dryRun: true });
  const refused = new Map<number, string>();
  for (const p of check.problems) {
    if (p.column === 'va' || p.column === 'version') refused.set(p.line, p.message);
  }
  const other = check.problems.find((p) => !refused.has(p.line));
  if (other) {
    throw new SmartlicError({
      code: 'EMULATOR',
      message: `the emulator's cluster ${state.clusters[other.line - 1]?.name ?? '?'} cannot be imported: ${other.message}`,
      action: other.action,
    });
  }
  for (const [line, why] of refused) {
    deps.logger.warn('imported cluster left unassigned', {
      cluster: state.clusters[line - 1]?.name,
      reason: why,
    });
  }
  const r = await clusters.import({
    ...input,
    rows: rows.map((row) => {
      if (!refused.has(row.line)) return row;
      const { va: _unassigned, ...rest } = row;
      return rest;
    }),
  });
  return { ...r, leftUnassigned: refused.size };
}
