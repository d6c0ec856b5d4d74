/**
 * The read-side subcommands of existing verbs: `cluster list`, `cluster show`, `va list`.
 * They only render core read models (core/reports); nothing is computed here.
 */
import * as reports from '../../core/reports/index.ts';
import { inputError, parseFlags, table, when } from './common.ts';
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

/** "61 (authorization)" or "". */
export function daysLeftText(r: { daysLeft: number | null; daysLeftOf: string | null }): string {
  return r.daysLeft === null ? '' : `${r.daysLeft} (${r.daysLeftOf})`;
}

/** `cluster show NAME`: Cluster detail. */
export async function clusterShow(args: string[], ctx: CliContext, help: string): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { customer: { type: 'string' }, json: { type: 'boolean' } },
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
    for (const [k, v] of lines) if (v) ctx.io.stdout.write(`${k.padEnd(w)}  ${v}\n`);
    if (d.usage.length > 0) {
      ctx.io.stdout.write(`\nLicense usage (as the product counts it)\n`);
      ctx.io.stdout.write(
        table(
          ['Type', 'Count', 'Status'],
          d.usage.map((u) => [u.label, String(u.count), u.status]),
        ),
      );
    }
    if (d.jobs.length > 0) {
      ctx.io.stdout.write(`\nLatest jobs\n`);
      ctx.io.stdout.write(
        table(
          ['Id', 'Job Type', 'Status', 'Initiated', 'Status Information'],
          d.jobs.map((j) => [
            String(j.id),
            j.jobType,
            j.status,
            when(j.initiatedAt),
            j.statusInformation ?? '',
          ]),
        ),
      );
    }
    return 0;
  });
}

/** `va list`: the Virtual Account Summary. */
export async function vaList(args: string[], ctx: CliContext, help: string): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { sa: { type: 'string' }, json: { type: 'boolean' } },
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
        'no virtual accounts (provision a Smart Account with `smartlic account add`)\n',
      );
      return 0;
    }
    ctx.io.stdout.write(
      table(
        [
          'Name',
          'SA Name',
          'Access Level',
          'Clusters #',
          'Customer #',
          'Mode',
          'Role',
          'Compliance',
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
        ]),
      ),
    );
    return 0;
  });
}
