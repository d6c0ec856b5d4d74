/**
 * Service Inventory license summary (DOMAIN §8): pipe-delimited rows between
 * `|LICENSESUMMARYSTART|` and `|LICENSESUMMARYEND|`:
 *
 *   |SUMMARY|PLMINFO| <va>@<sa> ,<CSSM|Satellite> ,<SubsID>,<ExpDate>,<Model>|<App>|<version>|<type>|<Installed>|<Required>|<Available>|<Status>|
 *   |SUMMARY|CUSTLICENSEINFO|<va>@<sa> ,<CSSM|Satellite>|~|~|<Customer>|<App>|<cluster address>|<type>|<count>|
 *   |SUMMARY|SITELICENSEINFO|~|~|<Customer>|~|<type>|<count>|
 *
 * Choices the public format leaves open [design]: `<sa>` is the SA domain, or the local
 * account for a satellite; SubsID / ExpDate / Model come from the line's term ending first
 * (perpetual: `~` dates); `<version>` is the highest major version among the VA's clusters of
 * that application, `~` when none; `~` marks any field with nothing to say. Types are HCS
 * report codes where the type maps to one (DOMAIN §6), else the catalog id. `|` in a value
 * becomes `/` so a field can never split.
 */
import { catalogIndex, isLicenseTypeId, licenseType } from '../domain/catalog.ts';
import { isShort } from '../domain/compliance.ts';
import { byType, hcsReportType } from './usage.ts';
import type { ReportDb } from './common.ts';
import { cmp } from './common.ts';

export const SI_START = '|LICENSESUMMARYSTART|';
export const SI_END = '|LICENSESUMMARYEND|';

const f = (v: string | number | null | undefined): string => {
  if (v === null || v === undefined || v === '') return '~';
  const t = String(v);
  // Most values have neither a `|` nor a line break: no replace (SI runs to ~50 000 rows).
  return /[|\r\n]/.test(t) ? t.replace(/\|/g, '/').replace(/[\r\n]+/g, ' ') : t;
};

function appCodeOf(type: string): string | null {
  return hcsReportType(type).appCode;
}

function appOf(type: string): string | null {
  return isLicenseTypeId(type) ? licenseType(type).app : null;
}

function major(version: string | null): number | null {
  const m = /^(\d+)/.exec(version ?? '');
  return m ? Number(m[1]) : null;
}

function publisherHost(address: string): string {
  try {
    return new URL(address).hostname;
  } catch {
    return address;
  }
}

