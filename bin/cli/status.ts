/** `smartlic status`: accounts, compliance, clusters and what needs attention, in one look. */
import * as reports from '../../core/reports/index.ts';
import { inputError, parseFlags } from './common.ts';
import { createOutput, type Column } from './output.ts';
import { openRuntime } from './runtime.ts';
import type { CliCommand, CliContext } from './types.ts';

const USAGE = `Usage: smartlic status [--wide] [--json]

The Smart Account Summary, virtual accounts out of compliance, clusters by authorization state
(as of now: timers run on when a product stops answering), open alerts, and the list of what
needs attention. Read from the database; nothing is asked of CSSM. The table fits the terminal
(100 columns when not a terminal); --wide shows every column in full.

Examples:
  smartlic status
  smartlic status --json`;

const HELP = 'smartlic status --help';

/** Renders the attention list (shared with `start`). */
export function attentionLines(items: readonly reports.AttentionItem[]): string[] {
  if (items.length === 0) return ['needs attention: nothing'];
  return [`needs attention (${items.length}):`, ...items.map((i) => `  - ${i.message}`)];
}

/** Last SyncUp as the Smart Account Summary shows it. */
export function lastSyncText(r: reports.SmartAccountSummaryRow): string {
  if (!r.lastSyncUp) return 'never';
  const st = r.lastSyncStatus && r.lastSyncStatus !== 'Success' ? ` (${r.lastSyncStatus})` : '';
  return `${r.lastSyncUp.toISOString().slice(0, 16).replace('T', ' ')} UTC${st}`;
}

/** The Alerts column: open alerts from the alerts table, plus the sync and satellite flags. */
export function alertsText(r: reports.SmartAccountSummaryRow): string {
  const parts: string[] = [];
  if (r.lastSyncStatus === 'Failed') parts.push('last sync failed');
  if (r.satelliteSyncOverdue) parts.push('satellite sync overdue');
  if (r.alerts.open > 0) {
    const sev = (['critical', 'warning', 'info'] as const)
      .filter((s) => r.alerts[s] > 0)
      .map((s) => `${r.alerts[s]} ${s}`);
    parts.push(`${r.alerts.open} open (${sev.join(', ')})`);
  }
  return parts.length ? parts.join('; ') : '-';
}

/** The Smart Account Summary's columns and rows, for `Output.table`. */
export function accountTable(
  rows: readonly reports.SmartAccountSummaryRow[],
): [(string | Column)[], string[][]] {
  return [
    [
      { header: 'Name', shrink: true },
      'Domain',
      { header: 'Type', optional: true, dropOrder: 2 },
      { header: 'Status', optional: true, dropOrder: 1 },
      'VA#',
      'Last SyncUp',
      { header: 'Alerts', shrink: true },
    ],
    rows.map((r) => [
      r.name,
      r.domain,
      r.typeLabel,
      r.status,
      String(r.virtualAccounts),
      lastSyncText(r),
      alertsText(r),
    ]),
  ];
}

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { json: { type: 'boolean' }, wide: { type: 'boolean' } },
    HELP,
  );
  if (positionals.length > 0)
    throw inputError(`unexpected argument "${positionals[0]}"`, `see "${HELP}"`);
  const rt = await openRuntime(ctx);
  try {
    const s = await reports.statusOverview(rt.db, { now: rt.clock.now() });
    if (values.json) {
      ctx.io.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      return 0;
    }
    const out = (l: string) => ctx.io.stdout.write(`${l}\n`);
    if (s.accounts.length === 0) {
      out(`no accounts provisioned in ${rt.config.db.path}; add one with "smartlic account add"`);
      return 0;
    }
    createOutput(ctx, { wide: values.wide === true }).table(...accountTable(s.accounts));
    out('');
    out(
      `virtual accounts: ${s.virtualAccounts.total}, ${s.virtualAccounts.outOfCompliance} out of compliance${s.virtualAccounts.missing > 0 ? `, ${s.virtualAccounts.missing} no longer listed by CSSM (kept; see \`smartlic va list\`)` : ''}`,
    );
    const auth = Object.entries(s.clusters.byAuthorization)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    out(
      `clusters: ${s.clusters.total}${auth ? ` (${auth})` : ''}; ${s.clusters.unreachable} unreachable, ${s.clusters.failed} failed`,
    );
    out(`open alerts: ${s.openAlerts}`);
    out('');
    for (const l of attentionLines(s.attention)) out(l);
    return 0;
  } finally {
    await rt.close();
  }
}

export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'one look: accounts, compliance, clusters, what needs attention',
  usage: USAGE,
  run,
};
