import { parseArgs } from 'node:util';
import { SmartlicError } from '../../core/errors.ts';
import type { SyncOutcome, SyncProgress } from '../../core/services/index.ts';
import { requester } from './common.ts';
import { openRuntime } from './runtime.ts';
import { rebuildSiteAfterSync } from './site.ts';
import type { CliCommand, CliContext } from './types.ts';

const USAGE = `Usage: smartlic sync [--account DOMAIN] [--full] [--json]

Reads every provisioned account (or the one named) from CSSM or its On-Prem satellite: virtual
accounts, licenses, tokens, devices and the smart-license status of every assigned cluster, and
stores it in one transaction per account. Registration tokens about to expire are refreshed.

  --account DOMAIN  sync this account only
  --full            read everything, even what has not changed since the last sync
  --json            print the outcome of each account as JSON on stdout

Progress goes to stderr (a bar on a terminal, plain lines otherwise). Exit code 1 when any
account fails; its job carries the error code and the recommended action.`;

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
  const err = ctx.io.stderr;
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
        err.write(`\r\x1b[2K${line}`);
      },
      end: () => {
        if (last) err.write('\r\x1b[2K');
      },
    };
  }
  const seen = new Set<string>();
  return {
    onProgress: (p) => {
      if (p.phase === 'done') return;
      const key = `${p.accountId}|${p.phase}`;
      if (p.total > 0 && p.done === p.total && p.phase === 'clusters') {
        err.write(`${p.domain}: ${PHASE_TEXT[p.phase]} ${p.done}/${p.total}\n`);
        return;
      }
      if (seen.has(key)) return;
      seen.add(key);
      err.write(`${p.domain}: ${PHASE_TEXT[p.phase]}\n`);
    },
    end: () => undefined,
  };
}

/** One line per outcome: what was read, or `CODE: message — action`. */
export function outcomeLine(o: SyncOutcome): string {
  if (o.status === 'Failed') {
    const e = o.error;
    const why = e ? `${e.code}: ${e.message}${e.action ? ` — ${e.action}` : ''}` : 'failed';
    return `FAILED  ${o.domain}  ${why}${o.jobId !== null ? ` (job ${o.jobId})` : ''}`;
  }
  const c = o.counts;
  const parts = [
    `${c.virtualAccounts} VA`,
    `${c.licenses} licenses`,
    `${c.tokens} tokens`,
    `${c.devices} devices`,
    `clusters ${c.clustersRead}/${c.clusters} read`,
  ];
  if (c.tokensRefreshed > 0) parts.push(`${c.tokensRefreshed} token(s) refreshed`);
  parts.push(`${o.requests} requests`, `${(o.durationMs / 1000).toFixed(1)} s`);
  let line = `ok      ${o.domain}  ${parts.join(', ')}${o.joined ? ' (joined a sync already running)' : ''}`;
  if (o.skipped.length > 0) line += `\n        unchanged, not re-read: ${o.skipped.join(', ')}`;
  if (o.satellite?.overdue) {
    line += `\n        satellite sync overdue: last CSSM sync ${o.satellite.lastSync?.toISOString().slice(0, 10) ?? 'never'}`;
  }
  for (const e of o.clusterErrors)
    line += `\n        cluster ${e.cluster}: ${e.code}: ${e.message}`;
  return line;
}

export function outcomeJson(o: SyncOutcome): Record<string, unknown> {
  return JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
}

export const syncCommand: CliCommand = {
  name: 'sync',
  summary: 'sync accounts with CSSM / satellites and read cluster status',
  usage: USAGE,
  async run(args, ctx) {
    let values: { account?: string; full?: boolean; json?: boolean };
    try {
      ({ values } = parseArgs({
        args,
        options: {
          account: { type: 'string' },
          full: { type: 'boolean' },
          json: { type: 'boolean' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (e) {
      throw new SmartlicError({
        code: 'INPUT',
        message: (e as Error).message,
        action: 'see "smartlic sync --help"',
      });
    }
    const rt = await openRuntime(ctx);
    const progress = progressPrinter(ctx);
    try {
      const opts = {
        requestedBy: requester(),
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
      await rebuildSiteAfterSync(rt.config, rt.logger);
      if (values.json) {
        ctx.io.stdout.write(`${JSON.stringify(outcomes.map(outcomeJson), null, 2)}\n`);
      } else if (outcomes.length === 0) {
        ctx.io.stdout.write('no accounts provisioned; add one with "smartlic account add"\n');
      } else {
        for (const o of outcomes) {
          ctx.io.stdout.write(`${outcomeLine(o)}\n`);
          const cause = (o as { cause?: unknown }).cause;
          if (ctx.debug && cause instanceof Error && cause.stack) {
            ctx.io.stderr.write(`${cause.stack}\n`);
          }
        }
        const failed = outcomes.filter((o) => o.status === 'Failed').length;
        ctx.io.stdout.write(
          `${outcomes.length - failed} of ${outcomes.length} account(s) synced${failed ? `, ${failed} failed` : ''}\n`,
        );
      }
      return outcomes.some((o) => o.status === 'Failed') ? 1 : 0;
    } finally {
      progress.end();
      await rt.close();
    }
  },
};
