/**
 * The one command layer behind every platform: parse → find the verb → check the role →
 * confirm destructive commands → run the handler → audit. Adapters hand it a line and an
 * actor and get back a Reply (and, for writes, a follow-up that settles when the job ends).
 */
import {
  JobFailedError,
  isSmartlicError,
  recordSafely,
  toSmartlicError,
} from '../../core/index.ts';
import { GrammarError, parseArgs, tokenize } from './grammar.ts';
import {
  actorId,
  roleAllows,
  usageLine,
  type Actor,
  type BotCore,
  type ConsolePorts,
  type CommandContext,
  type CommandSpec,
  type HandlerResult,
  type JobRequest,
  type Registry,
  type Role,
} from './registry.ts';
import { buttons, context, errorReply, fields, section, type Block, type Reply } from './reply.ts';
import { Roles } from './roles.ts';
import { closest, didYouMean } from './suggest.ts';

export interface ExecuteOptions {
  /**
   * The terminal's own confirmation (a y/N answer). Honoured for the console only: a chat
   * press confirms through `ticket`, never through a flag the request carries.
   */
  confirmed?: boolean;
  /**
   * The id of the confirmation ticket a chat confirm button carried (Slack dialog, Webex card).
   * The command runs only if the ticket was issued to this person, in this channel, for this
   * exact line, and is unused and unexpired; '' (a press that carried none) is refused.
   */
  ticket?: string;
  /**
   * The role of the MCP token the adapter verified (bot/mcp); honoured for the `mcp` platform
   * only, which has no other source of a role.
   */
  mcpRole?: Role;
  /** The terminal's ports (secrets from env / stdin, progress); used for the console only. */
  console?: ConsolePorts;
}

export interface Outcome {
  reply: Reply;
  /** For writes: the job's end, as a reply to post in the thread / after the first answer. */
  followUp?: Promise<Reply>;
}

export type AuditOutcome =
  | 'ok'
  | 'error'
  | 'denied'
  | 'unknown-verb'
  | 'usage'
  | 'confirm-asked'
  | 'confirm-refused'
  | 'job-started';

const YES = { name: 'yes', boolean: true, help: 'confirm a destructive command (terminal)' };
const HELP = { name: 'help', boolean: true, help: 'show usage and an example' };

/**
 * Read commands run one at a time, in the order they came. Each is synchronous SQLite work
 * on one thread (better-sqlite3), so running several at once answers none of them sooner; it
 * only holds several whole-estate result sets in memory together (docs/bot.md, "Memory").
 * Writes are not queued here: their handlers may wait on CSSM or a cluster.
 */
class ReadQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export class CommandLayer {
  readonly roles: Roles;
  private readonly reads = new ReadQueue();

  constructor(
    readonly core: BotCore,
    readonly registry: Registry,
  ) {
    this.roles = new Roles(core.repos.chatUsers, core.config.bot);
  }

  /** One command's metrics: verb (registry names only) and outcome; on the terminal, the wait. */
  private observe(actor: Actor, verb: string | undefined, outcome: AuditOutcome, t0: number): void {
    const m = this.core.metrics;
    if (!m) return;
    recordSafely(m, {
      kind: 'command',
      platform: actor.platform,
      verb: verb ?? 'unknown',
      outcome,
    });
    if (actor.platform === 'console')
      recordSafely(m, { kind: 'ack', platform: 'console', ms: performance.now() - t0 });
  }

  async execute(line: string, actor: Actor, opts: ExecuteOptions = {}): Promise<Outcome> {
    return this.run(line, undefined, actor, opts);
  }

  /**
   * The terminal's entry: words the shell split already (`smartlic cluster show "a b"`), so a
   * value keeps its quotes and spaces exactly; the audit records them joined.
   */
  async executeWords(
    words: readonly string[],
    actor: Actor,
    opts: ExecuteOptions = {},
  ): Promise<Outcome> {
    return this.run(words.map(quoteWord).join(' '), [...words], actor, opts);
  }

