// One registry, two faces (issue 21): every read verb's example from the registry runs from the
// terminal (`smartlic <verb> … --json`, bin/smartlic.ts main → bin/cli/terminal.ts) and through
// `smartlic ask "<verb> …" --json`, and both print the same JSON document; the terminal text of
// each is compared with a golden file (test/golden/cli/<verb>.txt; UPDATE_GOLDEN=1 rewrites
// them). Aliases (`cluster list`, `va list`, `account list`, `cluster show X`, `--window`) run
// the same spec as their canonical spelling.
// Real: the CLI entry in-process, the emulator (demo scenario, frozen clock) on loopback, a temp
// SQLite file with the real migrations, the command layer and its handlers, the read models.
// Faked: stdin/stdout are in-memory streams (not a TTY: tables fit 100 columns). The golden
// text has its times, dates, day counts and the emulator's port masked (they follow the clock).
// Covers: bin/cli/terminal.ts, bin/smartlic.ts (dispatch), bot/commands (aliases, flag aliases,
// older spellings, typed data, confirmations, the audit's redaction), bot/console/console.ts
// (replyDocument), bot/commands/handlers/{reads,planning,reports,writes,inventory}.ts. The write
// verbs run against the same lab (a customer added and removed; the rest change nothing).
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRegistry, tokenize } from '../../bot/index.ts';
import { globexLab, HCS, type GlobexLab } from './cli-globex-lab.ts';

const GOLDEN = fileURLToPath(new URL('../golden/cli/', import.meta.url));

let lab: GlobexLab;
beforeAll(async () => {
  lab = await globexLab('smartlic-cli-registry-');
}, 60_000);
afterAll(() => lab.close());

/**
 * Registry verbs whose terminal spelling still reaches a bin/cli module (not yet moved), with
 * the reason; every other viewer verb is compared.
 */
const NOT_COMPARED: Record<string, string> = {};

const reads = defaultRegistry()
  .list()
  .filter((s) => s.role === 'viewer' && NOT_COMPARED[s.verb] === undefined);

/** The values that follow the wall clock: the time of the lab's sync and of `now`. */
function stable(doc: unknown): unknown {
  return JSON.parse(
    JSON.stringify(doc, (k, v: unknown) => (k === 'at' || k === 'generatedAt' ? '<now>' : v)),
  );
}

function masked(text: string): string {
  return (
    text
      .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
      .replace(/\d{4}-\d\d-\d\d([ T]\d\d:\d\d(:\d\d(\.\d+)?Z?)?)?( UTC)?/g, 'DATE')
      .replace(/\b\d+ \((authorization|registration|overage|evaluation)\)/g, 'N ($1)')
      .replace(/\((in )?\d+ days( left)?\)/g, '(N days)')
      // A term line's days left (after its start, end and status) follows the clock too.
      .replace(/( {2,}DATE {2,}DATE {2,}[A-Z]+) {2,}-?\d+$/gm, '$1  N')
      .replace(/ {2,}/g, '  ')
      .replace(/-{2,}/g, '--')
  );
}

function golden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
  }
  expect(existsSync(file), `${name} is missing: run with UPDATE_GOLDEN=1 once and review it`).toBe(
    true,
  );
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

describe('every read verb: the terminal runs the spec the chat runs', () => {
  it('covers the registry', () => {
    expect(reads.map((s) => s.verb)).toEqual(
      expect.arrayContaining(['status', 'usage', 'clusters', 'cluster', 'forecast', 'report']),
    );
  });

  it.each(reads.map((s) => [s.verb, s.example]))(
    '%s: `%s` gives one JSON document on both faces, and its text is the golden one',
    async (verb, example) => {
      const words = tokenize(example);
      const term = await lab.run([...words, '--json']);
      expect(term.code, term.err).toBe(0);
      const asked = await lab.run(['ask', example, '--json']);
      expect(asked.code, asked.out).toBe(0);
      expect(stable(JSON.parse(term.out))).toEqual(stable(JSON.parse(asked.out)));
      const text = await lab.run(words);
      expect(text.code, text.err).toBe(0);
      expect(Math.max(...text.out.split('\n').map((l) => l.length))).toBeLessThanOrEqual(
        verb === 'report' ? Infinity : 100,
      );
      golden(`${verb.replace(/ /g, '-')}.txt`, masked(text.out));
    },
  );
});

