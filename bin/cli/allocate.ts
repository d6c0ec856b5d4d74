/**
 * `smartlic allocate --input FILE|-`: runs the license-allocation hierarchy (DOMAIN §6) on a
 * JSON file of entitlements and requests and prints the result as JSON. Offline: touches no
 * database and no CSSM.
 */
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { LICENSE_TYPE_IDS, findLicenseType } from '../../core/domain/catalog.ts';
import type { LicenseTypeId } from '../../core/domain/catalog.ts';
import { allocate, AllocationInputError } from '../../core/domain/allocation.ts';
import { parseArgv } from './args.ts';
import type { CliCommand, CliContext } from './types.ts';

const NAME = 'allocate';
const HELP_REF = 'smartlic allocate --help';

const USAGE = `Usage: smartlic allocate --input FILE

Computes which owned licenses serve which requests (own type first, then higher tiers,
then HCS Foundation, then HCS Standard; maximum demand served) and prints the result as
JSON: licenses (quantity, inUse, available), substitutions, shortages, allocations.

  --input FILE   JSON file to read; "-" reads standard input
  --help         show this text

Input:
  {"entitlements": [{"type": "UCM_CUWL", "quantity": 100}],
   "requests": [{"id": "pub-1", "type": "UCM_EnhancedPlus", "count": 50, "mode": "Enterprise"}]}

"type" may be a short name (UCM_CUWL), a regid tag or a CSSM display name; "mode" is
"Enterprise" (default) or "HCS".

Exit codes: 0 ok, 2 bad usage or bad input.

Example:
  smartlic allocate --input what-if.json
  echo '{"entitlements":[{"type":"UCM_CUWL","quantity":100}],"requests":[]}' | smartlic allocate --input -`;

/** A one-line error for the user, printed as `smartlic allocate: <message>`, exit 2. */
class InputProblem extends Error {}

const EXPECTED_TYPES = `expected one of ${LICENSE_TYPE_IDS.join(', ')}`;

const licenseTypeField = z.string().transform((value, ctx): LicenseTypeId => {
  const found = findLicenseType(value);
  if (!found) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `unknown license type ${JSON.stringify(value)} (${EXPECTED_TYPES})`,
    });
    return z.NEVER;
  }
  return found.id;
});
const countField = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const modeField = z
  .string()
  .transform((value, ctx) => {
    const mode = value.trim().toLowerCase();
    if (mode === 'enterprise') return 'Enterprise' as const;
    if (mode === 'hcs') return 'HCS' as const;
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `expected "Enterprise" or "HCS", got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  })
  .optional()
  .transform((mode) => mode ?? 'Enterprise');

const InputSchema = z.object({
  entitlements: z.array(z.object({ type: licenseTypeField, quantity: countField })),
  requests: z.array(
    z.object({ id: z.string().min(1), type: licenseTypeField, count: countField, mode: modeField }),
  ),
});

/** What each field must hold, for messages about any issue zod finds there. */
function expectation(path: (string | number)[]): string {
  const key = path[path.length - 1];
  if (key === undefined) return 'expected a JSON object with "entitlements" and "requests"';
  if (typeof key === 'number') return 'expected an object';
  switch (key) {
    case 'entitlements':
    case 'requests':
      return 'expected an array';
    case 'type':
      return 'expected a license type (short name, regid tag or display name)';
    case 'quantity':
    case 'count':
      return 'expected a non-negative integer';
    case 'id':
      return 'expected a non-empty string';
    case 'mode':
      return 'expected "Enterprise" or "HCS"';
    default:
      return 'unexpected value';
  }
}

function pathText(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let v = root;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing (field missing)';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function describeIssue(issue: z.ZodIssue, raw: unknown): string {
  const where = issue.path.length > 0 ? `${pathText(issue.path)}: ` : '';
  if (issue.code === z.ZodIssueCode.custom) return `${where}${issue.message}`;
  return `${where}${expectation(issue.path)}, got ${show(valueAt(raw, issue.path))}`;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseArgs(args: string[]): { input?: string; help: boolean } {
  let parsed;
  try {
    // --json is accepted like everywhere: the output is JSON anyway.
    parsed = parseArgv(args, { input: { type: 'string' }, json: { type: 'boolean' } }, HELP_REF);
  } catch (e) {
    throw new InputProblem((e as Error).message);
  }
  if (parsed.positionals.length > 0) {
    throw new InputProblem(
      `unexpected argument ${JSON.stringify(parsed.positionals[0])} (see --help)`,
    );
  }
  const input = parsed.values.input;
  if (!parsed.help && (input === undefined || input === '')) {
    throw new InputProblem('missing --input FILE (use --input - for stdin)');
  }
  return { ...(input !== undefined ? { input } : {}), help: parsed.help };
}

async function readInput(source: string, ctx: CliContext): Promise<string> {
  if (source === '-') return readAll(ctx.io.stdin);
  try {
    return await readFile(source, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code;
    throw new InputProblem(`cannot read input file ${JSON.stringify(source)}: ${why}`);
  }
}

export const allocateCommand: CliCommand = {
  name: NAME,
  summary: 'Apply the license-allocation hierarchy to a JSON file of entitlements and requests',
  usage: USAGE,
  handlesHelp: true,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const fail = (message: string, code: number): number => {
      ctx.io.stderr.write(`smartlic ${NAME}: ${message}\n`);
      return code;
    };
    try {
      const { input, help } = parseArgs(args);
      if (help || input === undefined) {
        ctx.io.stdout.write(`${USAGE}\n`);
        return 0;
      }
      const text = await readInput(input, ctx);
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        const where = input === '-' ? 'standard input' : JSON.stringify(input);
        throw new InputProblem(`${where} is not valid JSON: ${(err as Error).message}`);
      }
      const parsed = InputSchema.safeParse(raw);
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        throw new InputProblem(first ? describeIssue(first, raw) : 'invalid input');
      }
      const result = allocate(parsed.data);
      ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    } catch (err) {
      if (err instanceof InputProblem || err instanceof AllocationInputError) {
        return fail(err.message, 2);
      }
      if (ctx.debug && err instanceof Error && err.stack) ctx.io.stderr.write(`${err.stack}\n`);
      return fail(`internal error: ${err instanceof Error ? err.message : String(err)}`, 1);
    }
  },
};
