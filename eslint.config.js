// Lint rules, including the process boundaries (see README, "Architecture"):
// - plain-Node core (electron/core) and shared types (electron/shared) never import `electron`;
// - the renderer and shared types never import Node built-ins, and the renderer reaches the rest
//   of the app only through electron/shared (types, error codes).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const noElectron = {
  name: 'electron',
  message: 'Core and shared code is plain Node: it must not import electron (it runs in the CLI, web mode and tests).',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native/build/**', 'out/**', 'test-results/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['electron/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron], patterns: [{ group: ['electron/*'], message: noElectron.message }, { group: ['**/main/**', '**/preload/**'], message: 'Core code must not depend on Electron main or preload code.' }] }],
    },
  },
  {
    files: ['electron/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron, ...nodeBuiltins.map((name) => ({ name, message: 'Shared code is also used by the renderer: no Node built-ins.' }))],
          patterns: [{ group: ['**/core/**', '**/main/**', '**/preload/**'], message: 'Shared code depends on nothing but itself.' }],
        },
      ],
    },
  },
  {
    files: ['renderer/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The renderer is sandboxed: reach the app through the preload bridge (renderer/src/api).' },
            ...nodeBuiltins.map((name) => ({ name, message: 'The renderer has no Node: use the ApolloApi (renderer/src/api).' })),
          ],
          patterns: [
            {
              group: ['**/electron/core/**', '**/electron/main/**', '**/electron/preload/**'],
              message: 'The renderer may import only shared types from electron/shared.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/core/**', '**/main/**'], message: 'The preload only bridges IPC: no core or main code.' }] }],
    },
  },
);
