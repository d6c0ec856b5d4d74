import type { SyncOutcome, SyncProgress } from '../../core/services/index.ts';
import { defineCommand, escapeControl, plural, singleCommand } from './common.ts';
import { statusLineFor } from './output.ts';
import { openRuntime } from './runtime.ts';
import type { CliCommand, CliContext } from './types.ts';

const PHASE_TEXT: Record<SyncProgress['phase'], string> = {
  connect: 'connecting',
  'virtual-accounts': 'virtual accounts',
  licenses: 'licenses',
  tokens: 'tokens',
  devices: 'devices',
  clusters: 'cluster status',
  'token-refresh': 'token refresh',
  write: 'writing',
  done: 'done',
};

/** Progress on stderr: one redrawn bar on a terminal, one line per phase otherwise. */
export function progressPrinter(ctx: CliContext): {
  onProgress: (p: SyncProgress) => void;
  end: () => void;
} {
  const status = statusLineFor(ctx);
  const err = { write: (s: string) => status.write(s) };
  if (ctx.io.isTty) {
    let last = '';
    return {
      onProgress: (p) => {
        const frac = p.total > 0 ? p.done / p.total : p.phase === 'done' ? 1 : 0;
        const width = 20;
        const fill = Math.round(frac * width);
        const bar = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}]`;
        const count = p.total > 0 ? ` ${p.done}/${p.total}` : '';
        const line = `${bar} ${p.domain}: ${PHASE_TEXT[p.phase]}${count}`;
        if (line === last) return;
        last = line;
        status.set(escapeControl(line));
      },
      end: () => status.clear(),
    };
  }
  const seen = new Set<string>();
  return {
    onProgress: (p) => {
      if (p.phase === 'done') return;
      const key = `${p.accountId}|${p.phase}`;
      if (p.total > 0 && p.done === p.total && p.phase === 'clusters') {
        err.write(escapeControl(`${p.domain}: ${PHASE_TEXT[p.phase]} ${p.done}/${p.total}`));
        return;
      }
      if (seen.has(key)) return;
      seen.add(key);
      err.write(escapeControl(`${p.domain}: ${PHASE_TEXT[p.phase]}`));
    },
    end: () => undefined,
  };
}

/**
 * One line per outcome: what was read, or `CODE: message — action`. `domainWidth` pads the
 * domain so that the lines of one run line up.
 */
export function outcomeLine(o: SyncOutcome, domainWidth = 0): string {
  const domain = escapeControl(o.domain).padEnd(domainWidth);
  if (o.status === 'Failed') {
    const e = o.error;
    const why = e ? `${e.code}: ${e.message}${e.action ? ` — ${e.action}` : ''}` : 'failed';
    return escapeControl(`FAILED  ${domain}  ${why}${o.jobId !== null ? ` (job ${o.jobId})` : ''}`);
  }
  const c = o.counts;
  const parts = [
    `${c.virtualAccounts} VA`,
    plural(c.licenses, 'license'),
    plural(c.tokens, 'token'),
    plural(c.devices, 'device'),
    `clusters ${c.clustersRead}/${c.clusters} read`,
  ];
  if (c.tokensRefreshed > 0) parts.push(`${plural(c.tokensRefreshed, 'token')} refreshed`);
  parts.push(plural(o.requests, 'request'), `${(o.durationMs / 1000).toFixed(1)} s`);
  const lines = [
    `ok      ${domain}  ${parts.join(', ')}${o.joined ? ' (joined a sync already running)' : ''}`,
  ];
  if (o.skipped.length > 0) lines.push(`        unchanged, not re-read: ${o.skipped.join(', ')}`);
  if (o.satellite?.overdue) {
    lines.push(
      `        satellite sync overdue: last CSSM sync ${o.satellite.lastSync?.toISOString().slice(0, 10) ?? 'never'}`,
    );
  }
  for (const e of o.clusterErrors)
    lines.push(`        cluster ${e.cluster}: ${e.code}: ${e.message}`);
  return lines.map(escapeControl).join('\n');
}

export function outcomeJson(o: SyncOutcome): Record<string, unknown> {
  return JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
}

const syncCmd = defineCommand({
  name: 'sync',
  summary: 'sync accounts with CSSM / satellites and read cluster status',
  options: {
    account: { type: 'string', value: 'DOMAIN', help: 'sync this account only' },
    full: {
      type: 'boolean',
      help: 'read everything, even what has not changed since the last sync',
    },
  },
  json: 'array of outcomes {domain, status, counts, error, jobId, …} (see README)',
  description: `Reads every provisioned account (or the one named) from CSSM or its On-Prem satellite: virtual
accounts, licenses, tokens, devices and the smart-license status of every assigned cluster, and
stores it in one transaction per account. Registration tokens about to expire are refreshed.
Progress goes to stderr (a bar on a terminal, plain lines otherwise). Exit code 1 when any
account fails; its job carries the error code and the recommended action.`,
  examples: ['smartlic sync', 'smartlic sync --account nimbus-hcs.example.com --full --json'],
  async run({ values }, c) {
    const rt = await openRuntime(c);
    const progress = progressPrinter(c);
    try {
      const opts = {
        requestedBy: c.by,
        full: values.full === true,
        onProgress: progress.onProgress,
      };
      let outcomes: SyncOutcome[];
      if (values.account !== undefined) {
        outcomes = [await rt.services.sync.syncAccount(values.account, opts)];
      } else {
        outcomes = await rt.services.sync.syncAll(opts);
      }
      progress.end();
      if (c.out.json) {
        c.out.data(outcomes.map(outcomeJson));
      } else if (outcomes.length === 0) {
        c.out.print(
          `no accounts provisioned in ${rt.config.db.path}; add one with "smartlic account add"`,
        );
      } else {
        const width = Math.max(...outcomes.map((o) => o.domain.length));
        for (const o of outcomes) {
          c.out.print(outcomeLine(o, width));
          const cause = (o as { cause?: unknown }).cause;
          if (c.debug && cause instanceof Error && cause.stack) c.out.note(cause.stack);
        }
        const failed = outcomes.filter((o) => o.status === 'Failed').length;
        c.out.print(
          `${outcomes.length - failed} of ${plural(outcomes.length, 'account')} synced${failed ? `, ${failed} failed` : ''}`,
        );
      }
      return outcomes.some((o) => o.status === 'Failed') ? 1 : 0;
    } finally {
      progress.end();
      await rt.close();
    }
  },
});

export const syncCommand: CliCommand = singleCommand(syncCmd);
