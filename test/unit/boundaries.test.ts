// Real: ESLint with the project's own eslint.config.js (type-aware rules switched off, since the
// probe sources are virtual). Faked: nothing; the probe files are text given to lintText.
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ overrideConfig: [tseslint.configs.disableTypeChecked] });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath });
  return (res?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['core/services/x.ts', "import { a } from '../../bot/commands/a.ts';"],
    ['core/services/x.ts', "import { a } from '../../emulator/index.ts';"],
    ['core/x.ts', "import { a } from '../site/a.ts';"],
    ['core/x.ts', "import { a } from '../bin/smartlic.ts';"],
    ['core/domain/x.ts', "import { a } from '../errors.ts';"],
    ['core/domain/x.ts', "import { z } from 'zod';"],
    ['core/domain/x.ts', "import { readFileSync } from 'node:fs';"],
    ['bot/commands/x.ts', "import { a } from '../../core/store/db.ts';"],
    ['emulator/x.ts', "import { a } from '../core/store/db.ts';"],
  ])('%s may not: %s', async (file, code) => {
    expect((await restricted(file, `${code}\nexport const b = a;\n`)).length).toBeGreaterThan(0);
  });

  it.each([
    ['core/services/x.ts', "import { a } from '../store/db.ts';"],
    ['core/domain/x.ts', "import { a } from './catalog.ts';"],
    ['bot/commands/x.ts', "import { a } from '../../core/index.ts';"],
    ['emulator/x.ts', "import { a } from '../core/domain/catalog.ts';"],
  ])('%s may: %s', async (file, code) => {
    expect(await restricted(file, `${code}\nexport const b = a;\n`)).toEqual([]);
  });
});
