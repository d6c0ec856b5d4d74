/**
 * MCP bearer tokens (issue 26). A token is a name (the audit's actor: `mcp:<name>`), a role
 * (viewer / operator / admin, as a chat user's) and a secret shown once. Only the secret's
 * SHA-256 is stored: 256 random bits need no slow hash (nothing to guess), and a stolen
 * database gives no usable token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { SmartlicError } from '../errors.ts';
import { registerSecret } from '../redact.ts';
import type { ChatRole, McpToken, McpTokensRepository } from '../store/index.ts';

/** Every secret starts so: a leaked one is recognisable (secret scanners, the redactor). */
export const MCP_TOKEN_PREFIX = 'smcp_';
const NAME = /^[a-z0-9][a-z0-9._-]{0,47}$/;

export function hashMcpSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export class McpTokenService {
  constructor(private readonly deps: { tokens: McpTokensRepository; clock: Clock }) {}

  /** Creates a token and returns its secret: the only time anyone sees it. */
  async create(name: string, role: ChatRole, createdBy: string): Promise<{ secret: string }> {
    if (!NAME.test(name)) {
      throw new SmartlicError({
        code: 'INPUT',
        message: `"${name.slice(0, 60)}" is not a token name`,
        action:
          'use 1–48 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit (e.g. claude-alice)',
      });
    }
    if (await this.deps.tokens.get(name)) {
      throw new SmartlicError({
        code: 'INPUT',
        message: `an MCP token named "${name}" exists already (names are never reused, even revoked)`,
        action: 'choose another name; `mcp-token list` shows the names taken',
      });
    }
    const secret = `${MCP_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    registerSecret(secret);
    await this.deps.tokens.create({ name, role, secretHash: hashMcpSecret(secret), createdBy });
    return { secret };
  }

  /** The live token a secret belongs to; undefined for an unknown, malformed or revoked one. */
  async verify(secret: string | undefined): Promise<McpToken | undefined> {
    if (!secret || !secret.startsWith(MCP_TOKEN_PREFIX) || secret.length > 200) return undefined;
    const t = await this.deps.tokens.byHash(hashMcpSecret(secret));
    if (!t || t.revokedAt) return undefined;
    await this.deps.tokens.touch(t.name);
    return t;
  }

  async revoke(name: string, by: string): Promise<void> {
    const t = await this.deps.tokens.get(name);
    if (!t) {
      throw new SmartlicError({
        code: 'NOT_FOUND',
        message: `no MCP token is named "${name.slice(0, 60)}"`,
        action: '`mcp-token list` shows the tokens',
      });
    }
    if (!(await this.deps.tokens.revoke(name, by))) {
      throw new SmartlicError({
        code: 'INPUT',
        message: `the MCP token "${name}" was revoked already (${t.revokedAt?.toISOString() ?? ''})`,
        action: 'nothing to do',
      });
    }
  }

  list(): Promise<McpToken[]> {
    return this.deps.tokens.list();
  }
}
