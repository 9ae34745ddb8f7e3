// The app contract (electron/shared/app-contract.ts) drives both hosts: Electron registers exactly
// its IPC channels and web mode exactly its routes, so an operation without a handler is caught;
// arguments are validated against it, and a web request maps onto its arguments and back.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppService } from '../../electron/host/app/app-service.js';
import { EngineClient } from '../../electron/host/engine-client/engine-client.js';
import { buildWebAppRouter } from '../../electron/host/web/web-app-routes.js';
import { registerIpcHandlers } from '../../electron/main/ipc-handlers.js';
import { APP_API, IPC_OPERATIONS, WEB_OPERATIONS, WEB_STREAM_ROUTES, type WebRoute } from '../../electron/shared/app-contract.js';
import { parseAppArgs, webRouteArgs, webRouteRequest } from '../../electron/shared/app-routes.js';
import { ApolloError } from '../../electron/shared/errors.js';
import { LIMITS } from '../../electron/shared/limits.js';
import { makeTempDir } from '../helpers/paths.js';

function appService(): AppService {
  const engine = new EngineClient(() => {
    throw new Error('this test starts no engine');
  });
  return new AppService({ dataDir: join(makeTempDir('app-contract'), 'data'), engine, mediaUrlFor: (id) => `media/${id}` });
}

describe('app contract', () => {
  it('Electron registers a handler for exactly the contract IPC channels', () => {
    const channels: string[] = [];
    registerIpcHandlers({ handle: (channel) => void channels.push(channel) }, appService(), { version: '1', pickVideoPath: async () => undefined, saveMarkdown: async () => true });
    const declared = Object.values(APP_API).flatMap((op) => (op.ipc === undefined ? [] : [op.ipc]));
    expect(channels.sort()).toEqual(declared.sort());
    expect(new Set(channels).size).toBe(channels.length);
  });

  it('web mode serves exactly the contract routes (JSON operations and streams)', () => {
    const { router } = buildWebAppRouter(appService(), { dataDir: makeTempDir('app-contract-web'), version: '1' });
    const declared = [...Object.values(APP_API).flatMap((op): Array<Pick<WebRoute, 'method' | 'path'>> => (op.web === undefined ? [] : [op.web])), ...Object.values(WEB_STREAM_ROUTES)].map((r) => `${r.method} ${r.path}`);
    expect(router.routes().sort()).toEqual(declared.sort());
    expect(new Set(declared).size).toBe(declared.length);
  });

  it('every operation travels somehow, and both lists are derived from the contract', () => {
    for (const [name, op] of Object.entries(APP_API) as Array<[string, { ipc?: string; web?: WebRoute }]>) expect(op.ipc !== undefined || op.web !== undefined, name).toBe(true);
    expect(IPC_OPERATIONS.length + WEB_OPERATIONS.length).toBeGreaterThan(Object.keys(APP_API).length);
  });

  it('validates arguments with typed errors that name the problem', () => {
    expect(parseAppArgs('ask', ['v1', 'What happens?'])).toEqual(['v1', 'What happens?']);
    const refuse = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error as ApolloError;
      }
      throw new Error('expected a refusal');
    };
    const tooLong = refuse(() => parseAppArgs('ask', ['v1', 'q'.repeat(LIMITS.questionChars + 1)]));
    expect(tooLong).toBeInstanceOf(ApolloError);
    expect(tooLong.code).toBe('INVALID_MESSAGE');
    expect(tooLong.message).toMatch(/Invalid ask request: 1 .*8000/);
    expect(refuse(() => parseAppArgs('pullModel', ['apollo-3b', 'int8'])).code).toBe('INVALID_MESSAGE');
    expect(refuse(() => parseAppArgs('hostInfo', ['extra'])).code).toBe('INVALID_MESSAGE');
    expect(refuse(() => parseAppArgs('updateSettings', ['not an object'])).code).toBe('INVALID_MESSAGE');
  });

  it('maps each web operation onto its route and back (path parameters, JSON body)', () => {
    const samples: Record<string, unknown[]> = {
      ask: ['v 1', 'Why?', { answerNow: true }],
      editQuestion: ['v1', 't1', 'And then?'],
      pullModel: ['org/model', 'int4'],
      updateSettings: [{ temperature: 0.2 }],
    };
    for (const operation of WEB_OPERATIONS) {
      const route: WebRoute = APP_API[operation].web;
      const args = samples[operation] ?? route.names.map((name) => `${name}-value`);
      const { path, body } = webRouteRequest(route, args);
      const segments = route.path.split('/');
      const params = Object.fromEntries(path.split('/').flatMap((part, i) => (segments[i]!.startsWith(':') ? [[segments[i]!.slice(1), decodeURIComponent(part)]] : [])));
      expect(webRouteArgs(route, params, body), operation).toEqual(args);
    }
    expect(webRouteRequest(APP_API.pullModel.web, ['org/model', 'int4'])).toEqual({ path: 'models/org%2Fmodel/pull', body: { precision: 'int4' } });
  });

  it('ask takes "answer now" as an optional, strict option', () => {
    expect(parseAppArgs('ask', ['v1', 'Why?'])).toEqual(['v1', 'Why?']);
    expect(parseAppArgs('ask', ['v1', 'Why?', { answerNow: true }])).toEqual(['v1', 'Why?', { answerNow: true }]);
    expect(() => parseAppArgs('ask', ['v1', 'Why?', { answerNow: 'yes' }])).toThrow(/Invalid ask request/);
    expect(() => parseAppArgs('ask', ['v1', 'Why?', { answerNow: true, clips: 3 }])).toThrow(/Invalid ask request/);
    expect(webRouteRequest(APP_API.ask.web, ['v1', 'Why?'])).toEqual({ path: 'videos/v1/ask', body: { question: 'Why?', options: undefined } });
    expect(webRouteRequest(APP_API.answerNow.web, ['v1'])).toEqual({ path: 'videos/v1/answer-now' });
  });

  it('refuses unknown or missing body fields in a web request', () => {
    expect(() => webRouteArgs(APP_API.ask.web, { videoId: 'v1' }, { question: 'q', nodeIntegration: true })).toThrow(/unknown field "nodeIntegration"/);
    expect(() => webRouteArgs(APP_API.ask.web, { videoId: 'v1' }, undefined)).toThrow(/JSON body with question/);
  });
});
