/** `GET /__emulator/state`: the whole model as JSON, for tests, scripts and operators. */
import { licensingModelFor } from '../../core/domain/versions.ts';
import type { Cluster } from './types.ts';
import type { World } from './world.ts';
import { iso } from '../util/time.ts';

const TRANSPORT_NAMES = ['Direct', 'Satellite', 'Proxy'] as const;

const d = (x: Date | undefined): string | null => (x ? iso(x.getTime()) : null);
const t = (x: number | undefined | null): string | null =>
  x === undefined || x === null ? null : iso(x);

export function nodeUrl(baseUrl: string, c: Cluster, node: string): string {
  return `${baseUrl}/uc/${encodeURIComponent(c.name)}/${encodeURIComponent(node)}`;
}

export function clusterState(w: World, c: Cluster, baseUrl: string) {
  const lc = w.lifecycle(c);
  const r = c.registration;
  // PLM-licensed releases have no smart agent: no smart-licensing states to show.
  const smart = licensingModelFor(c.version) === 'Smart';
  const pub = c.nodes.find((n) => n.role === 'publisher');
  const pool = r?.pool;
  return {
    name: c.name,
    customer: c.customer,
    type: c.type,
    version: c.version,
    licensing: licensingModelFor(c.version),
    licenseMode: c.licenseMode,
    baseUrl: pub ? nodeUrl(baseUrl, c, pub.name) : null,
    credentials: { username: c.credentials.username, password: c.credentials.password },
    nodes: c.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      baseUrl: nodeUrl(baseUrl, c, n.name),
    })),
    transport: { ...c.transport, modeName: TRANSPORT_NAMES[c.transport.mode] },
    demand: c.demand,
    udi: `PID:${c.udi.pid},SN:${c.udi.sn},UUID:${c.udi.uuid}`,
    intendedPool: c.intendedPool,
    pool: pool
      ? pool.kind === 'va'
        ? { key: pool.key, via: 'cloud', smartAccount: pool.sa.domain, virtualAccount: pool.name }
        : {
            key: pool.key,
            via: 'satellite',
            satellite: pool.satellite.name,
            localAccount: pool.name,
            smartAccount: pool.saDomain,
            virtualAccount: pool.vaName,
          }
      : null,
    cutoff: c.cutoff || w.faultCutoff.has(c.name),
    registration: {
      status: smart ? lc.registration : null,
      registeredAt: t(r?.registeredAt),
      lastIdRenewal: t(r?.lastIdRenewalAt),
      lastIdAttempt: t(r?.lastIdAttemptAt),
      lastIdStatus: r?.lastIdStatus ?? null,
      nextIdRenewal: d(lc.nextIdRenewal),
      registrationExpires: d(lc.registrationExpires),
      lastAttempt: c.lastRegistrationAttempt
        ? {
            at: iso(c.lastRegistrationAttempt.at),
            status: c.lastRegistrationAttempt.status,
            reason: c.lastRegistrationAttempt.reason,
          }
        : null,
    },
    authorization: {
      status: smart ? lc.authorization : null,
      lastSuccess: t(r?.lastAuthSuccessAt),
      lastAttempt: t(r?.lastAuthAttemptAt),
      lastStatus: r?.lastAuthStatus ?? null,
      lastFailReason: r?.lastAuthFailReason ?? null,
      nextAttempt: r && !r.expired ? iso(r.nextAuthAttemptAt) : null,
      authorizationExpires: d(lc.authorizationExpires),
      daysUntilAuthorizationExpiry: lc.daysUntilAuthorizationExpiry ?? null,
      evaluationDaysLeft: smart ? (lc.evaluationDaysLeft ?? null) : null,
      outOfComplianceSince: t(c.outOfComplianceSince),
      overageExpires: d(lc.overageExpires),
    },
  };
}

