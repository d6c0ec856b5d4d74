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
  type Services,
  type store,
} from '../../core/index.ts';
import type { RunningEmulator } from '../../emulator/index.ts';

const REQUESTED_BY = 'start';

// The emulator's inventory (GET /__emulator/state, an emulator extension): only what the
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
  const res = await fetch(`${emu.baseUrl}/__emulator/state`);
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

/** The lab's VA roles and license modes, on VAs that have no cluster yet. */
export async function applyLabVaSettings(deps: LabImportDeps, state: LabInventory): Promise<void> {
  const { repos, services } = deps;
  const accounts = await labAccounts(repos);
  for (const sa of state.smartAccounts) {
    const account = accounts.get(sa.domain);
    if (!account) continue;
    for (const v of sa.virtualAccounts) {
      const va = await repos.virtualAccounts.getByName(account.id, v.name);
      if (!va) continue;
      if (v.role === 'ordered' || v.role === 'operational')
        await repos.virtualAccounts.setRole(va.id, v.role);
      if (
        v.licenseMode &&
        va.licenseMode !== v.licenseMode &&
        (await repos.clusters.countByVirtualAccount(va.id)) === 0
      ) {
        await services.virtualAccounts.setLicenseMode({
          domain: account.domain,
          va: v.name,
          mode: v.licenseMode,
          requestedBy: REQUESTED_BY,
        });
      }
    }
  }

  // A satellite local account serves the cloud VA it maps to; it takes that VA's mode.
  for (const sat of state.satellites) {
    for (const la of sat.localAccounts) {
      const cloudVa = state.smartAccounts
        .find((sa) => sa.domain === la.smartAccount)
        ?.virtualAccounts.find((v) => v.name === la.virtualAccount);
      const account = accounts.get(la.name);
      const va = account
        ? await repos.virtualAccounts.getByName(account.id, la.virtualAccount)
        : undefined;
      if (!account || !va || !cloudVa?.licenseMode || va.licenseMode === cloudVa.licenseMode)
        continue;
      if ((await repos.clusters.countByVirtualAccount(va.id)) > 0) continue;
      await services.virtualAccounts.setLicenseMode({
        domain: account.domain,
        va: la.virtualAccount,
        mode: cloudVa.licenseMode,
        requestedBy: REQUESTED_BY,
      });
    }
  }
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
