// Lint rules, including the process boundaries (see README, "Architecture"). The folders of
// electron/ are the processes:
// - electron/main (Electron main) and electron/host (app service, web server, downloads, media
//   server, engine client: plain Node run by Electron main or the web server) are the host side;
// - electron/engine (engine server, runtime, video, vision, llm, chat, onnx, prepare, quant, model,
//   native) runs in the engine child process;
// - electron/common (platform paths, atomic files and locks, the video fingerprint) is plain Node
//   both sides use; electron/shared holds pure types and contracts (the renderer uses them too);
// - electron/cli is the `apollo-chat` process. It hosts both sides: `serve`, `ask`, `chat`,
//   `models` and `rm` use the host side (and an engine child through the EngineClient), while
//   `generate`, `embed`, `prepare`, `plan`, `frames`, `doctor`, `make-tiny-model` and the prepare
//   step of `pull` run engine-side code in-process, with no engine child. Only the CLI may do so.
// The walls:
// - host code (main, host) never imports engine code or onnxruntime: it reaches the engine through
//   the EngineClient (electron/host/engine-client) and the typed protocol (electron/shared). One
//   named exception: engine/prepare/prepared-folders.ts, the read-only lookup of prepared folders
//   (it reads manifests; whether one is current depends on the builders' versions);
// - engine code never imports host or CLI code; common code imports only shared code;
// - plain-Node code (host, engine, common, cli) and shared types never import `electron`;
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
  message: 'Host, engine, common, CLI and shared code is plain Node: it must not import electron (it runs in the CLI, web mode and tests).',
};
const noMainOrPreload = { group: ['**/main/**', '**/preload/**'], message: 'Plain-Node code must not depend on Electron main or preload code.' };

/** The rule for plain-Node code (host, engine, common, cli), plus each folder's own walls. */
function plainNodeRule({ paths = [], patterns = [] } = {}) {
  return { paths: [noElectron, ...paths], patterns: [{ group: ['electron/*'], message: noElectron.message }, noMainOrPreload, ...patterns] };
}

const noOnnxruntime = ['onnxruntime-node', 'onnxruntime-common'].map((name) => ({
  name,
  message: 'Host code never loads onnxruntime: model work runs in the engine process (call it through the EngineClient).',
}));
const hostNotEngine = {
  // A regex, not a group: gitignore-style groups cannot re-include a file below an excluded folder.
  regex: '(^|/)engine/(?!prepare/prepared-folders\\.js$)',
  message: 'Host code must not import engine code (electron/engine): call the engine through the EngineClient (electron/host/engine-client) with the types of electron/shared.',
};
const notCli = (who) => ({ group: ['**/cli/**'], message: `${who} code must not import the CLI (electron/cli).` });

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
    files: ['electron/{host,engine,common,cli}/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', plainNodeRule()] },
  },
  {
    files: ['electron/host/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', plainNodeRule({ paths: noOnnxruntime, patterns: [hostNotEngine, notCli('Host')] })] },
  },
  {
    files: ['electron/engine/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', plainNodeRule({ patterns: [{ group: ['**/host/**'], message: 'Engine code runs in the engine process: it must not import host code (electron/host).' }, notCli('Engine')] })] },
  },
  {
    files: ['electron/common/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', plainNodeRule({ patterns: [{ group: ['**/host/**', '**/engine/**', '**/cli/**'], message: 'Common code is used by both the host and the engine: it imports only shared and common code.' }] })],
    },
  },
  {
    files: ['electron/main/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: noOnnxruntime, patterns: [{ message: hostNotEngine.message, group: ['**/engine/**'] }, notCli('Electron main')] }] },
  },
  {
    files: ['electron/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron, ...nodeBuiltins.map((name) => ({ name, message: 'Shared code is also used by the renderer: no Node built-ins.' }))],
          patterns: [{ group: ['**/host/**', '**/engine/**', '**/common/**', '**/cli/**', '**/main/**', '**/preload/**'], message: 'Shared code depends on nothing but itself.' }],
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
              group: ['**/electron/host/**', '**/electron/engine/**', '**/electron/common/**', '**/electron/cli/**', '**/electron/main/**', '**/electron/preload/**'],
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
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/host/**', '**/engine/**', '**/common/**', '**/cli/**', '**/main/**'], message: 'The preload only bridges IPC: no host, engine, common, CLI or main code.' }] }],
    },
  },
);
