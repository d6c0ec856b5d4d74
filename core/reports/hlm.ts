/**
 * HLM report (DOMAIN §8) at VA level and at customer level, as rows, CSV and an Excel
 * workbook. The "LM Name" column reads `<VA> @ <SA>`; the other columns are our own [design].
 */
import { isShort } from '../domain/compliance.ts';
import { toCsv, toXlsx, type Cell } from './cells.ts';
import { cmp, licenseLabel, vaLabel, type ReportDb } from './common.ts';
import { byType, customerUsage, hcsReportType } from './usage.ts';

export type HlmStatus = 'Compliant' | 'Non-Compliant';

export interface HlmVaRow {
  /** `<VA> @ <SA domain or local account>` */
  lmName: string;
  virtualAccount: string;
  licenseType: string;
  label: string;
  installed: number;
  required: number;
  available: number;
  status: HlmStatus;
}

export interface HlmCustomerRow {
  customer: string;
  lmName: string | null;
  virtualAccount: string | null;
  /** Subscription ids of the VA's lines that serve this usage. */
  subscriptionIds: string[];
  licenseType: string;
  label: string;
  count: number;
  /**
   * Non-Compliant when a VA line it draws on is short or missing; unassigned: null. The type is
   * the usage's report label (hcsReportType), the same as in the Service Inventory report.
   */
  status: HlmStatus | null;
}

export type HlmReport =
  { level: 'va'; rows: HlmVaRow[] } | { level: 'customer'; rows: HlmCustomerRow[] };

export type HlmLevel = HlmReport['level'];

const lmName = (va: string, sa: string) => `${va} @ ${sa}`;

async function lines(db: ReportDb) {
  return db
    .selectFrom('licenses as l')
    .innerJoin('virtual_accounts as v', 'v.id', 'l.virtual_account_id')
    .innerJoin('smart_accounts as s', 's.id', 'v.smart_account_id')
    .select([
      'l.id',
      'l.virtual_account_id',
      'l.license_type',
      'l.quantity',
      'l.in_use',
      'l.available',
      'l.status',
      'v.name as va',
      's.domain',
      's.local_account_name',
    ])
    .execute();
}

/** The HLM report at `level` ("va" or "customer"). */
export async function hlmReport(db: ReportDb, opts: { level: HlmLevel }): Promise<HlmReport> {
  const all = await lines(db);
  if (opts.level === 'va') {
    const rows: HlmVaRow[] = all.map((l) => ({
      lmName: lmName(l.va, l.local_account_name ?? l.domain),
      virtualAccount: vaLabel(l.domain, l.va),
      licenseType: l.license_type,
      label: licenseLabel(l.license_type),
      installed: l.quantity,
      required: l.in_use,
      available: l.available,
      status: isShort({
        quantity: l.quantity,
        inUse: l.in_use,
        available: l.available,
        status: l.status,
      })
        ? 'Non-Compliant'
        : 'Compliant',
    }));
    rows.sort((a, b) => cmp(a.virtualAccount, b.virtualAccount) || byType(a, b));
    return { level: 'va', rows };
  }
  const subs = await db
    .selectFrom('license_details')
    .select(['license_id', 'subscription_id'])
    .where('subscription_id', 'is not', null)
    .orderBy('subscription_id')
    .execute();
  const subsOf = new Map<number, string[]>();
  for (const s of subs) {
    const list = subsOf.get(s.license_id) ?? [];
    if (!list.includes(s.subscription_id!)) list.push(s.subscription_id!);
    subsOf.set(s.license_id, list);
  }
  const lineOf = new Map(all.map((l) => [`${l.virtual_account_id}|${l.license_type}`, l]));
  const lmOf = new Map(
    (
      await db
        .selectFrom('virtual_accounts as v')
        .innerJoin('smart_accounts as s', 's.id', 'v.smart_account_id')
        .select(['v.id', 'v.name', 's.domain', 's.local_account_name'])
        .execute()
    ).map((v) => [v.id, lmName(v.name, v.local_account_name ?? v.domain)]),
  );
  const grouped = new Map<string, HlmCustomerRow & { short: boolean }>();
  for (const u of await customerUsage(db)) {
    // Labelled by the one rule the Service Inventory report follows too (hcsReportType): an
    // Enterprise-mode VA's usage shows under the HCS type it maps to. Its status and
    // subscriptions come from the VA's line that serves it: its own type's line when the VA
    // has one (an Enterprise VA), else the mapped HCS type's line.
    const type = hcsReportType(u.licenseType).hcsType;
    const line =
      u.virtualAccountId === null
        ? undefined
        : (lineOf.get(`${u.virtualAccountId}|${u.licenseType}`) ??
          lineOf.get(`${u.virtualAccountId}|${type}`));
    const short =
      !line ||
      isShort({
        quantity: line.quantity,
        inUse: line.in_use,
        available: line.available,
        status: line.status,
      });
    const key = `${u.customerId}|${u.virtualAccountId ?? ''}|${type}`;
    let row = grouped.get(key);
    if (!row) {
      row = {
        customer: u.customer,
        lmName: u.virtualAccountId === null ? null : (lmOf.get(u.virtualAccountId) ?? null),
        virtualAccount: u.virtualAccount,
        subscriptionIds: [],
        licenseType: type,
        label: licenseLabel(type),
        count: 0,
        status: null,
        short: false,
      };
      grouped.set(key, row);
    }
    row.count += u.count;
    if (u.virtualAccountId !== null) {
      // Non-Compliant when any line it draws on is short or missing.
      row.short ||= short;
      row.status = row.short ? 'Non-Compliant' : 'Compliant';
      for (const id of line ? (subsOf.get(line.id) ?? []) : [])
        if (!row.subscriptionIds.includes(id)) row.subscriptionIds.push(id);
    }
  }
  const rows = [...grouped.values()]
    .map(({ short: _short, ...row }) => row)
    .sort(
      (a, b) =>
        cmp(a.customer, b.customer) ||
        cmp(a.virtualAccount ?? '~', b.virtualAccount ?? '~') ||
        byType(a, b),
    );
  return { level: 'customer', rows };
}

/** Headers and cells of a report: what the text table, CSV and Excel all show. */
export function hlmTable(r: HlmReport): { headers: string[]; rows: Cell[][] } {
  if (r.level === 'va') {
    return {
      headers: ['LM Name', 'License Type', 'Installed', 'Required', 'Available', 'Status'],
      rows: r.rows.map((x) => [
        x.lmName,
        x.licenseType,
        x.installed,
        x.required,
        x.available,
        x.status,
      ]),
    };
  }
  return {
    headers: ['Customer', 'LM Name', 'Subscription ID', 'License Type', 'Count', 'Status'],
    rows: r.rows.map((x) => [
      x.customer,
      x.lmName,
      x.subscriptionIds.join(' '),
      x.licenseType,
      x.count,
      x.status,
    ]),
  };
}

export function hlmCsv(r: HlmReport): string {
  const t = hlmTable(r);
  return toCsv(t.headers, t.rows);
}

/** `at`: the workbook's stamp, from the caller's clock (the same data gives the same bytes). */
export function hlmXlsx(r: HlmReport, at?: Date): Promise<Buffer> {
  const t = hlmTable(r);
  return toXlsx(r.level === 'va' ? 'HLM by VA' : 'HLM by customer', t.headers, t.rows, at);
}
