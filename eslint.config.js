// Lint gate for the TypeScript sources: the few rules the compiler cannot enforce and that
// matter here (no promise left unhandled, no focused or skipped test). Type-aware, so it needs
// `tsc -b` first (imports of other workspaces resolve to their dist/ declarations).
import jest from 'eslint-plugin-jest';
import tseslint from 'typescript-eslint';

const PROMISE_RULES = {
  // A promise nobody awaits or catches turns a failure into an unhandled rejection or silence.
  '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false }],
  // An async callback where a plain one is expected (event handlers, forEach, gRPC handlers)
  // has its rejection dropped by the caller.
  '@typescript-eslint/no-misused-promises': 'error',
  '@typescript-eslint/await-thenable': 'error',
};

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '.node22/**', 'packages/protocol/src/generated/**', '**/*.js', '**/*.mjs', '**/*.cjs'],
  },
  {
    files: ['**/*.ts'],
    ignores: ['web/**'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: PROMISE_RULES,
  },
  {
    // The web UI has its own programs (DOM types, JSX, bundler resolution): the app and its unit tests.
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: ['./web/tsconfig.json', './web/tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: PROMISE_RULES,
  },
  {
    files: ['**/*.test.ts'],
    plugins: { jest },
    rules: {
      // No test may be focused (`.only`, `fit`) or switched off (`.skip`, `xit`, no body) in the tree.
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
    },
  },
);
