/**
 * The read-side subcommands of existing verbs: `cluster list`, `cluster show`, `va list`.
 * They only render core read models (core/reports); nothing is computed here.
 */
import * as reports from '../../core/reports/index.ts';
import { inputError, parseFlags, when } from './common.ts';
import { createOutput } from './output.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import type { CliContext } from './types.ts';

async function withRuntime(ctx: CliContext, fn: (rt: Runtime) => Promise<number>): Promise<number> {
  const rt = await openRuntime(ctx);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

function json(ctx: CliContext, v: unknown): number {
  ctx.io.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
  return 0;
}

const day = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 10) : '');

/** Folds `text` at spaces to lines of at most `width`, continuation lines indented by `indent`. */
export function wrap(text: string, width: number, indent: number): string {
  if (!Number.isFinite(width) || text.length <= width || width < 20) return text;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** "61 (authorization)" or "". */
export function daysLeftText(r: { daysLeft: number | null; daysLeftOf: string | null }): string {
  return r.daysLeft === null ? '' : `${r.daysLeft} (${r.daysLeftOf})`;
}

/** `cluster show NAME`: Cluster detail. */
export async function clusterShow(args: string[], ctx: CliContext, help: string): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { customer: { type: 'string' }, json: { type: 'boolean' }, wide: { type: 'boolean' } },
    help,
  );
  const name = positionals[0];
  if (!name) throw inputError('cluster show needs the cluster name', `see "${help}"`);
  if (positionals.length > 1)
    throw inputError(`unexpected argument "${positionals[1]}"`, `see "${help}"`);
  return withRuntime(ctx, async (rt) => {
    const id = await reports.resolveCluster(rt.db, name, values.customer);
    const d = (await reports.clusterDetail(rt.db, { now: rt.clock.now(), clusterId: id }))!;
    if (values.json) return json(ctx, d);
    const o = createOutput(ctx, { wide: values.wide === true });
    const l = d.lifecycle;
    const lines: [string, string][] = [
      ['Name', d.name],
      ['Customer', d.customer],
      [
        'Type / Version',
        `${d.type} ${d.version ?? ''} (${d.licensing}${d.licenseMode ? `, ${d.licenseMode} mode` : ''})`,
      ],
      ['Publisher', d.publisherAddress],
      ['Virtual Account', d.virtualAccount ?? '(unassigned)'],
      ['Status', d.status ?? ''],
      [
        'Registration',
        `${l.registration ?? 'unknown'}${d.reported.registration && d.reported.registration !== l.registration ? ` (product said ${d.reported.registration})` : ''}`,
      ],
      [
        'Authorization',
        `${l.authorization ?? 'unknown'}${d.reported.authorization && d.reported.authorization !== l.authorization ? ` (product said ${d.reported.authorization})` : ''}`,
      ],
      [
        'State from',
        d.stateFrom === 'product'
          ? 'the product'
          : "CSSM's device list (Emergency Responder has no status interface)",
      ],
      ['Where from', l.basis],
      ['Days left', daysLeftText(d)],
      ['Authorization expires', day(l.authorizationExpires)],
      [
        'Next renewal',
        `${day(l.nextAuthorizationRenewal)}${l.authorizationRenewalDue ? ' (due)' : ''}`,
      ],
      ['Registration expires', day(l.registrationExpires)],
      [
        'Evaluation ends',
        l.evaluationExpires
          ? `${day(l.evaluationExpires)} (${l.evaluationDaysLeft} days left)`
          : '',
      ],
      [
        'Overage ends',
        l.overageExpires ? `${day(l.overageExpires)} (${l.overageDaysLeft} days left)` : '',
      ],
      ['Installed', day(d.dates.installedAt)],
      ['Registered', day(d.dates.registeredAt)],
      ['Last authorization', when(d.dates.lastAuthorizationSuccessAt)],
      ['Last ID renewal', when(d.dates.lastIdRenewalAt)],
      ['Out of compliance since', when(d.dates.outOfComplianceSince)],
      ['Last good read', when(d.dates.lastStatusReadAt)],
      [
        'Last failed read',
        d.lastReadErrorAt ? `${when(d.lastReadErrorAt)} — ${d.lastReadError ?? ''}` : '',
      ],
      ['Product UDI', d.productUdi ?? ''],
    ];
    const w = Math.max(...lines.map(([k]) => k.length));
    for (const [k, v] of lines) {
      if (v) ctx.io.stdout.write(`${k.padEnd(w)}  ${wrap(v, o.width - w - 2, w + 2)}\n`);
    }
    if (d.usage.length > 0) {
      ctx.io.stdout.write(`\nLicense usage (as the product counts it)\n`);
      o.table(
        [{ header: 'Type', shrink: true, min: 16 }, 'Count', { header: 'Status', shrink: true }],
        d.usage.map((u) => [u.label, String(u.count), u.status]),
      );
    }
    if (d.jobs.length > 0) {
      ctx.io.stdout.write(`\nLatest jobs\n`);
      o.table(
        [
          'Id',
          'Job Type',
          'Status',
          'Initiated',
          { header: 'Status Information', shrink: true, min: 20 },
        ],
        d.jobs.map((j) => [
          String(j.id),
          j.jobType,
          j.status,
          when(j.initiatedAt),
          j.statusInformation ?? '',
        ]),
      );
    }
    return 0;
  });
}

