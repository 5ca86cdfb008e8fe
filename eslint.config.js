import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

/** Imports flow one way: ui → shared (+ engine types); engine → checkpoint, bundle, shared; checkpoint, bundle → shared. */
const restrict = (patterns) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
});

export default ts.config(
  { ignores: ['dist/', 'dist-test/', 'node_modules/', 'public/', '.scratch/', 'test-results/', 'playwright-report/', 'dev-harness.html'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser } },
  },
  {
    files: ['src/ui/**'],
    rules: restrict([
      { group: ['@tensorflow/*'], message: 'The UI never imports tfjs: ask the engine.' },
      { group: ['**/engine/*', '**/checkpoint/*', '**/bundle/*'], allowTypeImports: true, message: 'The UI talks to the engine through the worker only.' },
    ]),
  },
  {
    files: ['src/shared/**'],
    rules: restrict([{ group: ['**/engine/*', '**/ui/*', '**/checkpoint/*', '**/bundle/*', '@tensorflow/*'], message: 'shared imports nothing of ours.' }]),
  },
  {
    files: ['src/checkpoint/**', 'src/bundle/**'],
    rules: restrict([{ group: ['**/engine/*', '**/ui/*', '@tensorflow/*'], message: 'checkpoint and bundle import only shared.' }]),
  },
);
