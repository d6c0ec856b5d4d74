/**
 * MCP tools generated from the command registry (issue 26): one tool per verb a token's role
 * may run, its input schema built from the spec's arguments and flags, its description from
 * the spec's own fixed text (summary, usage, example). Nothing here is written per verb, so a
 * verb added to the registry is a tool at once.
 *
 * Only the registry's static text goes into a tool's name, title or description: names,
 * descriptions and failure reasons that come from CSSM, the UC applications or operators are
 * data, and reach the client in a tool result's content only.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import {
  roleAllows,
  usageLine,
  type CommandSpec,
  type Registry,
  type Role,
} from '../commands/index.ts';

/** The argument a write tool's repeated call carries: the approved confirmation ticket. */
export const TICKET_ARG = 'confirmation_ticket';

/** A write: anything a viewer may not run. Over MCP it waits for a person's yes. */
export const isWrite = (spec: CommandSpec): boolean => spec.role !== 'viewer';

/** `token create` → `token_create` (MCP names allow letters, digits, `_`, `-`, `.`). */
export function toolName(verb: string): string {
  // `rebalance --apply` → `rebalance_apply`: a flag-like second word loses its dashes.
  return verb.replace(/\s+-*/g, '_');
}

/** The verbs offered to a role over MCP. */
export function offeredSpecs(registry: Registry, role: Role): CommandSpec[] {
  return registry.list().filter((s) => s.mcp !== false && roleAllows(role, s.role));
}

/** A spec's properties and where each goes on the command line. */
interface Shape {
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  /** Property name → what it becomes. */
  slots: Map<
    string,
    | { kind: 'arg'; index: number; variadic: boolean }
    | { kind: 'flag'; name: string; boolean: boolean }
  >;
}

function shape(spec: CommandSpec): Shape {
  const properties: Shape['properties'] = {};
  const required: string[] = [];
  const slots: Shape['slots'] = new Map();
  (spec.args ?? []).forEach((a, index) => {
    if (a.hidden) return;
    const item: Record<string, unknown> = a.choices
      ? { type: 'string', enum: [...a.choices] }
      : { type: 'string', minLength: 1 };
    properties[a.name] = a.variadic
      ? {
          type: 'array',
          items: item,
          minItems: a.optional ? 0 : 1,
          description: `<${a.name}>… (one or more)`,
        }
      : { ...item, description: `<${a.name}>${a.optional ? ' (optional)' : ''}` };
    if (!a.optional) required.push(a.name);
    slots.set(a.name, { kind: 'arg', index, variadic: a.variadic === true });
  });
  for (const f of spec.flags ?? []) {
    if (f.hidden) continue;
    // A flag named like an argument keeps its own property.
    const key =
      Object.hasOwn(properties, f.name) || f.name === TICKET_ARG ? `flag_${f.name}` : f.name;
    properties[key] = f.boolean
      ? { type: 'boolean', description: `--${f.name}: ${f.help}` }
      : {
          type: 'string',
          minLength: 1,
          description: `--${f.name}${f.value ? ` ${f.value}` : ''}: ${f.help}`,
        };
    slots.set(key, { kind: 'flag', name: f.name, boolean: f.boolean === true });
  }
  return { properties, required, slots };
}

export function toolFor(spec: CommandSpec): Tool {
  const write = isWrite(spec);
  const { properties, required } = shape(spec);
  if (write) {
    properties[TICKET_ARG] = {
      type: 'string',
      description:
        'The confirmation ticket of an earlier call of this tool with the same arguments, after a person approved it (mcp-confirm in the terminal, Slack or Webex).',
    };
  }
  const summary = spec.summary.replace(/\.$/, '');
  return {
    name: toolName(spec.verb),
    title: spec.verb,
    description: [
      `smartlic \`${spec.verb}\`: ${summary}.`,
      `Usage: ${usageLine(spec)}. Example: ${spec.example}.`,
      write
        ? `A write (role ${spec.role}): it runs only after a person confirms it outside this conversation — in the client's own confirmation dialog, or with \`mcp-confirm <ticket>\` in the terminal, Slack or Webex, after which the call is repeated with ${TICKET_ARG}.`
        : "Read-only: answers from smartlic's database.",
    ].join(' '),
    inputSchema: {
      type: 'object',
      properties,
      ...(required.length > 0 ? { required } : {}),
      additionalProperties: false,
    },
    annotations: {
      title: spec.verb,
      readOnlyHint: !write,
      destructiveHint: write,
      // Every verb answers from, or acts on, smartlic's own world (its database, its jobs).
      openWorldHint: false,
    },
  };
}

export class ToolInputError extends Error {}

/**
 * The command words a tool call stands for: the verb, then each argument as one word (a value
 * with spaces stays one word: it is never split or read as more of the command), then each flag
 * as `--name=value`, so a value that itself begins with `--` is a value, not a flag.
 */
export function commandWords(
  spec: CommandSpec,
  input: Record<string, unknown> | undefined,
): { words: string[]; ticket?: string } {
  const { slots, required } = shape(spec);
  const args: string[][] = [];
  const flags: string[] = [];
  let ticket: string | undefined;
  const text = (key: string, v: unknown): string => {
    if (typeof v !== 'string' || v.length === 0)
      throw new ToolInputError(`"${key}" must be a non-empty string`);
    if (v.length > 500) throw new ToolInputError(`"${key}" is longer than 500 characters`);
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    if (/[\u0000-\u001f\u007f]/.test(v))
      throw new ToolInputError(`"${key}" contains a control character`);
    return v;
  };
  for (const [key, v] of Object.entries(input ?? {})) {
    if (v === undefined || v === null) continue;
    if (key === TICKET_ARG && isWrite(spec)) {
      ticket = text(key, v);
      continue;
    }
    const slot = slots.get(key);
    if (!slot) {
      const known = [...slots.keys(), ...(isWrite(spec) ? [TICKET_ARG] : [])];
      throw new ToolInputError(
        `unknown argument "${key.slice(0, 60)}"${known.length > 0 ? ` (this tool takes ${known.join(', ')})` : ' (this tool takes none)'}`,
      );
    }
    if (slot.kind === 'flag') {
      if (slot.boolean) {
        if (typeof v !== 'boolean') throw new ToolInputError(`"${key}" must be true or false`);
        if (v) flags.push(`--${slot.name}`);
      } else flags.push(`--${slot.name}=${text(key, v)}`);
      continue;
    }
    const values = slot.variadic ? (Array.isArray(v) ? v : [v]) : [v];
    args[slot.index] = values.map((x, i) => {
      const s = text(slot.variadic ? `${key}[${i}]` : key, x);
      // The grammar reads a word beginning with -- as a flag, on every face.
      if (s.startsWith('--')) throw new ToolInputError(`"${key}" may not begin with "--"`);
      return s;
    });
  }
  const missing = required.filter((r) => !Object.hasOwn(input ?? {}, r));
  if (missing.length > 0)
    throw new ToolInputError(`missing ${missing.map((m) => `"${m}"`).join(', ')}`);
  // An optional argument left out before a given one would shift the later ones.
  for (let i = 0; i < args.length; i++)
    if (args[i] === undefined)
      throw new ToolInputError(
        `"${spec.args?.[i]?.name ?? i}" is needed when a later argument is given`,
      );
  return {
    words: [...spec.verb.split(' '), ...args.flat(), ...flags],
    ...(ticket ? { ticket } : {}),
  };
}