  private async run(
    line: string,
    preSplit: string[] | undefined,
    actor: Actor,
    opts: ExecuteOptions,
  ): Promise<Outcome> {
    const started = this.core.clock.now();
    const t0 = performance.now();
    let verb: string | undefined;
    const { role } =
      actor.platform === 'mcp' ? { role: opts.mcpRole } : await this.roles.resolve(actor);
    const audit = async (outcome: AuditOutcome, extra: Record<string, unknown> = {}) => {
      try {
        await (this.core.audit ?? this.core.repos.audit).append({
          actor: actorId(actor),
          action: 'chat command',
          entityType: 'chat',
          entityId: verb ?? null,
          at: started,
          details: {
            platform: actor.platform,
            channel: actor.channelId ?? null,
            command: redactSecretFlags(line).slice(0, 500),
            role: role ?? null,
            outcome,
            ...(actor.onBehalfOf ? { onBehalfOf: actor.onBehalfOf } : {}),
            ...extra,
          },
          jobId: typeof extra.jobId === 'number' ? extra.jobId : null,
        });
      } catch (e) {
        this.core.logger.error('could not write the audit entry of a chat command', { error: e });
      }
      this.observe(actor, verb, outcome, t0);
    };

    let words: string[];
    try {
      words = preSplit ?? tokenize(line.trim());
    } catch (e) {
      await audit('usage');
      return { reply: usageError(`${(e as Error).message}.`, undefined) };
    }
    if (words.length === 0 || ['help', '--help', '-h', '?'].includes(words[0]!.toLowerCase())) {
      verb = 'help';
      const reply = this.help(words.slice(1));
      await audit(reply.status === 'ok' ? 'ok' : 'unknown-verb');
      return { reply };
    }
    const old = this.registry.formerly(words);
    if (old) {
      verb = old.spec.verb;
      await audit('usage');
      return {
        reply: usageError(
          `\`${old.spelling}\` is written \`${usageLine(old.spec)}\` now.`,
          old.spec,
        ),
      };
    }
    const found = this.registry.match(words);
    if (!found) {
      const first = words[0]!;
      const two = words.slice(0, 2).join(' ');
      const head = this.registry.verbs().filter((v) => v.startsWith(`${first.toLowerCase()} `));
      const hint =
        head.length > 0
          ? ` "${first}" needs one of: ${head.map((v) => `"${v}"`).join(', ')}.`
          : didYouMean(words.length > 1 ? two : first, this.registry.verbs()) ||
            didYouMean(first, this.registry.verbs());
      await audit('unknown-verb');
      return {
        reply: {
          status: 'usage',
          title: `Unknown command "${head.length > 0 ? two : first}"`,
          blocks: [
            section(`I do not know "${head.length > 0 ? two : first}".${hint}`),
            context('Type `help` for the list.'),
          ],
          ephemeral: true,
        },
      };
    }
    const { spec, rest } = found;
    verb = spec.verb;

    const older = spec.olderForm?.(rest);
    if (older !== undefined) {
      await audit('usage');
      return { reply: usageError(older, spec) };
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs(rest, [...(spec.flags ?? []), YES, HELP]);
    } catch (e) {
      if (!(e instanceof GrammarError)) throw e;
      await audit('usage');
      return { reply: usageError(`${e.message}.`, spec) };
    }
    if (parsed.flags.help) {
      await audit('ok');
      return { reply: this.help([spec.verb]) };
    }
    const problem = checkArgs(spec, parsed.args);
    if (problem) {
      await audit('usage');
      return { reply: usageError(problem, spec) };
    }

    if (!roleAllows(role, spec.role)) {
      await audit('denied', { needs: spec.role });
      return {
        reply: {
          status: 'denied',
          title: 'Not allowed',
          blocks: [
            section(
              role === undefined
                ? `smartlic does not know you (${actorId(actor)}), so you may not run \`${spec.verb}\`.`
                : `\`${spec.verb}\` needs the ${spec.role} role; you are a ${role}.`,
            ),
            context(`An admin can run: role grant ${actorId(actor)} ${spec.role}`),
          ],
          ephemeral: true,
        },
      };
    }

    const values: Record<string, string> = {};
    (spec.args ?? []).forEach((a, i) => {
      const v = parsed.args[i];
      if (v !== undefined) values[a.name] = v;
    });
    const line0 = canonical(spec.verb, rest);
    let confirmed =
      actor.platform === 'console' && (opts.confirmed === true || parsed.flags.yes === true);
    if (opts.ticket !== undefined) {
      const question = { subject: actorId(actor), channel: actor.channelId ?? '', command: line0 };
      const r = await this.core.services.confirmations.redeem(opts.ticket, question);
      if (!r.ok) {
        await audit('confirm-refused', { reason: r.reason });
        return {
          reply: {
            status: 'denied',
            title: 'Confirmation refused',
            blocks: [section(r.message)],
            ephemeral: true,
          },
        };
      }
      confirmed = true;
    }
    const ctx: CommandContext = {
      core: this.core,
      actor,
      role: role!,
      job: (req) => this.startJob(actor, req),
      ...(actor.platform === 'console' && opts.console ? { console: opts.console } : {}),
    };
    const input = { args: parsed.args, values, flags: parsed.flags };
    const failed = async (e: unknown): Promise<Outcome> => {
      const err = e instanceof JobFailedError ? e.error : toSmartlicError(e);
      if (!isSmartlicError(e) && !(e instanceof JobFailedError))
        this.core.logger.error('chat command failed', { verb: spec.verb, error: e });
      await audit('error', { code: err.code });
      return {
        reply: {
          ...errorReply(`${spec.verb} failed`, `${err.code}: ${err.message}`, err.action),
          code: err.code,
        },
      };
    };
    // Over MCP every write waits for a person's yes, not only the destructive ones: the
    // caller is a model, and whatever text it read may have asked it to act (issue 26).
    const mustConfirm = spec.destructive || (actor.platform === 'mcp' && spec.role !== 'viewer');
    if (mustConfirm && !confirmed) {
      let preview: Block[] = [];
      try {
        preview = spec.preview ? await spec.preview(ctx, input) : [];
      } catch (e) {
        return failed(e);
      }
      const ticket =
        actor.platform === 'console'
          ? undefined
          : await this.core.services.confirmations.issue({
              subject: actorId(actor),
              channel: actor.channelId ?? '',
              command: line0,
            });
      await audit('confirm-asked');
      return { reply: this.confirmation(spec, line0, ticket, preview) };
    }

    let result: HandlerResult;
    try {
      // Viewer commands only read (the registry's rule: a read needs no more than a viewer).
      result = await (spec.role === 'viewer'
        ? this.reads.run(() => spec.run(ctx, input))
        : spec.run(ctx, input));
    } catch (e) {
      return failed(e);
    }
    if ('followUp' in result) {
      await audit('job-started', { jobId: result.reply.jobId });
      return result;
    }
    await audit(result.status === 'error' ? 'error' : 'ok');
    return { reply: result };
  }

