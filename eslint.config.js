// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Import-boundary rules: see docs (ARCHITECTURE "Which way the arrows run"). */
/** @param {unknown[]} patterns @returns {['error', { patterns: unknown[] }]} */
const restrict = (patterns) => ['error', { patterns }];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'site/src/**',
      'site/dist/**',
      'site/.astro/**',
      'site/.build-*/**',
      'site/lib/*.mjs',
      // Plain JavaScript preloads (`node --import`): they run before the TypeScript loader.
      'test/support/*.mjs',
      'test-artifacts/**',
      'dist/**',
      'coverage/**',
      'data/**',
      'bin/smartlic.js',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      'no-console': 'off',
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict([
        {
          regex: '(^|/)(bot|site|emulator|bin)/',
          message:
            'core/ must not import bot/, site/, emulator/ or bin/ (ARCHITECTURE: which way the arrows run).',
        },
      ]),
    },
  },
  {
    files: ['core/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict([
        {
          regex: '^(?!\\./)',
          message:
            'core/domain/ is pure: it imports nothing outside itself (no packages, no node:, no ../).',
        },
      ]),
    },
  },
  {
    files: ['bot/**/*.ts', 'site/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict([
        {
          regex: '(^|/)core/(?!index\\.ts$)',
          message: 'bot/ and site/ import core/index.ts only, not core internals.',
        },
        {
          regex: '(^|/)(emulator|bin)/',
          message: 'bot/ and site/ must not import emulator/ or bin/.',
        },
      ]),
    },
  },
  {
    files: ['emulator/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict([
        {
          regex: '(^|/)core/(?!domain/)',
          message:
            'The emulator may reuse core/domain only; it is a separate system that speaks HTTP.',
        },
        {
          regex: '(^|/)(bot|site|bin)/',
          message: 'The emulator must not import bot/, site/ or bin/.',
        },
      ]),
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
