/** Small helpers the handlers share: VA references, dates, and "did you mean" for entities. */
import { SmartlicError, escapeControl, reports, type store } from '../../../core/index.ts';
import { context, type Block } from '../reply.ts';
import { closest } from '../suggest.ts';
import type { BotCore, CommandContext } from '../registry.ts';

export function when(d: Date | null | undefined): string {
  return d ? `${d.toISOString().replace('T', ' ').slice(0, 16)} UTC` : '—';
}

/**
 * A whole-estate answer that is not current (core/reports/read-cache.ts: the data changed
 * since, or it aged; a newer one is being computed) says so first: it is the truth as of that
 * instant, not now. One computed by the ask itself because the read-model thread is being
 * restarted says that instead (it is current, only slower than usual).
 */
export function asOfNote(a: { asOf: Date; current: boolean; computedHere?: boolean }): Block[] {
  if (a.computedHere)
    return [
      context(
        'Computed for this ask: the thread that keeps whole-estate answers ready is restarting, so this took longer than usual.',
      ),
    ];
  if (a.current) return [];
  const at = `${a.asOf.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
  return [
    context(
      `As of ${at}: a newer answer is being computed (the data changed since, or this one is over a minute old); ask again in a few seconds.`,
    ),
  ];
}

export function day(d: Date | null | undefined): string {
  return d ? d.toISOString().slice(0, 10) : '—';
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

/** Who asked, as a job's `requestedBy` records it (`as` when a terminal acts for a chat user). */
export function requestedBy(actor: {
  platform: string;
  userId: string;
  onBehalfOf?: string;
}): string {
  return actor.onBehalfOf
    ? `${actor.onBehalfOf} as ${actor.platform}:${actor.userId}`
    : `${actor.platform}:${actor.userId}`;
}

/** Longest name accepted for a customer, cluster, account or description. */
export const MAX_NAME_LENGTH = 128;

/** Refuses a name that is empty, too long or holds control characters (INPUT). */
export function checkName(what: string, value: string, flag: string): string {
  if (value.trim() === '') throw inputError(`${flag}: the ${what} is empty`, `give a ${what}`);
  if (value.length > MAX_NAME_LENGTH) {
    throw inputError(
      `${flag}: the ${what} is ${value.length} characters long; at most ${MAX_NAME_LENGTH} are accepted`,
      `use a shorter ${what}`,
    );
  }
  if (escapeControl(value) !== value) {
    throw inputError(
      `${flag}: the ${what} "${escapeControl(value)}" holds control characters (newline, escape, …)`,
      'use printable characters only',
    );
  }
  return value;
}

/**
 * `--<flag> …` with a secret on the command line: refused, since argv is readable by every user
 * of the machine and stays in shell history (and a chat line stays in the channel).
 */
export function secretOnCommandLine(
  words: readonly string[],
  names: readonly string[],
  instead: string,
): string | undefined {
  for (const w of words) {
    const n = names.find((x) => w === `--${x}` || w.startsWith(`--${x}=`));
    if (n)
      return `--${n} is not accepted: a secret on the command line is visible to every user of the machine (ps, /proc) and stays in shell history. ${instead}.`;
  }
  return undefined;
}

/**
 * A secret a command needs, read by the terminal from the environment variable or standard
 * input its flags name. A chat never carries one: it is refused there, naming the terminal
 * command to run instead.
 */
export async function readSecretFlag(
  ctx: CommandContext,
  flags: Record<string, string | true>,
  what: string,
  names: { env: string; stdin: string },
  terminalCommand: string,
): Promise<string> {
  if (!ctx.console) {
    throw inputError(
      `the ${what} never goes through chat, so this command does not run here`,
      `run \`smartlic ${terminalCommand}\` in a terminal: it reads the ${what} from --${names.env} VAR or --${names.stdin}`,
    );
  }
  const env = flags[names.env];
  const stdin = flags[names.stdin] === true;
  if ((typeof env === 'string') === stdin) {
    throw inputError(
      `give the ${what} with exactly one of --${names.env} VAR or --${names.stdin}`,
      `see \`smartlic ${terminalCommand.split(' ').slice(0, 2).join(' ')} --help\``,
    );
  }
  return ctx.console.readSecret(typeof env === 'string' ? { env } : { stdin: true }, what, {
    env: `--${names.env}`,
    stdin: `--${names.stdin}`,
  });
}
