/** Small helpers the handlers share: VA references, dates, and "did you mean" for entities. */
import { SmartlicError, reports, type store } from '../../../core/index.ts';
import { closest } from '../suggest.ts';
import type { BotCore } from '../registry.ts';

export function when(d: Date | null | undefined): string {
  return d ? `${d.toISOString().replace('T', ' ').slice(0, 16)} UTC` : '—';
}

export function day(d: Date | null | undefined): string {
  return d ? d.toISOString().slice(0, 10) : '—';
}

/** `<domain>/<va>` → its parts; the VA name is after the last slash, as core reads it. */
export function splitVaRef(ref: string): { domain?: string; va: string } {
  const slash = ref.lastIndexOf('/');
  return slash > 0 ? { domain: ref.slice(0, slash), va: ref.slice(slash + 1) } : { va: ref };
}

/**
 * Turns core's NOT_FOUND into one that also names the closest existing names, so that a typo
 * in a cluster, VA or account gets "did you mean".
 */
export async function withSuggestions<T>(
  core: BotCore,
  kind: 'cluster' | 'va' | 'account' | 'customer',
  given: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof SmartlicError) || e.code !== 'NOT_FOUND') throw e;
    const names = await candidateNames(core, kind);
    const near = closest(kind === 'va' ? given : given, names);
    if (near.length === 0) throw e;
    throw new SmartlicError({
      code: e.code,
      message: `${e.message}. Did you mean ${near.map((n) => `"${n}"`).join(' or ')}?`,
      ...(e.action ? { action: e.action } : {}),
      cause: e,
    });
  }
}

async function candidateNames(
  core: BotCore,
  kind: 'cluster' | 'va' | 'account' | 'customer',
): Promise<string[]> {
  const { repos } = core;
  switch (kind) {
    case 'cluster':
      return (await repos.clusters.list()).map((c) => c.name);
    case 'customer':
      return (await repos.customers.list()).map((c) => c.name);
    case 'account':
      return (await repos.smartAccounts.list()).map((a) => a.domain);
    case 'va': {
      const accounts = new Map(
        (await repos.smartAccounts.list()).map((a: store.SmartAccount) => [a.id, a.domain]),
      );
      return (await repos.virtualAccounts.listAll()).flatMap((v) => [
        `${accounts.get(v.smartAccountId) ?? '?'}/${v.name}`,
        v.name,
      ]);
    }
  }
}

export function inputError(message: string, action: string): SmartlicError {
  return new SmartlicError({ code: 'INPUT', message, action });
}

/**
 * A VA from what an operator typed: `<domain>/<va>`, or a bare VA name when it is unique.
 * NOT_FOUND names the closest VAs.
 */
export async function resolveVa(core: BotCore, ref: string): Promise<reports.VirtualAccountRef> {
  return withSuggestions(core, 'va', ref, async () => {
    if (!ref.includes('/')) {
      const hits = (await reports.virtualAccountSummary(core.db)).filter((v) => v.name === ref);
      if (hits.length > 1) {
        throw inputError(
          `virtual account name ${ref} exists in ${hits.length} accounts (${hits.map((h) => h.label).join(', ')})`,
          'name it as <domain>/<va>',
        );
      }
      if (hits.length === 0) {
        // A smart account's domain alone: say how a VA is named (core's INPUT error).
        if (await core.repos.smartAccounts.getByDomain(ref))
          return reports.resolveVirtualAccount(core.db, ref);
        throw new SmartlicError({
          code: 'NOT_FOUND',
          message: `virtual account ${ref} does not exist`,
          action: '`vas` lists them',
        });
      }
      return reports.resolveVirtualAccount(core.db, hits[0]!.label);
    }
    return reports.resolveVirtualAccount(core.db, ref);
  });
}

export async function resolveClusterId(
  core: BotCore,
  name: string,
  customer?: string,
): Promise<number> {
  return withSuggestions(core, 'cluster', name, () =>
    reports.resolveCluster(core.db, name, customer),
  );
}

/** A named thing that is not there: NOT_FOUND, saying which. */
export function inputErrorNotFound(what: string): SmartlicError {
  return new SmartlicError({
    code: 'NOT_FOUND',
    message: `${what} does not exist`,
    action: 'check the name',
  });
}
