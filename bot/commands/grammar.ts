/**
 * The one grammar of every platform: `<verb> [args] [--flag value]`. Words split on white
 * space; "double" or 'single' quotes keep spaces; `--flag=value` and `--flag value` are the
 * same; a flag the command declares boolean takes no value. Slack's and Webex's smart quotes
 * count as quotes, since phones type them.
 */

import { closest } from './suggest.ts';

export class GrammarError extends Error {}

const QUOTES: Record<string, string> = { '"': '"', "'": "'", '“': '”', '‘': '’', '”': '”' };

export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let close: string | undefined;
  for (const ch of line) {
    if (close !== undefined) {
      if (ch === close) close = undefined;
      else cur += ch;
      continue;
    }
    if (QUOTES[ch] !== undefined) {
      close = QUOTES[ch];
      inWord = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    cur += ch;
    inWord = true;
  }
  if (close !== undefined) throw new GrammarError(`a quote is not closed (expected ${close})`);
  if (inWord) out.push(cur);
  return out;
}

/**
 * One word as `tokenize` reads it back: quoted when it holds white space or a quote (a command
 * smartlic builds from a name, e.g. an alert's button, must run on that name, not its pieces).
 */
export function quoteWord(word: string): string {
  if (word !== '' && !/[\s"'“”‘’]/.test(word)) return word;
  return /["“”]/.test(word) ? `'${word}'` : `"${word}"`;
}

export interface FlagSpec {
  name: string;
  /** Takes no value. */
  boolean?: boolean;
  help: string;
  /**
   * The value may be left out (then the flag is `true`): kept for an older switch spelling
   * such as `report hlm --customer` (now `--by customer`).
   */
  valueOptional?: boolean;
  /** Other names accepted for the flag (`--window` for `--days`); the value lands under `name`. */
  aliases?: readonly string[];
}

export interface ParsedArgs {
  args: string[];
  flags: Record<string, string | true>;
}

/** Splits words after the verb into positional arguments and declared flags. */
export function parseArgs(words: readonly string[], flags: readonly FlagSpec[]): ParsedArgs {
  const args: string[] = [];
  const out: Record<string, string | true> = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith('--') || w === '--') {
      args.push(w);
      continue;
    }
    const eq = w.indexOf('=');
    const name = (eq > 0 ? w.slice(2, eq) : w.slice(2)).toLowerCase();
    const spec = flags.find((f) => f.name === name || (f.aliases ?? []).includes(name));
    if (!spec) {
      const known = flags.map((f) => `--${f.name}`).join(', ');
      const near = closest(
        name,
        flags.map((f) => f.name),
      );
      throw new GrammarError(
        `unknown flag --${name}${near.length > 0 ? ` — did you mean "--${near[0]}"?` : ''}${known ? ` (this command takes ${known})` : ' (this command takes no flags)'}`,
      );
    }
    if (spec.boolean) {
      if (eq > 0) throw new GrammarError(`--${name} takes no value`);
      out[spec.name] = true;
      continue;
    }
    if (
      spec.valueOptional &&
      eq < 0 &&
      (words[i + 1] === undefined || words[i + 1]!.startsWith('--'))
    ) {
      out[spec.name] = true;
      continue;
    }
    const value = eq > 0 ? w.slice(eq + 1) : words[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) {
      const shape = (spec as FlagSpec & { value?: string }).value;
      throw new GrammarError(`--${name} needs a value${shape ? ` (${shape})` : ''}`);
    }
    out[spec.name] = value;
  }
  return { args, flags: out };
}
