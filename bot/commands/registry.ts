/**
 * The command registry: verb → handler, usage, example and required role. Help, usage lines,
 * "did you mean" and console completion are all built from it, so they cannot drift from what
 * the handlers accept.
 */
import type {
  Clock,
  Config,
  Logger,
  Metrics,
  Services,
  SyncProgress,
  reports,
  store,
} from '../../core/index.ts';
import type { FlagSpec } from './grammar.ts';
import type { Block, Reply } from './reply.ts';

export type Role = store.ChatRole;
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleAllows(has: Role | undefined, needs: Role): boolean {
  return has !== undefined && RANK[has] >= RANK[needs];
}

/** Who asked, and from where. */
export interface Actor {
  /** `mcp`: an MCP client, known by its token's name (bot/mcp); it has no chat-user role. */
  platform: store.ChatPlatform | 'mcp';
  /** Slack user id, Webex e-mail, or console login. */
  userId: string;
  displayName?: string;
  /** Slack channel id, Webex room id, `terminal`. */
  channelId?: string;
  /** A terminal user acting as a chat user (`smartlic ask --as`): recorded in the audit. */
  onBehalfOf?: string;
}

export const actorId = (a: Pick<Actor, 'platform' | 'userId'>) => `${a.platform}:${a.userId}`;

export interface ArgSpec {
  name: string;
  optional?: boolean;
  /** Accepted words (case-insensitive); "did you mean" suggests among them. */
  choices?: readonly string[];
  /** The last argument may repeat (`whatif move a b c --to …`); one at least unless optional. */
  variadic?: boolean;
  /** Read but left out of the usage line: an older spelling kept working (with a hint). */
  hidden?: boolean;
}

/** What handlers may use: core's services and repositories, the clock, and the bot settings. */
export interface BotCore {
  /** The connection read models use (its own connection in the bot process, see docs/bot.md). */
  db: reports.ReportDb;
  services: Services;
  repos: store.Repositories;
  clock: Clock;
  logger: Logger;
  config: Config;
  /** Told of every command (verb, outcome) and of the terminal's answer time; none by default. */
  metrics?: Metrics;
  /** Runs after a `sync` command's sync (bin/ wires the site rebuild); none by default. */
  afterSync?: () => Promise<void>;
  /**
   * Where each command's audit entry goes, when not `repos.audit`: the bot's command worker
   * queues them (store.AuditQueue) so that a sync's write lock never holds an answer.
   */
  audit?: { append(e: store.AuditInput): Promise<unknown> };
}

/**
 * What only a terminal can give a command: a secret from an environment variable or standard
 * input (never from a chat message or argv), and a progress line on stderr. The layer hands it
 * to the console platform only, so a chat (or `ask --as slack:…`) never reaches it.
 */
export interface ConsolePorts {
  /** The secret at `from` (one of the two), or an INPUT error saying how to give it. */
  readSecret: (
    from: { env?: string; stdin?: boolean },
    what: string,
    flags: { env: string; stdin: string },
  ) => Promise<string>;
  /**
   * A file of this machine as UTF-8 text (`cluster import`); `secret`: refused when others
   * than its owner may read it. An INPUT error says what is wrong with the path.
   */
  readFile?: (path: string, opts?: { secret?: boolean }) => Promise<string>;
  /** A sync's progress (a bar on a terminal, a line per phase in a pipe). */
  syncProgress?: (p: SyncProgress) => void;
  /** Clears the progress line before the answer is printed. */
  endProgress?: () => void;
}

export interface CommandInput {
  args: string[];
  /** Positional arguments by name. */
  values: Record<string, string>;
  flags: Record<string, string | true>;
}

export interface CommandContext {
  core: BotCore;
  actor: Actor;
  role: Role;
  /** Starts a core job and answers with its id at once; the follow-up comes when it ends. */
  job: <T>(spec: JobRequest<T>) => Promise<HandlerResult>;
  /** The terminal's own ports; absent on every chat platform. */
  console?: ConsolePorts;
}

export interface JobRequest<T> {
  jobType: string;
  entityType: string;
  entityName: string;
  description: string;
  run: () => Promise<T>;
  /** The follow-up once the work is done. */
  done: (result: T) => Reply;
  /**
   * Default true: the service's job this work starts is this job (one row). False for work
   * that starts several jobs (a sync of every account).
   */
  oneJob?: boolean;
}

export type HandlerResult = Reply | { reply: Reply; followUp: Promise<Reply> };