export function worldState(w: World, baseUrl: string, faults: unknown) {
  const now = w.now();
  return {
    scenario: w.name,
    now: iso(now),
    frozen: w.isFrozen,
    faults,
    smartAccounts: [...w.sas.values()].map((sa) => ({
      domain: sa.domain,
      name: sa.name,
      id: sa.id,
      type: sa.type,
      virtualAccounts: [...sa.vas.values()].map((va) => {
        const a = w.allocOf(va);
        return {
          name: va.name,
          description: va.description,
          isDefault: va.isDefault,
          role: va.role,
          licenseMode: va.licenseMode,
          extension: va.createdByExtension,
          licenses: a.records,
          shortages: a.result.shortages,
          tokens: [...va.tokens.values()].map((tk) => ({
            token: tk.token,
            description: tk.description,
            createdAt: iso(tk.createdAt),
            expiresAt: iso(tk.expiresAt),
            exportControlled: tk.exportControlled,
            status: w.tokenStatus(tk, now),
          })),
          clusters: [...va.products].map((c) => c.name),
          satelliteUsage: [...va.satelliteUsage].map(([la, u]) => ({
            localAccount: la,
            at: iso(u.at),
            requests: u.requests.length,
            devices: u.devices.length,
          })),
        };
      }),
    })),
    satellites: [...w.satellites.values()].map((s) => ({
      ...w.satelliteStatus(s, now),
      localAccounts: [...s.localAccounts.values()].map((la) => ({
        name: la.name,
        smartAccount: la.saDomain,
        virtualAccount: la.vaName,
        lastSync: t(la.syncedAt),
        licenses: w.allocOf(la).records,
        tokens: [...la.tokens.values()].map((tk) => ({
          token: tk.token,
          description: tk.description,
          createdAt: iso(tk.createdAt),
          expiresAt: iso(tk.expiresAt),
          exportControlled: tk.exportControlled,
          status: w.tokenStatus(tk, now),
        })),
        clusters: [...la.products].map((c) => c.name),
      })),
    })),
    clients: [...w.clients.values()].map((c) => ({
      for: c.kind,
      name: c.name,
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      accounts: c.kind === 'cloud' ? c.accounts : [c.localAccount],
      entitled: c.entitled,
    })),
    customers: [...w.customers.values()],
    clusters: [...w.clusters.values()].map((c) => clusterState(w, c, baseUrl)),
  };
}

/**
 * `GET /__emulator/inventory`: only what importing the lab into smartlic needs (the VAs' roles
 * and license modes, the satellites' local accounts, each cluster's name, customer, release,
 * publisher URL, credentials, nodes and pool). The whole state at scale 10000 computes every
 * VA's license allocation and is over a gigabyte parsed; this is a fraction of it.
 */
export function inventoryState(w: World, baseUrl: string) {
  return {
    smartAccounts: [...w.sas.values()].map((sa) => ({
      domain: sa.domain,
      virtualAccounts: [...sa.vas.values()].map((va) => ({
        name: va.name,
        role: va.role,
        licenseMode: va.licenseMode,
      })),
    })),
    satellites: [...w.satellites.values()].map((s) => ({
      localAccounts: [...s.localAccounts.values()].map((la) => ({
        name: la.name,
        smartAccount: la.saDomain,
        virtualAccount: la.vaName,
      })),
    })),
    clusters: [...w.clusters.values()].map((c) => {
      const pub = c.nodes.find((n) => n.role === 'publisher');
      const pool = c.registration?.pool;
      return {
        name: c.name,
        customer: c.customer,
        type: c.type,
        version: c.version,
        licenseMode: c.licenseMode,
        baseUrl: pub ? nodeUrl(baseUrl, c, pub.name) : null,
        credentials: { username: c.credentials.username, password: c.credentials.password },
        nodes: c.nodes.map((n) => ({ name: n.name, role: n.role })),
        pool: pool
          ? pool.kind === 'va'
            ? { via: 'cloud', smartAccount: pool.sa.domain, virtualAccount: pool.name }
            : {
                via: 'satellite',
                localAccount: pool.name,
                smartAccount: pool.saDomain,
                virtualAccount: pool.vaName,
              }
          : null,
      };
    }),
  };
}