/** "since 2026-12-01 (3 syncs)" for a VA CSSM no longer lists; "" while it is listed. */
export function missingText(r: { missingSince: Date | null; missingSyncs: number }): string {
  if (r.missingSince === null) return '';
  return `since ${day(r.missingSince)} (${r.missingSyncs} sync${r.missingSyncs === 1 ? '' : 's'})`;
}

/** `va list`: the Virtual Account Summary. */
export async function vaList(args: string[], ctx: CliContext, help: string): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { sa: { type: 'string' }, json: { type: 'boolean' }, wide: { type: 'boolean' } },
    help,
  );
  if (positionals.length > 0)
    throw inputError(`unexpected argument "${positionals[0]}"`, `see "${help}"`);
  return withRuntime(ctx, async (rt) => {
    let smartAccountId: number | undefined;
    if (values.sa) {
      const sa = await rt.repos.smartAccounts.getByDomain(values.sa);
      if (!sa)
        throw inputError(
          `no Smart Account with domain ${values.sa}`,
          'see `smartlic account list`',
        );
      smartAccountId = sa.id;
    }
    const rows = await reports.virtualAccountSummary(
      rt.db,
      smartAccountId === undefined ? {} : { smartAccountId },
    );
    if (values.json) return json(ctx, rows);
    if (rows.length === 0) {
      ctx.io.stdout.write(
        `no virtual accounts in ${rt.config.db.path} (provision a Smart Account with \`smartlic account add\`)\n`,
      );
      return 0;
    }
    const missing = rows.filter((r) => r.missingSince !== null);
    createOutput(ctx, { wide: values.wide === true }).table(
      [
        'Name',
        { header: 'SA Name', optional: true, dropOrder: 1 },
        { header: 'Access Level', optional: true, dropOrder: 2 },
        'Clusters #',
        { header: 'Customer #', optional: true, dropOrder: 3 },
        'Mode',
        'Role',
        { header: 'Compliance', shrink: true, min: 13 },
        // Only when some VA is missing: since when CSSM's VA list lacks it.
        ...(missing.length > 0 ? [{ header: 'Missing in CSSM', min: 10 }] : []),
      ],
      rows.map((r) => [
        r.label,
        r.smartAccountName,
        r.accessLevel ?? '',
        String(r.clusters),
        String(r.customers),
        r.licenseMode ?? '-',
        r.role ?? '-',
        r.compliance === 'In Compliance'
          ? 'In Compliance'
          : `OUT (${r.shortTypes.map(reports.licenseLabel).join(', ')})`,
        missingText(r),
      ]),
    );
    if (missing.length > 0) {
      ctx.io.stdout.write(
        `\n${missing.length} virtual account(s) no longer listed by CSSM: kept with their settings; removed after sync.removeMissingAfterSyncs agreeing syncs, or by hand with \`smartlic va remove <sa>/<va> --yes\`\n`,
      );
    }
    return 0;
  });
}
