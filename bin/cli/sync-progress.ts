/**
 * A sync's progress on stderr (a redrawn bar on a terminal, one line per phase otherwise), for
 * `smartlic start` and for the registry's `sync` and `account add` run from a terminal.
 */
import type { SyncOutcome, SyncProgress } from '../../core/services/index.ts';
import { escapeControl } from './common.ts';
import { statusLineFor } from './output.ts';
import type { CliContext } from './types.ts';

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

export function outcomeJson(o: SyncOutcome): Record<string, unknown> {
  return JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
}