  private async startJob<T>(actor: Actor, req: JobRequest<T>): Promise<HandlerResult> {
    const requestedBy = actor.onBehalfOf
      ? `${actor.onBehalfOf} as ${actorId(actor)}`
      : actorId(actor);
    const { jobId, done } = this.core.services.jobs.start(
      {
        jobType: req.jobType,
        entityType: req.entityType,
        entityName: req.entityName,
        description: req.description,
        requestedBy,
        details: { platform: actor.platform, channel: actor.channelId ?? null },
        // The service's own job becomes this one: one job per chat write, carrying who asked.
        adoptNested: req.oneJob !== false,
      },
      req.run,
    );
    const id = await jobId;
    const followUp = done.then(
      ({ result, job }) => ({ ...req.done(withFinalJob(result, job)), jobId: id }),
      (e: unknown) => {
        const err = e instanceof JobFailedError ? e.error : toSmartlicError(e);
        return {
          ...errorReply(
            `${req.jobType} failed (job ${id})`,
            `${err.code}: ${err.message}`,
            err.action,
          ),
          ephemeral: false,
          jobId: id,
          code: err.code,
        };
      },
    );
    return {
      reply: {
        status: 'pending',
        title: `${req.jobType}: job ${id} started`,
        blocks: [
          section(req.description),
          context(`I will follow up when it ends; \`job ${id}\` shows it any time.`),
        ],
        jobId: id,
      },
      followUp,
    };
  }

  private confirmation(
    spec: CommandSpec,
    line: string,
    ticket: { id: string; expiresAt: Date } | undefined,
    preview: readonly Block[] = [],
  ): Reply {
    const minutes = this.core.config.bot.confirmMinutes;
    return {
      status: 'confirm',
      title: `Confirm: ${line}`,
      blocks: [
        section(
          `\`${line}\` ${spec.summary.replace(/^./, (c) => c.toLowerCase())}. This cannot be undone from chat.`,
        ),
        ...preview,
        buttons({
          label: 'Yes, do it',
          command: line,
          ...(ticket ? { ticket: ticket.id } : {}),
          style: 'danger',
          confirm: {
            title: 'Are you sure?',
            text: `Run \`${line}\`?`,
            yes: 'Run it',
            no: 'Cancel',
          },
        }),
        context(
          ticket
            ? `Only you can confirm, here, within ${minutes} minutes, once. On the terminal, add --yes.`
            : 'On the terminal, add --yes.',
        ),
      ],
      ephemeral: true,
    };
  }

  /** `help` (every verb) or `help <verb>` (usage, example, role). */
  help(words: readonly string[]): Reply {
    return helpReply(this.registry, words);
  }
}

/**
 * A usage line short enough for the list of every command (a chat message has a size limit):
 * a command with many flags shows its arguments and where its flags are told.
 */
function briefUsage(c: CommandSpec): string {
  const full = usageLine(c);
  if (full.length <= 80) return full;
  const args = usageLine({ ...c, flags: [] });
  return `${args} [flags: help ${c.verb}]`;
}