describe('one spelling or another, one spec', () => {
  it.each([
    [
      ['cluster', 'list', '--failed'],
      ['clusters', '--failed'],
    ],
    [['account', 'list'], ['accounts']],
    [['va', 'list'], ['vas']],
    [
      ['cluster', 'show', 'globex-cucm-01'],
      ['cluster', 'globex-cucm-01'],
    ],
    [
      ['forecast', `${HCS}/va-globex`, '--window', '30'],
      ['forecast', `${HCS}/va-globex`, '--days', '30'],
    ],
    [
      ['plan', 'migrate', 'Globex', '--to', 'HCS'],
      ['plan', '--customer', 'Globex', '--to', 'HCS'],
    ],
  ])('%j is %j', async (a, b) => {
    const x = await lab.run([...a, '--json']);
    const y = await lab.run([...b, '--json']);
    expect(x.code, x.err).toBe(0);
    expect(stable(JSON.parse(x.out))).toEqual(stable(JSON.parse(y.out)));
  });

  it('the same validation and exit code on both faces', async () => {
    const t = await lab.run(['forecast', `${HCS}/va-globex`, '--days', '1']);
    const a = await lab.run(['ask', `forecast ${HCS}/va-globex --days 1`]);
    expect(t.code).toBe(2);
    expect(a.code).toBe(2);
    expect(t.err).toContain('--days must be a whole number from 2 to 3650');
    expect(a.out).toContain('--days must be a whole number from 2 to 3650');
    const missing = await lab.run(['cluster', 'show', 'globex-cucm-1']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/NOT_FOUND: .*Did you mean "globex-cucm-01"/);
    const unknownFlag = await lab.run(['clusters', '--falied']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.err).toContain('unknown flag --falied');
  });

  it("the start banner's suggestion runs", async () => {
    const r = await lab.run(['clusters', '--failed']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('globex-cucm-01');
  });

  it('--out writes what the terminal would print, in full; an xlsx goes only to a file', async () => {
    const file = join(lab.dir, 'clusters.txt');
    const r = await lab.run(['clusters', '--out', file]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('');
    expect(readFileSync(file, 'utf8')).toMatch(/globex-cucm-01 .*Out of compliance\s+\d+ \(/);
    const x = await lab.run(['report', 'hlm', '--format', 'xlsx']);
    expect(x.code).toBe(2);
    expect(x.err).toContain('write it with --out FILE');
  });

  it('help comes from the registry, aliases included', async () => {
    const h = await lab.run(['cluster', 'list', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toContain('clusters [--failed] [--customer NAME]');
    expect(h.out).toContain('--type CUCM|CUC|CER');
  });
});

describe('the write verbs: one spec on the terminal and in chat (issue 21, bin/ keeps process verbs)', () => {
  it('a dry run and a refusal give the same JSON on both faces; the text is the golden one', async () => {
    const dry = ['register', 'globex-cucm-01', '--dry-run'];
    const term = await lab.run([...dry, '--json']);
    const asked = await lab.run(['ask', dry.join(' '), '--json']);
    expect(term.code, term.err).toBe(0);
    expect(JSON.parse(term.out)).toEqual(JSON.parse(asked.out));
    expect(JSON.parse(term.out)).toMatchObject({
      registeredNow: true,
      blockedBy: { code: 'ALREADY_REGISTERED' },
    });
    const text = await lab.run(['cluster', 'register', 'globex-cucm-01', '--dry-run']);
    expect(text.code, text.err).toBe(0);
    golden('register-dry-run.txt', masked(text.out));

    const bad = ['mode', `${HCS}/va-nope`, 'HCS', '--yes'];
    const t2 = await lab.run([...bad, '--json']);
    const a2 = await lab.run(['ask', bad.join(' '), '--json']);
    expect(t2.code).toBe(2);
    expect(a2.code).toBe(2);
    expect(JSON.parse(t2.out)).toEqual(JSON.parse(a2.out));
    expect(JSON.parse(t2.out)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('a write runs as one job on both faces and --json is its typed data', async () => {
    const term = await lab.run(['customer', 'add', 'Initrode', '--sa', HCS, '--json']);
    expect(term.code, term.err).toBe(0);
    const asked = await lab.run(['ask', `customer add Initrode --sa ${HCS}`, '--json']);
    expect(asked.code, asked.out).toBe(0);
    // The same document: the customer, whether it was new, the job (the second run updates).
    const [t, a] = [JSON.parse(term.out), JSON.parse(asked.out)] as Record<string, unknown>[];
    expect(Object.keys(t!).sort()).toEqual(Object.keys(a!).sort());
    expect(t!.customer).toEqual(a!.customer);
    expect(t).toMatchObject({ created: true, job: { jobType: 'Add Customer' } });
    expect(JSON.parse(asked.out)).toMatchObject({
      customer: { name: 'Initrode' },
      created: false,
      job: {
        jobType: 'Update Customer',
        status: 'Completed',
        requestedBy: expect.stringMatching(/^console:/),
      },
    });
    const gone = await lab.run(['customer', 'remove', 'Initrode', '--yes', '--json']);
    expect(gone.code, gone.err).toBe(0);
    expect(JSON.parse(gone.out)).toMatchObject({
      removed: 'Initrode',
      job: { status: 'Completed' },
    });
  });

  it('a destructive verb in a script needs --yes: refused, exit 2, nothing changed', async () => {
    const r = await lab.run(['cluster', 'unassign', 'globex-cucm-01']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(
      /^smartlic unassign: CONFIRM: `unassign globex-cucm-01` changes things and asks first; nothing was changed .* — add --yes to run it: smartlic unassign globex-cucm-01 --yes$/m,
    );
    const j = await lab.run(['cluster', 'unassign', 'globex-cucm-01', '--json']);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.out)).toMatchObject({ error: { code: 'CONFIRM' } });
    const still = await lab.run(['cluster', 'show', 'globex-cucm-01', '--json']);
    expect(still.out).toContain(`${HCS}/va-globex`);
  });

  it('the older spellings answer with the one form, on both faces', async () => {
    for (const [argv, right] of [
      [['cluster', 'renew-auth', 'globex-cucm-01'], '`renew auth|registration <cluster>'],
      [['va', 'mode', HCS, 'va-globex', 'HCS'], `Write \`mode ${HCS}/va-globex HCS\``],
      [
        ['cluster', 'assign', 'globex-cucm-01', '--va', `${HCS}/va-globex`],
        'the VA is the second word',
      ],
      [['sync', '--account', HCS], `Write \`sync ${HCS}\``],
    ] as const) {
      const t = await lab.run([...argv]);
      expect(t.code, argv.join(' ')).toBe(2);
      expect(t.err).toContain(right);
      const a = await lab.run(['ask', argv.join(' ')]);
      expect(a.code, argv.join(' ')).toBe(2);
      expect(a.out).toContain(right);
    }
  });

  it('a secret never goes through chat: the chat refuses account add and names the terminal command', async () => {
    expect((await lab.run(['ask', 'role grant slack:UADM admin'])).code).toBe(0);
    const chat = await lab.run([
      'ask',
      '--as',
      'slack:UADM',
      'account add --domain other.example.com --client-id x --secret-env S',
    ]);
    expect(chat.code).toBe(2);
    expect(chat.out).toMatch(/the client secret never goes through chat/);
    expect(chat.out).toMatch(
      /run `smartlic account add --domain other\.example\.com --client-id x --secret-stdin` in a terminal/,
    );
    // A secret typed on the line is refused, and the audit keeps the line without it.
    const typed = await lab.run([
      'ask',
      'account add --domain d.example --client-id x --secret hunter2',
    ]);
    expect(typed.code).toBe(2);
    expect(typed.out).toMatch(/--secret is not accepted/);
    expect(typed.out).not.toContain('hunter2');
    const db = new Database(lab.env.SMARTLIC_DB);
    try {
      const rows = db.prepare('select details from audit_log').all() as { details: string }[];
      expect(rows.some((r) => r.details.includes('--secret ***'))).toBe(true);
      expect(rows.some((r) => r.details.includes('hunter2'))).toBe(false);
    } finally {
      db.close();
    }
  });
});