/** The SI license summary as text, one row per line, ending with a newline. */
export async function serviceInventory(db: ReportDb): Promise<string> {
  const vas = await db
    .selectFrom('virtual_accounts as v')
    .innerJoin('smart_accounts as s', 's.id', 'v.smart_account_id')
    .select(['v.id', 'v.name', 's.domain', 's.source', 's.local_account_name'])
    .execute();
  const vaInfo = new Map(
    vas.map((v) => [
      v.id,
      {
        lm: `${v.name}@${v.local_account_name ?? v.domain}`,
        via: v.source === 'satellite' ? 'Satellite' : 'CSSM',
      },
    ]),
  );
  const lic = await db
    .selectFrom('licenses')
    .select([
      'id',
      'virtual_account_id',
      'license_type',
      'quantity',
      'in_use',
      'available',
      'status',
    ])
    .execute();
  const details = await db
    .selectFrom('license_details')
    .select(['license_id', 'license_type', 'end_date', 'subscription_id'])
    .orderBy('license_id')
    .orderBy('id')
    .execute();
  const firstTerm = new Map<number, (typeof details)[number]>();
  for (const d of details) {
    const prev = firstTerm.get(d.license_id);
    // The line ending first; perpetual (no end) only when there is nothing else.
    if (!prev || (d.end_date !== null && (prev.end_date === null || d.end_date < prev.end_date))) {
      firstTerm.set(d.license_id, d);
    }
  }
  // Three plain scans joined here: a join in SQL walks the clusters in customer order, one
  // row lookup each, which costs several times the scan (the rows are sorted below anyway).
  const customerName = new Map(
    (await db.selectFrom('customers').select(['id', 'name']).execute()).map((k) => [k.id, k.name]),
  );
  const publisherOf = new Map<number, string>();
  for (const n of await db
    .selectFrom('cluster_nodes')
    .select(['cluster_id', 'hostname'])
    .where('role', '=', 'publisher')
    .orderBy('id')
    .execute()) {
    // The first publisher row, as a left join returns first.
    if (!publisherOf.has(n.cluster_id)) publisherOf.set(n.cluster_id, n.hostname);
  }
  const clusters = (
    await db
      .selectFrom('clusters')
      .select([
        'id',
        'name',
        'type',
        'version',
        'virtual_account_id',
        'publisher_address',
        'customer_id',
      ])
      .execute()
  ).flatMap((c) => {
    const customer = customerName.get(c.customer_id);
    return customer === undefined
      ? []
      : [{ ...c, customer, hostname: publisherOf.get(c.id) ?? null }];
  });
  const versionOf = new Map<string, number>();
  for (const c of clusters) {
    const m = major(c.version);
    if (c.virtual_account_id === null || m === null) continue;
    const k = `${c.virtual_account_id}|${c.type}`;
    versionOf.set(k, Math.max(versionOf.get(k) ?? 0, m));
  }

  const out: string[] = [SI_START];
  const plm = lic
    .filter((l) => vaInfo.has(l.virtual_account_id))
    .map((l) => ({
      ...l,
      va: vaInfo.get(l.virtual_account_id)!,
      code: hcsReportType(l.license_type).reportCode,
      licenseType: l.license_type,
    }))
    .sort((a, b) => cmp(a.va.lm, b.va.lm) || byType(a, b));
  for (const l of plm) {
    const t = firstTerm.get(l.id);
    const app = appOf(l.license_type);
    const version = app ? versionOf.get(`${l.virtual_account_id}|${app}`) : undefined;
    const status = isShort({
      quantity: l.quantity,
      inUse: l.in_use,
      available: l.available,
      status: l.status,
    })
      ? 'Out of Compliance'
      : 'In Compliance';
    out.push(
      `|SUMMARY|PLMINFO| ${f(l.va.lm)} ,${l.va.via} ,${f(t?.subscription_id)},${f(t?.end_date?.slice(0, 10))},${f(t?.license_type)}|${f(appCodeOf(l.license_type))}|${f(version)}|${f(l.code)}|${l.quantity}|${l.in_use}|${l.available}|${status}|`,
    );
  }

  const usage = await db
    .selectFrom('cluster_license_usage')
    .select(['cluster_id', 'license_type', 'count'])
    .execute();
  const byCluster = new Map<number, { type: string; count: number }[]>();
  for (const u of usage) {
    const list = byCluster.get(u.cluster_id) ?? [];
    list.push({ type: u.license_type, count: u.count });
    byCluster.set(u.cluster_id, list);
  }
  const cust: {
    va: string;
    via: string;
    customer: string;
    cluster: string;
    app: string;
    address: string;
    code: string;
    count: number;
    order: number;
  }[] = [];
  const site = new Map<string, { customer: string; code: string; count: number; order: number }>();
  const custByKey = new Map<string, (typeof cust)[number]>();
  for (const c of clusters) {
    for (const u of byCluster.get(c.id) ?? []) {
      const r = hcsReportType(u.type);
      const order = isLicenseTypeId(r.hcsType) ? catalogIndex(r.hcsType) : 1000;
      const info = c.virtual_account_id === null ? undefined : vaInfo.get(c.virtual_account_id);
      const k = `${c.customer}|${r.reportCode}`;
      const s = site.get(k) ?? { customer: c.customer, code: r.reportCode, count: 0, order };
      s.count += u.count;
      site.set(k, s);
      // One row per cluster and report code: usages the labelling rule gives one code (an
      // Enterprise-mode cluster's Basic and Enhanced are both HUCM_Foundation) add up, as the
      // HLM report's customer rows do.
      const ck = `${c.id}|${r.reportCode}`;
      const same = custByKey.get(ck);
      if (same) {
        same.count += u.count;
        continue;
      }
      const row = {
        va: info?.lm ?? '~',
        via: info?.via ?? '~',
        customer: c.customer,
        cluster: c.name,
        app: r.appCode ?? '~',
        address: c.hostname ?? publisherHost(c.publisher_address),
        code: r.reportCode,
        count: u.count,
        order,
      };
      custByKey.set(ck, row);
      cust.push(row);
    }
  }
  cust.sort(
    (a, b) =>
      cmp(a.va, b.va) ||
      cmp(a.customer, b.customer) ||
      cmp(a.cluster, b.cluster) ||
      a.order - b.order ||
      cmp(a.code, b.code),
  );
  for (const c of cust) {
    out.push(
      `|SUMMARY|CUSTLICENSEINFO|${f(c.va)} ,${c.via}|~|~|${f(c.customer)}|${f(c.app)}|${f(c.address)}|${f(c.code)}|${c.count}|`,
    );
  }
  const sites = [...site.values()].sort(
    (a, b) => cmp(a.customer, b.customer) || a.order - b.order || cmp(a.code, b.code),
  );
  for (const s of sites) {
    out.push(`|SUMMARY|SITELICENSEINFO|~|~|${f(s.customer)}|~|${f(s.code)}|${s.count}|`);
  }
  out.push(SI_END);
  return out.join('\n') + '\n';
}
