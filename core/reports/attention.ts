/**
 * What needs an operator's attention now: the open alerts, nothing else. `status` (terminal
 * and chat), the site's overview, customer, VA and cluster pages all render these records —
 * the same ids, severities and titles as `alerts` — and none computes a list of its own.
 * Each item says which clusters, VAs, customers and Smart Accounts it concerns, so a page
 * filters the one list instead of deciding again what is in trouble.
 */
import type { AlertSeverity } from '../store/schema.ts';
import { cmp, dateOrNull, type ReportDb } from './common.ts';

/** One open, unmuted alert, as every face shows it. */
export interface AttentionItem {
  /** The alert's id (`alerts`, `mute <id>`). */
  id: number;
  severity: AlertSeverity;
  rule: string;
  entity: { kind: string; id: string; name: string };
  /** `cluster hooli-cucm-01`, `VA va-globex`, … */
  subject: string;
  /** The alert's title: the same words as `alerts` and the alert messages. */
  message: string;
  action: string | null;
  dueAt: Date | null;
  firstSeen: Date;
  customer: { id: number; name: string } | null;
  smartAccountId: number | null;
  /** What the alert is about, by id: its entity, the clusters it names, and what holds them. */
  concerns: {
    clusters: number[];
    virtualAccounts: number[];
    customers: number[];
    smartAccounts: number[];
  };
}

export interface AttentionList {
  /** Open alerts not muted now, most severe first (as `alerts` orders them). */
  items: AttentionItem[];
  /** Open alerts muted now (by the alert or a rule mute): not in `items`. */
  muted: AttentionItem[];
}

export const SEVERITY_ORDER: readonly AlertSeverity[] = ['critical', 'warning', 'info'];

const ids = (s: unknown): number[] =>
  typeof s === 'string'
    ? s
        .split(',')
        .map((x) => Number(x.trim()))
        .filter((n) => Number.isInteger(n) && n > 0)
    : [];

const uniq = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);

