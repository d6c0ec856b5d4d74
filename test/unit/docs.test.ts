// The README and docs/ cannot drift from the code (issue 12):
// - the command reference (README's generated part and docs/commands.md) is what `npm run docs`
//   produces from the CLI's command list and the chat registry, byte for byte;
// - the configuration table lists exactly the settings of core/config.ts's schema, each with its
//   environment variable (ENV_VARS) and its default;
// - every `smartlic …` command line in the README's examples names a command, subcommand and
//   options that exist (checked against each command's own --help);
// - the README and docs/ link to nothing outside the clone, and every relative link resolves;
// - the README's screenshot of the site is a PNG under 300 KB.
// Real: the CLI's help (run in-process), the registry, the zod schema, prettier, the files.
// Faked: nothing.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { COMMANDS, main, registry, servedByRegistry } from '../../bin/smartlic.ts';
import { ENV_VARS, configSchema } from '../../core/config.ts';
import { BEGIN, END, ROOT, expectedFiles } from '../../scripts/docs.ts';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('command reference', () => {
  it('README.md and docs/commands.md are what `npm run docs` generates', async () => {
    const want = await expectedFiles();
    expect(readme.includes(BEGIN) && readme.includes(END)).toBe(true);
    // On failure: run `npm run docs` and commit the result.
    expect(readme).toBe(want.readme);
    expect(readFileSync(join(ROOT, 'docs', 'commands.md'), 'utf8')).toBe(want.reference);
  }, 60_000);

  it('lists every CLI command and every chat verb', () => {
    const part = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END));
    for (const c of COMMANDS) expect(part).toContain(`| \`smartlic ${c.name}\``);
    expect(part).toContain('| `status [<customer-or-level>]`');
    expect(part).toContain('| `role grant\\|revoke\\|list');
  });
});

/** Every leaf setting of the schema: its dotted path. */
function leaves(schema: z.ZodTypeAny, prefix = ''): string[] {
  let s: z.ZodTypeAny = schema;
  for (;;) {
    if (s instanceof z.ZodDefault) s = s._def.innerType as z.ZodTypeAny;
    else if (s instanceof z.ZodOptional) s = s._def.innerType as z.ZodTypeAny;
    else if (s instanceof z.ZodEffects) s = s._def.schema as z.ZodTypeAny;
    else break;
  }
  if (s instanceof z.ZodObject) {
    return Object.entries(s.shape as Record<string, z.ZodTypeAny>).flatMap(([k, v]) =>
      leaves(v, prefix ? `${prefix}.${k}` : k),
    );
  }
  return [prefix];
}

function get(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], obj);
}

/** Rows of the README's configuration table: settings (expanded), env cell, default cell. */
function configRows(): { paths: string[]; env: string; def: string; raw: string }[] {
  const section = readme.slice(
    readme.indexOf('## Configuration'),
    readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5),
  );
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => {
      const cells = l
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => c.trim());
      const names = [...cells[0]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      // `bot.roles.admin` / `operator` / `viewer`: the short ones share the first one's prefix.
      const base = names[0]!.split('.').slice(0, -1).join('.');
      const paths = names.map((n, i) => (i === 0 || n.includes('.') ? n : `${base}.${n}`));
      return { paths, env: cells[1]!, def: cells[2]!, raw: l };
    });
}

