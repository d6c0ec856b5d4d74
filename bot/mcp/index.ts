/** bot/mcp: the MCP face (issue 26, docs/mcp.md); bin/ wires it to stdio or to /mcp. */
export {
  createMcpServer,
  RESOURCES,
  structured,
  type McpIdentity,
  type McpFaceOptions,
} from './server.ts';
export { mcpHttpHandler, type McpHttpHandler, type McpHttpOptions } from './http.ts';
export { TICKET_ARG, commandWords, offeredSpecs, toolFor, toolName, isWrite } from './tools.ts';