/** The registry's help, without a database (the terminal's `smartlic <verb> --help`). */
export function helpReply(registry: Registry, words: readonly string[]): Reply {
  {
    if (words.length === 0) {
      return {
        status: 'ok',
        title: 'smartlic commands',
        blocks: [
          {
            kind: 'table',
            columns: ['command', 'what it does', 'role'],
            rows: registry.list().map((c) => [briefUsage(c), c.summary, c.role]),
          },
          context('`help <command>` shows its usage and an example.'),
        ],
      };
    }
    const found = registry.match(words);
    if (!found) {
      const w = words.join(' ');
      return {
        status: 'usage',
        title: `No help for "${w}"`,
        blocks: [section(`I do not know "${w}".${didYouMean(w, registry.verbs())}`)],
        ephemeral: true,
      };
    }
    const c = found.spec;
    return {
      status: 'ok',
      title: `help: ${c.verb}`,
      blocks: [
        section(c.summary),
        fields({
          usage: usageLine(c),
          ...(c.aliases && c.aliases.length > 0 ? { 'also written': c.aliases.join(', ') } : {}),
          example: c.example,
          role: c.role,
          ...(c.destructive ? { confirmation: 'asked before it runs' } : {}),
        }),
        ...((c.flags ?? []).length > 0
          ? [
              {
                kind: 'table' as const,
                columns: ['flag', 'meaning'],
                rows: (c.flags ?? []).map((f) => [
                  f.boolean ? `--${f.name}` : `--${f.name} ${f.value ?? 'X'}`,
                  f.help,
                ]),
              },
            ]
          : []),
      ],
    };
  }
}

/**
 * A service's result carries its job as it stood when the service returned; when that job is
 * this command's own row (adopted), the follow-up shows the row as it ended (Completed).
 */
function withFinalJob<T>(result: T, job: { id: number }): T {
  if (typeof result !== 'object' || result === null || !('job' in result)) return result;
  const inner = (result as { job?: unknown }).job;
  if (typeof inner !== 'object' || inner === null || (inner as { id?: unknown }).id !== job.id)
    return result;
  return { ...result, job };
}

/** Flags whose value is a secret: a line that carries one is audited without it. */
const SECRET_FLAGS = /^--(secret|client-secret|password|admin-password)$/i;

/** The line with the value of any secret-looking flag replaced (the audit keeps the rest). */
export function redactSecretFlags(line: string): string {
  let words: string[];
  try {
    words = tokenize(line);
  } catch {
    return line.replace(/(--(?:secret|client-secret|password|admin-password)[= ]).*/i, '$1***');
  }
  if (!words.some((w) => SECRET_FLAGS.test(w.split('=')[0]!))) return line;
  return words
    .map((w, i) => {
      const eq = w.indexOf('=');
      if (eq > 0 && SECRET_FLAGS.test(w.slice(0, eq))) return `${w.slice(0, eq)}=***`;
      return i > 0 && SECRET_FLAGS.test(words[i - 1]!) ? '***' : quoteWord(w);
    })
    .join(' ');
}

function canonical(verb: string, rest: readonly string[]): string {
  return [verb, ...rest.filter((w) => w !== '--yes').map(quoteWord)].join(' ');
}

function quoteWord(w: string): string {
  return /[\s"']/.test(w) ? `"${w.replace(/"/g, '')}"` : w;
}

function checkArgs(spec: CommandSpec, args: readonly string[]): string | undefined {
  const specs = spec.args ?? [];
  const missing = specs.filter((a, i) => !a.optional && args[i] === undefined);
  if (missing.length > 0) return `Missing ${missing.map((a) => `<${a.name}>`).join(' ')}.`;
  if (args.length > specs.length && !specs.at(-1)?.variadic) {
    return `Too many arguments: "${args.slice(specs.length).join(' ')}" is not expected.`;
  }
  for (let i = 0; i < specs.length; i++) {
    const a = specs[i]!;
    const v = args[i];
    if (v === undefined || !a.choices) continue;
    if (!a.choices.some((c) => c.toLowerCase() === v.toLowerCase())) {
      const near = closest(v, a.choices);
      return `"${v}" is not one of ${a.choices.join(', ')}.${near.length ? ` Did you mean "${near[0]}"?` : ''}`;
    }
  }
  return undefined;
}

function usageError(problem: string, spec: CommandSpec | undefined): Reply {
  return {
    status: 'usage',
    title: spec ? `Usage: ${spec.verb}` : 'Cannot read the command',
    blocks: [
      section(problem),
      ...(spec ? [fields({ usage: usageLine(spec), example: spec.example })] : []),
    ],
    ephemeral: true,
  };
}