describe('configuration table', () => {
  const all = leaves(configSchema);
  const defaults = configSchema.parse({});
  const rows = configRows();
  const documented = rows.flatMap((r) => r.paths);

  it('lists every setting of core/config.ts, and nothing else', () => {
    const alertsRow = rows.find((r) => r.paths.includes('alerts.*'));
    expect(alertsRow?.def).toContain('docs/alerts.md');
    const expanded = documented.flatMap((p) =>
      p === 'alerts.*'
        ? all.filter((a) => a.startsWith('alerts.') && !documented.includes(a))
        : [p],
    );
    expect([...expanded].sort()).toEqual([...all].sort());
    // The thresholds the table sends to docs/alerts.md are there.
    const alertsDoc = readFileSync(join(ROOT, 'docs', 'alerts.md'), 'utf8');
    for (const p of all.filter((a) => a.startsWith('alerts.') && !documented.includes(a))) {
      expect(alertsDoc, p).toContain(p.split('.').pop()!);
    }
  });

  it('names the environment variable of each setting (and — where there is none)', () => {
    for (const r of rows) {
      for (const p of r.paths) {
        const v = ENV_VARS.find((e) => e.path === p);
        if (v) expect(r.env, p).toBe(`\`${v.name}\``);
        else expect(r.env, p).toBe('—');
      }
    }
    for (const v of ENV_VARS) expect(documented, v.name).toContain(v.path);
    expect(readme).toContain('SMARTLIC_CONFIG');
  });

  it('shows the default of each setting that has one', () => {
    // db.path's default is picked by bin/ (the clone's data/ or XDG), explained in its section.
    const pickedByBin = new Set(['db.path']);
    let checked = 0;
    for (const r of rows) {
      for (const p of r.paths) {
        if (p === 'alerts.*' || pickedByBin.has(p)) continue;
        const d = get(defaults, p);
        if (d === undefined) continue;
        const shown =
          typeof d === 'object' ? JSON.stringify(d) : `${d as string | number | boolean}`;
        expect(r.def, `${p} defaults to ${shown}`).toContain(`\`${shown}\``);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(rows.find((r) => r.paths.includes('db.path'))?.def).toContain('Where the data is');
  });
});

async function helpOf(argv: string[]): Promise<string> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await main([...argv, '--help'], {
    stdout,
    stderr: new PassThrough(),
    stdin: Readable.from([]),
    env: { HOME: '/nonexistent' },
    isTty: false,
  });
  expect(code, `smartlic ${argv.join(' ')} --help`).toBe(0);
  return out;
}

describe('README examples', () => {
  it('every smartlic command line names a command, subcommand and options that exist', async () => {
    const blocks = [...readme.matchAll(/```(?:sh|bash)?\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const lines = blocks
      .flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n'))
      .map((l) => /(?:^|\s|\$ )(?:npx )?smartlic (.*)$/.exec(l.replace(/#.*$/, ''))?.[1])
      .filter((l): l is string => l !== undefined);
    expect(lines.length).toBeGreaterThan(10);
    const global = ['--json', '--wide', '--debug', '--help', '--log-format', '--version'];
    for (const line of lines) {
      const words = line.split(/\s+/).filter(Boolean);
      const verb = words[0]!;
      if (verb.startsWith('--')) {
        expect(global, line).toContain(verb);
        continue;
      }
      // A process verb (bin/) or a verb of the command registry (bot/commands), issue 21.
      expect([...COMMANDS.map((c) => c.name), ...(await registry()).heads()], line).toContain(verb);
      const plain = words.filter((w) => !w.startsWith('-'));
      if (
        await servedByRegistry(
          words,
          COMMANDS.some((c) => c.name === verb),
        )
      ) {
        // A registry verb: its help is the registry's (`smartlic <verb> [sub] --help`).
        const help = await helpOf(plain.slice(0, 2));
        for (const flag of words.filter((w) => /^--[a-z]/.test(w))) {
          const name = flag.split('=')[0]!;
          if (global.includes(name) || name === '--out' || name === '--yes') continue;
          expect(help, `${line}: ${name}`).toMatch(new RegExp(`${name}(?![\\w-])`));
        }
        continue;
      }
      const top = await helpOf([verb]);
      const sub = words[1] && /^[a-z][a-z-]*$/.test(words[1]) ? words[1] : undefined;
      let text = top;
      if (sub && new RegExp(`^\\s+${sub}\\s`, 'm').test(top) && /Commands:/.test(top)) {
        text = await helpOf([verb, sub]);
      }
      for (const flag of words.filter((w) => /^--[a-z]/.test(w))) {
        const name = flag.split('=')[0]!;
        if (global.includes(name)) continue;
        expect(text, `${line}: ${name}`).toMatch(new RegExp(`${name}(?![\\w-])`));
      }
    }
  }, 60_000);
});

describe('links', () => {
  const files = [
    join(ROOT, 'README.md'),
    ...(function walk(dir: string): string[] {
      return readdirSync(dir).flatMap((f) => {
        const p = join(dir, f);
        return statSync(p).isDirectory() ? walk(p) : p.endsWith('.md') ? [p] : [];
      });
    })(join(ROOT, 'docs')),
  ];

  it('README.md and docs/ point at nothing outside the clone', () => {
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/\.\.\/shared|\/work\//);
      const depth = f.slice(ROOT.length).split('/').filter(Boolean).length - 1;
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^(https?:|mailto:|#)/.test(target)) continue;
        const ups = target.split('/').filter((s) => s === '..').length;
        expect(ups, `${f}: ${target}`).toBeLessThanOrEqual(depth);
        const file = join(dirname(f), target.split('#')[0]!);
        expect(existsSync(file), `${f}: ${target} does not exist`).toBe(true);
      }
    }
  });
});

describe('screenshot', () => {
  it('the README shows the site: a PNG under 300 KB made by npm run screenshot', () => {
    const png = join(ROOT, 'docs', 'img', 'site-overview.png');
    expect(readme).toContain('](docs/img/site-overview.png)');
    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(bytes.length).toBeLessThan(300 * 1024);
    // 1280 × 900, as the script takes it (IHDR width and height).
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([1280, 900]);
  });
});
