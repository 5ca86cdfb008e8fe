import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

/**
 * Imports flow one way (docs/architecture.md):
 *   ui → families, sources (their pure and UI parts), shared; engine only as types
 *   engine → families, sources, checkpoint, bundle, shared
 *   checkpoint → shared; bundle → families (pure), shared; shared → nothing of ours
 *   a family or source folder: its pure files import shared and their own folder; worker*.ts may
 *   add tfjs and engine; *.svelte may add ui. No folder imports another family or source.
 */
/** One family or source folder does not import another's files. */
const crossFeature = { regex: '^\\.\\./(?!\\.\\.|shared/|engine/|ui/)[^/]+/|/(families|sources)/[^/]+/', message: 'One family or source folder does not import another\'s files; share through src/shared, the registry folder or src/engine/data.' };
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
      { group: ['**/engine/*', '**/checkpoint/*', '**/bundle/*', '**/worker*'], allowTypeImports: true, message: 'The UI talks to the engine through the worker only.' },
    ]),
  },
  {
    // The pure part of a family or source: every thread imports it.
    files: ['src/families/**/*.ts', 'src/sources/**/*.ts'],
    ignores: ['src/**/worker*.ts', 'src/**/ui-registry.ts', 'src/**/*.test.ts'],
    rules: restrict([
      { group: ['@tensorflow/*', 'svelte', 'svelte/*', '**/engine/*', '**/ui/*', '**/checkpoint/*', '**/bundle/*', '**/worker*', '**/*.svelte'], allowTypeImports: false, message: 'A family or source\'s pure files import only shared and their own folder; tfjs goes in worker.ts, Svelte in *.svelte.' },
      crossFeature,
    ]),
  },
  {
    // The worker part of a family or source.
    files: ['src/families/**/worker*.ts', 'src/sources/**/worker*.ts'],
    rules: restrict([{ group: ['**/ui/*', '**/*.svelte', 'svelte', '**/checkpoint/*', '**/bundle/*'], message: 'A worker part runs in the training worker: no UI, and the store and codecs are the engine\'s.' }, crossFeature]),
  },
  {
    files: ['src/shared/**'],
    rules: restrict([{ group: ['**/engine/*', '**/ui/*', '**/checkpoint/*', '**/bundle/*', '@tensorflow/*'], message: 'shared imports nothing of ours.' }]),
  },
  {
    files: ['src/checkpoint/**'],
    rules: restrict([{ group: ['**/engine/*', '**/ui/*', '**/families/*', '**/sources/*', '**/bundle/*', '@tensorflow/*'], message: 'checkpoint imports only shared.' }]),
  },
  {
    files: ['src/bundle/**'],
    rules: restrict([{ group: ['**/engine/*', '**/ui/*', '**/sources/*', '**/worker*', '**/*.svelte', '@tensorflow/*'], message: 'bundle imports only shared and the families\' pure parts.' }]),
  },
);