/** The open alerts as the attention list, each with what it concerns. */
export async function attentionList(db: ReportDb, opts: { now: Date }): Promise<AttentionList> {
  const at = opts.now.toISOString();
  const [rows, ruleMutes, clusters, vas] = await Promise.all([
    db.selectFrom('alerts').selectAll().where('state', '=', 'open').execute(),
    db
      .selectFrom('alert_mutes')
      .select(['rule', 'entity_type', 'entity_id'])
      .where('until', '>', at)
      .execute(),
    db.selectFrom('clusters').select(['id', 'customer_id', 'virtual_account_id']).execute(),
    db
      .selectFrom('virtual_accounts')
      .select(['id', 'name', 'smart_account_id'])
      .where('removed_at', 'is', null)
      .execute(),
  ]);
  const muteKeys = new Set(ruleMutes.map((m) => `${m.rule}|${m.entity_type}|${m.entity_id}`));
  const clusterById = new Map(clusters.map((c) => [c.id, c]));
  const vaById = new Map(vas.map((v) => [v.id, v]));
  const vaByName = new Map(vas.map((v) => [`${v.smart_account_id}|${v.name}`, v]));
  const clustersOfVa = new Map<number, number[]>();
  for (const c of clusters) {
    if (c.virtual_account_id === null) continue;
    const l = clustersOfVa.get(c.virtual_account_id) ?? [];
    l.push(c.id);
    clustersOfVa.set(c.virtual_account_id, l);
  }
  const rank = (s: AlertSeverity) => SEVERITY_ORDER.indexOf(s);
  // The order of `alerts` (the store's list): severity, then the soonest deadline, then age.
  rows.sort(
    (a, b) =>
      rank(a.severity) - rank(b.severity) ||
      Number(a.due_at === null) - Number(b.due_at === null) ||
      cmp(a.due_at ?? '', b.due_at ?? '') ||
      cmp(a.first_seen, b.first_seen) ||
      a.id - b.id,
  );
  const items: AttentionItem[] = [];
  const muted: AttentionItem[] = [];
  for (const r of rows) {
    const isMuted =
      (r.muted_until !== null && r.muted_until > at) ||
      muteKeys.has(`${r.rule}|${r.entity_type}|${r.entity_id}`);
    let facts: Record<string, unknown> = {};
    try {
      const parsed: unknown = r.details ? JSON.parse(r.details) : {};
      if (parsed && typeof parsed === 'object') facts = parsed as Record<string, unknown>;
    } catch {
      // A row written by hand with bad JSON still lists; it just names nothing beside its entity.
    }
    const named = ids(facts.clusterIds);
    const cl: number[] = [];
    const va: number[] = [];
    const cu: number[] = r.customer_id !== null ? [r.customer_id] : [];
    const sa: number[] = r.smart_account_id !== null ? [r.smart_account_id] : [];
    const entityId = Number(r.entity_id);
    if (r.entity_type === 'cluster' && clusterById.has(entityId)) cl.push(entityId);
    if (r.entity_type === 'VA' && vaById.has(entityId)) {
      va.push(entityId);
      // A VA's alert concerns every customer drawing on it; it names only the clusters it hurts.
      for (const id of clustersOfVa.get(entityId) ?? []) cu.push(clusterById.get(id)!.customer_id);
    }
    if (r.entity_type === 'token' && r.smart_account_id !== null) {
      const v =
        typeof facts.va === 'string'
          ? vaByName.get(`${r.smart_account_id}|${facts.va}`)
          : undefined;
      if (v) va.push(v.id);
    }
    if (r.entity_type === 'customer' && Number.isInteger(entityId)) cu.push(entityId);
    for (const id of named) if (clusterById.has(id)) cl.push(id);
    for (const id of cl) {
      const c = clusterById.get(id)!;
      cu.push(c.customer_id);
      if (c.virtual_account_id !== null) {
        va.push(c.virtual_account_id);
        const v = vaById.get(c.virtual_account_id);
        if (v) sa.push(v.smart_account_id);
      }
    }
    for (const id of va) {
      const v = vaById.get(id);
      if (v) sa.push(v.smart_account_id);
    }
    (isMuted ? muted : items).push({
      id: r.id,
      severity: r.severity,
      rule: r.rule,
      entity: { kind: r.entity_type, id: r.entity_id, name: r.entity_name ?? r.entity_id },
      subject: `${r.entity_type} ${r.entity_name ?? r.entity_id}`,
      message: r.message,
      action: r.action,
      dueAt: dateOrNull(r.due_at),
      firstSeen: new Date(r.first_seen),
      customer: r.customer_id !== null ? { id: r.customer_id, name: r.customer_name ?? '' } : null,
      smartAccountId: r.smart_account_id,
      concerns: {
        clusters: uniq(cl),
        virtualAccounts: uniq(va),
        customers: uniq(cu),
        smartAccounts: uniq(sa),
      },
    });
  }
  return { items, muted };
}

/** Which part of the one list a page shows. */
export type AttentionScope =
  | { customerId: number }
  | { virtualAccountId: number }
  | { clusterId: number }
  | { smartAccountId: number };

/** The items of the one list that concern a customer, VA, cluster or Smart Account. */
export function attentionFor(
  items: readonly AttentionItem[],
  scope: AttentionScope,
): AttentionItem[] {
  if ('customerId' in scope)
    return items.filter((i) => i.concerns.customers.includes(scope.customerId));
  if ('virtualAccountId' in scope)
    return items.filter((i) => i.concerns.virtualAccounts.includes(scope.virtualAccountId));
  if ('clusterId' in scope)
    return items.filter((i) => i.concerns.clusters.includes(scope.clusterId));
  return items.filter((i) => i.concerns.smartAccounts.includes(scope.smartAccountId));
}

/** Clusters named by the items (the "clusters in trouble"). */
export function clustersInTrouble(items: readonly AttentionItem[]): Set<number> {
  return new Set(items.flatMap((i) => i.concerns.clusters));
}

/** Open alerts per severity. */
export function severityCounts(items: readonly AttentionItem[]): Record<AlertSeverity, number> {
  const out: Record<AlertSeverity, number> = { critical: 0, warning: 0, info: 0 };
  for (const i of items) out[i.severity]++;
  return out;
}
