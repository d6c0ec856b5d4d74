/**
 * Who may do what. A user's role comes from the database (`role grant`) first, then from the
 * configuration (`bot.roles`); anyone else is a viewer or nobody (`bot.unknownUsers`). The
 * person at the terminal has `bot.consoleRole`: they can open the database anyway.
 */
import type { BotConfig, store } from '../../core/index.ts';
import type { Actor, Role } from './registry.ts';
import { ROLES, actorId } from './registry.ts';

export type RoleSource = 'database' | 'config' | 'default' | 'console';

/** Webex identifies people by e-mail, which is case-insensitive; Slack ids are upper case. */
export function normalizeUserId(platform: store.ChatPlatform, userId: string): string {
  return platform === 'webex' ? userId.trim().toLowerCase() : userId.trim();
}

export class Roles {
  constructor(
    private readonly users: store.ChatUsersRepository,
    private readonly config: BotConfig,
  ) {}

  fromConfig(a: Pick<Actor, 'platform' | 'userId'>): Role | undefined {
    if (a.platform === 'mcp') return undefined;
    const id = actorId({ platform: a.platform, userId: normalizeUserId(a.platform, a.userId) });
    const listed = (r: Role) =>
      this.config.roles[r].some((x) => x.toLowerCase() === id.toLowerCase());
    return [...ROLES].reverse().find(listed);
  }

  async resolve(a: Actor): Promise<{ role: Role | undefined; source: RoleSource }> {
    // An MCP client's role is its token's (the adapter verified it): never a chat user's.
    if (a.platform === 'mcp') return { role: undefined, source: 'default' };
    if (a.platform === 'console' && a.onBehalfOf === undefined) {
      return { role: this.config.consoleRole, source: 'console' };
    }
    const stored = await this.users.get(a.platform, normalizeUserId(a.platform, a.userId));
    if (stored) return { role: stored.role, source: 'database' };
    const configured = this.fromConfig(a);
    if (configured) return { role: configured, source: 'config' };
    return {
      role: this.config.unknownUsers === 'viewer' ? 'viewer' : undefined,
      source: 'default',
    };
  }
}

/**
 * A user named in `role grant|revoke`: `slack:U0123`, a Slack mention `<@U0123|name>`, an
 * e-mail (Webex), `console:alice`, or a bare id on the asker's own platform.
 */
export function parseUserRef(
  ref: string,
  defaultPlatform: store.ChatPlatform,
): { platform: store.ChatPlatform; userId: string } | undefined {
  const mention = /^<@([A-Z0-9]+)(\|[^>]*)?>$/.exec(ref);
  if (mention) return { platform: 'slack', userId: mention[1]! };
  const m = /^(slack|webex|console):(.+)$/i.exec(ref);
  if (m) {
    const platform = m[1]!.toLowerCase() as store.ChatPlatform;
    return { platform, userId: normalizeUserId(platform, m[2]!) };
  }
  if (/^[^@\s]+@[^@\s]+$/.test(ref)) return { platform: 'webex', userId: ref.toLowerCase() };
  if (/^[A-Za-z0-9._-]+$/.test(ref))
    return { platform: defaultPlatform, userId: normalizeUserId(defaultPlatform, ref) };
  return undefined;
}
