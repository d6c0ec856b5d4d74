/**
 * `smartlic mcp`: the MCP face over stdio, for an assistant on the operator's machine (the
 * client starts this process; stdout carries MCP only, logs go to stderr). It acts as the MCP
 * token in SMARTLIC_MCP_TOKEN (bot.mcp.token): that token's name is the audit's actor and its
 * role bounds the tools. `mcpRoute` is the same face over Streamable HTTP for start / serve.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  createMcpServer,
  mcpHttpHandler,
  type McpHttpHandler,
  type McpIdentity,
} from '../../bot/mcp/index.ts';
import { SMARTLIC_VERSION } from '../../core/version.ts';
import { commandLayer } from './chat.ts';
import { defineCommand, inputError, singleCommand } from './common.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import type { CliCommand } from './types.ts';

const identityOf = async (
  rt: Runtime,
  secret: string | undefined,
): Promise<McpIdentity | undefined> => {
  const t = await rt.services.mcpTokens.verify(secret);
  return t ? { name: t.name, role: t.role } : undefined;
};

/** /mcp on the listener (bot/http.ts), when bot.mcp.enabled. */
export function mcpRoute(rt: Runtime): McpHttpHandler {
  const layer = commandLayer(rt);
  const m = rt.config.bot.mcp;
  return mcpHttpHandler({
    verify: (secret) => identityOf(rt, secret),
    newServer: () =>
      createMcpServer({
        layer,
        version: SMARTLIC_VERSION,
        // The HTTP handler verified the bearer of this very request and put it here.
        identity: (auth) => {
          const e = auth?.extra;
          return Promise.resolve(
            e && typeof e.name === 'string' && typeof e.role === 'string'
              ? ({ name: e.name, role: e.role } as McpIdentity)
              : undefined,
          );
        },
      }),
    allowedHosts: m.allowedHosts,
    allowedOrigins: m.allowedOrigins,
    maxBodyBytes: m.maxBodyBytes,
    maxSessions: m.maxSessions,
    logger: rt.logger.child({ component: 'mcp' }),
  });
}

const mcpCmd = defineCommand({
  name: 'mcp',
  summary: 'serve the command registry to an MCP client (an AI assistant) over stdio',
  options: {},
  description: `Serves MCP (Model Context Protocol) on stdin/stdout until the client closes it: a tool per
command the token's role may run, the HLM and Service Inventory reports and the open alerts as
resources. It acts as the MCP token in SMARTLIC_MCP_TOKEN (an admin creates one with
\`smartlic mcp-token create <name> <role>\`); a write runs only after a person confirms it.
Over HTTP, \`start\` / \`serve\` answer at /mcp when SMARTLIC_MCP_HTTP=true. See docs/mcp.md.`,
  examples: ['SMARTLIC_MCP_TOKEN=smcp_… smartlic mcp'],
  async run(_parsed, ctx) {
    const rt = await openRuntime(ctx);
    try {
      const secret = rt.config.bot.mcp.token;
      if (!(await identityOf(rt, secret)))
        throw inputError(
          secret
            ? 'SMARTLIC_MCP_TOKEN is not a live MCP token (unknown or revoked)'
            : 'SMARTLIC_MCP_TOKEN is not set: no token, no tools',
          "an admin creates one with `smartlic mcp-token create <name> <role>` and puts its secret in the client's env (docs/mcp.md)",
        );
      const server = createMcpServer({
        layer: commandLayer(rt),
        version: SMARTLIC_VERSION,
        // Verified again at each request: a token revoked meanwhile stops at once.
        identity: () => identityOf(rt, secret),
      });
      const transport = new StdioServerTransport(ctx.io.stdin, ctx.io.stdout);
      const closed = new Promise<void>((resolve) => {
        transport.onclose = () => resolve();
        ctx.io.stdin.once('end', () => resolve());
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await server.connect(transport);
      await closed;
      await server.close().catch(() => undefined);
      return 0;
    } finally {
      await rt.close();
    }
  },
});

export const mcpCommand: CliCommand = singleCommand(mcpCmd);
