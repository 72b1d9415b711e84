import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'coverage'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='innerHTML']",
          message: 'Event data is rendered as text only.',
        },
      ],
    },
  },
  {
    // The engine runs unchanged in Node, a worker and a server: no DOM, no IndexedDB.
    files: ['src/log/**', 'src/doc/**'],
    rules: {
      'no-restricted-globals': [
        'error',
        'window',
        'document',
        'indexedDB',
        'localStorage',
        'navigator',
        'BroadcastChannel',
      ],
      'no-restricted-imports': [
        'error',
        { patterns: ['idb', 'idb/*', 'comlink', 'preact*'] },
      ],
    },
  },
  {
    // The page reaches its worker through the contract (src/contract) only: nothing
    // of the worker's own code is loaded into the page.
    files: ['src/ui/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/worker/**'],
              message: 'Import the worker contract from src/contract instead.',
            },
          ],
        },
      ],
    },
  },
);
