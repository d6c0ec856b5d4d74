// Real: core/text.ts (the one rule for showing outside text) and the renderers that use it
// (bot/render: Slack's notification text, plain text). Faked: nothing; pure functions on
// hand-written hostile names (issue 20).
import { describe, expect, it } from 'vitest';
import { renderSlack, renderText, escapeControl as fromRender } from '../../bot/render/index.ts';
import { escapeControl } from '../../core/text.ts';

const STARK = 'Stark \u001b[2J\u001b]0;pwned\u0007';

describe('escapeControl: control characters shown, never obeyed', () => {
  it('escapes C0, DEL, C1, NUL, line separators and bidi overrides', () => {
    expect(escapeControl(STARK)).toBe('Stark \\x1b[2J\\x1b]0;pwned\\x07');
    expect(escapeControl('a\u0000b\u007fc\u009bd')).toBe('a\\0b\\x7fc\\x9bd');
    expect(escapeControl('x\u202eevil\u2066\u2028')).toBe('x\\u202eevil\\u2066\\u2028');
    expect(escapeControl('one\ntwo\tthree\r')).toBe('one\\ntwo\\tthree\\r');
  });

  it('keeps line ends and tabs of multi-line text, but not a lone carriage return', () => {
    expect(escapeControl('a\r\nb\n\tc\rd\u001b', { keepLines: true })).toBe('a\r\nb\n\tc\\rd\\x1b');
  });

  it('leaves ordinary text (and text already escaped) as it is', () => {
    for (const s of ['Acme Corp', 'Zürich — 東京', 'Stark \\x1b[2J', ''])
      expect(escapeControl(s)).toBe(s);
  });

  it('is the very function bot/render exports for the text renderer and the CLI', () => {
    expect(fromRender).toBe(escapeControl);
    expect(renderText({ status: 'ok', title: STARK, blocks: [] })).toBe(
      'Stark \\x1b[2J\\x1b]0;pwned\\x07\n',
    );
  });
});

describe("Slack's notification text", () => {
  it('is escaped like the blocks: a name cannot mention @here or forge a link', () => {
    const m = renderSlack({
      status: 'error',
      title: '⚠️ <!here>-cuc failed <http://evil.example|click> & \u001b[2J',
      blocks: [],
    });
    expect(m.text).toBe(
      ':x: ⚠️ &lt;!here&gt;-cuc failed &lt;http://evil.example|click&gt; &amp; \\x1b[2J',
    );
    expect(m.text).not.toContain('<');
  });
});
