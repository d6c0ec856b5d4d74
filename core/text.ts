/**
 * The one rule for showing text from outside (names from CSSM, a cluster, a chat user) to a
 * person: control characters are shown as escapes, never obeyed. A customer named
 * `Stark \x1b[2J\x1b]0;pwned\x07` then neither clears a terminal nor retitles its window,
 * forges a table row, or hides in a CSV or a web page. Terminal tables, the text renderer,
 * every text the CLI writes (stdout or --out), CSV and the site go through it.
 */

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };

export interface EscapeOptions {
  /** Multi-line text (a report, a section): line ends (\n, \r\n) and tabs stay as they are. */
  keepLines?: boolean;
}

/** Shows control characters (C0, DEL, C1, line separators, bidi overrides) as escapes. */
export function escapeControl(s: string, opts: EscapeOptions = {}): string {
  return s.replace(CONTROL, (c, at: number) => {
    if (opts.keepLines && (c === '\n' || c === '\t' || (c === '\r' && s[at + 1] === '\n')))
      return c;
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