export interface CommandSpec {
  /** One or two words: `status`, `token create`. */
  verb: string;
  /**
   * Other spellings of the same command (`cluster list` for `clusters`): one spec, so both
   * forms take the same flags, arguments and role on every face.
   */
  aliases?: readonly string[];
  summary: string;
  args?: readonly ArgSpec[];
  flags?: readonly (FlagSpec & {
    value?: string;
    /** Left out of the usage line (terminal-only flags such as --out are still listed in help). */
    hidden?: boolean;
  })[];
  example: string;
  role: Role;
  /** Asks for confirmation first (Slack confirm dialog, Webex card, `--yes` on the terminal). */
  destructive?: boolean;
  /**
   * A destructive command's look before the leap: checks the input (a throw refuses it before
   * anything is asked or sent) and returns what the confirmation shows (e.g. before / after).
   */
  preview?(ctx: CommandContext, input: CommandInput): Promise<Block[]>;
  /**
   * false: not offered to MCP clients (bot/mcp), e.g. the verbs that mint their tokens or
   * approve their writes — a model must not be able to say yes for the person.
   */
  mcp?: false;
  /**
   * Older verb spellings (`cluster renew-auth`): they run nothing and answer with this
   * command's usage, so whoever typed them learns the one form.
   */
  formerly?: readonly string[];
  /**
   * Recognizes an older form of the words after the verb (`va mode <domain> <va> HCS`, a flag
   * since renamed) and returns what was wrong and the form to write instead; checked before
   * the flags and arguments are read.
   */
  olderForm?(words: readonly string[]): string | undefined;
  run(ctx: CommandContext, input: CommandInput): Promise<HandlerResult>;
}

export function usageLine(c: CommandSpec): string {
  const args = (c.args ?? [])
    .filter((a) => !a.hidden)
    .map((a) => {
      const n = a.choices ? a.choices.join('|') : `<${a.name}>${a.variadic ? '…' : ''}`;
      return a.optional ? `[${n}]` : n;
    });
  const flags = (c.flags ?? [])
    .filter((f) => !f.hidden)
    .map((f) => (f.boolean ? `[--${f.name}]` : `[--${f.name} ${f.value ?? 'X'}]`));
  return [c.verb, ...args, ...flags].join(' ');
}

export class Registry {
  private readonly byVerb = new Map<string, CommandSpec>();
  private readonly retired = new Map<string, CommandSpec>();

  constructor(specs: readonly CommandSpec[] = []) {
    for (const s of specs) this.add(s);
  }

  add(spec: CommandSpec): void {
    for (const v of [spec.verb, ...(spec.aliases ?? [])]) {
      if (this.byVerb.has(v)) throw new Error(`command "${v}" registered twice`);
      this.byVerb.set(v, spec);
    }
    for (const v of spec.formerly ?? []) this.retired.set(v, spec);
  }

  /** The command an older spelling (`cluster renew-auth …`) became, if the words begin with one. */
  formerly(words: readonly string[]): { spelling: string; spec: CommandSpec } | undefined {
    const [a, b] = words.map((w) => w.toLowerCase());
    for (const spelling of b === undefined ? [a] : [`${a} ${b}`, a]) {
      const spec = spelling === undefined ? undefined : this.retired.get(spelling);
      if (spec && spelling !== undefined) return { spelling, spec };
    }
    return undefined;
  }

  get(verb: string): CommandSpec | undefined {
    return this.byVerb.get(verb);
  }

  list(): CommandSpec[] {
    return [...new Set(this.byVerb.values())];
  }

  /** Every spelling that runs a command, aliases included (completion, "did you mean"). */
  verbs(): string[] {
    return [...this.byVerb.keys()];
  }

  /** First words of every verb (`token`, `renew`, …): what a word alone may begin. */
  heads(): string[] {
    return [...new Set(this.verbs().map((v) => v.split(' ')[0]!))];
  }

  /** The longest registered verb the words begin with, and the rest of the words. */
  match(words: readonly string[]): { spec: CommandSpec; rest: string[] } | undefined {
    const [a, b] = words.map((w) => w.toLowerCase());
    if (a !== undefined && b !== undefined) {
      const two = this.byVerb.get(`${a} ${b}`);
      if (two) return { spec: two, rest: words.slice(2) };
    }
    const one = a === undefined ? undefined : this.byVerb.get(a);
    return one ? { spec: one, rest: words.slice(1) } : undefined;
  }
}
