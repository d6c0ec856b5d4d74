/** bot/commands: the registry of every verb, and the layer that runs them. */
import { ADMIN_COMMANDS } from './handlers/admin.ts';
import { ALERT_COMMANDS } from './handlers/alerts.ts';
import { INVENTORY_COMMANDS } from './handlers/inventory.ts';
import { READ_COMMANDS } from './handlers/reads.ts';
import { TOKEN_COMMANDS } from './handlers/tokens.ts';
import { mcpCommands } from './handlers/mcp.ts';
import { TRANSFER_COMMANDS } from './handlers/transfers.ts';
import { WRITE_COMMANDS } from './handlers/writes.ts';
import { Registry } from './registry.ts';

export function defaultRegistry(): Registry {
  const registry = new Registry([
    ...READ_COMMANDS,
    ...WRITE_COMMANDS,
    ...TOKEN_COMMANDS,
    ...TRANSFER_COMMANDS,
    ...ALERT_COMMANDS,
    ...ADMIN_COMMANDS,
    // Last in help: the inventory is set up once, the verbs above are used every day.
    ...INVENTORY_COMMANDS,
  ]);
  // `mcp-confirm` reads the registry (the role the approved command needs).
  for (const spec of mcpCommands(registry)) registry.add(spec);
  return registry;
}

export { CommandLayer, helpReply } from './layer.ts';
export type { Outcome, ExecuteOptions } from './layer.ts';
export * from './registry.ts';
export * from './reply.ts';
export { tokenize, parseArgs, GrammarError } from './grammar.ts';
export { closest, didYouMean } from './suggest.ts';
export { Roles, parseUserRef } from './roles.ts';
export type { SubscriptionFilters } from './handlers/admin.ts';
export {
  RemoteCommandLayer,
  forwardMetrics,
  serveCommands,
  type CommandRunner,
  type Port,
  type WorkerPort,
} from './remote.ts';
