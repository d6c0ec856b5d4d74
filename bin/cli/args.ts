/**
 * The CLI's one argument parser: `--flag value`, `--flag=value`, `-h`, booleans, `--` to end
 * options. Every complaint is an INPUT error in our own words (never Node's parser text), and
 * an unknown flag or subcommand gets a "did you mean …" when one is close.
 */
import { SmartlicError } from '../../core/errors.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** One-letter alias, without the dash. */
  short?: string;
  /** Placeholder in help, e.g. `NAME` (strings only). */
  value?: string;
  /** One line for the options list; omitted options are accepted but not listed. */
  help?: string;
  multiple?: boolean;
  /** Value when the option is not given (as node:util parseArgs takes it). */
  default?: string | boolean | string[];
}

export type OptionSpecs = Record<string, OptionSpec>;

export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean'
    ? boolean
    : O[K]['multiple'] extends true
      ? string[]
      : string;
};

export interface ParsedArgs<O extends OptionSpecs> {
  values: OptionValues<O>;
  positionals: string[];
  /** `--help` or `-h` was given (anywhere before `--`). */
  help: boolean;
}

/** Edit distance with adjacent transpositions (optimal string alignment), for typo suggestions. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within a typo's distance, or undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const cl = c.toLowerCase();
    const d = cl.startsWith(w) && w.length >= 3 ? 1 : editDistance(w, cl);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  return bestD <= limit ? best : undefined;
}

export function didYouMean(word: string, candidates: readonly string[], prefix = ''): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` — did you mean "${prefix}${c}"?`;
}

function input(message: string, helpRef: string): SmartlicError {
  return new SmartlicError({ code: 'INPUT', message, action: `see "${helpRef}"` });
}

/**
 * Parses `args` against `options`. `helpRef` (e.g. `smartlic cluster add --help`) is named in
 * every error. `--help`/`-h` are always understood.
 */
export function parseArgv<O extends OptionSpecs>(
  args: readonly string[],
  options: O,
  helpRef: string,
): ParsedArgs<O> {
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  let help = false;
  const names = Object.keys(options);
  const byShort = new Map<string, string>();
  for (const [n, o] of Object.entries(options)) if (o.short) byShort.set(o.short, n);
  const set = (name: string, v: string | boolean) => {
    const o = options[name]!;
    if (o.multiple)
      ((values[name] as string[] | undefined) ?? (values[name] = [])).push(v as never);
    else values[name] = v;
  };

  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a === '--help' || a === '-h') {
      help = true;
      continue;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const o = options[name];
      if (!o) {
        throw input(`unknown option --${name}${didYouMean(name, names, '--')}`, helpRef);
      }
      if (o.type === 'boolean') {
        if (eq > 0) throw input(`--${name} takes no value`, helpRef);
        set(name, true);
        continue;
      }
      let v: string | undefined;
      if (eq > 0) v = a.slice(eq + 1);
      else {
        const next = args[i + 1];
        // A value may start with "-", unless it is one of this command's own flags.
        const isFlag =
          next !== undefined &&
          (next === '--help' ||
            next === '-h' ||
            (next.startsWith('--') && options[next.slice(2).split('=')[0]!] !== undefined));
        if (next === undefined || isFlag) {
          throw input(`--${name} needs a value${o.value ? ` (${o.value})` : ''}`, helpRef);
        }
        v = next;
        i++;
      }
      set(name, v);
      continue;
    }
    if (a.startsWith('-') && a.length === 2 && a !== '-') {
      const name = byShort.get(a.slice(1));
      if (!name) throw input(`unknown option ${a}`, helpRef);
      const o = options[name]!;
      if (o.type === 'boolean') set(name, true);
      else {
        const next = args[++i];
        if (next === undefined) throw input(`${a} needs a value`, helpRef);
        set(name, next);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 2 && !a.startsWith('--')) {
      throw input(
        `unknown option ${a}${didYouMean(a.replace(/^-+/, ''), names, '--')} (long options take two dashes)`,
        helpRef,
      );
    }
    positionals.push(a);
  }
  for (const [n, o] of Object.entries(options)) {
    if (values[n] === undefined && o.default !== undefined) values[n] = o.default;
  }
  return { values: values as OptionValues<O>, positionals, help };
}
