// `verified` means verified: a hub (or mirror) that sends no hash for a file gets it checked by
// size only, and Apollo says so (`sizeOnly`) in the pull result, the CLI, the installed-model list
// and the app's model overview, instead of reporting `verified: true` for a size match.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listInstalledModels } from '../../electron/host/download/installed-models.js';
import { loadCatalog } from '../../electron/host/download/model-catalog.js';
import { pullModel } from '../../electron/host/download/model-pull.js';
import { apolloLikeRepo, startFakeHub, type FakeHubServer } from '../helpers/fake-hub-server.js';
import { makeTempDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

let hub: FakeHubServer;
const hashed = apolloLikeRepo('org/hashed', 21, 4_000);
const hashless = apolloLikeRepo('org/hashless', 22, 4_000);

beforeAll(async () => {
  hub = await startFakeHub([hashed, hashless]);
});
afterAll(() => hub.stop());

const envFor = (cache: string): NodeJS.ProcessEnv => ({ HF_ENDPOINT: hub.hubUrl, HF_HUB_CACHE: cache, HOME: cache, NO_PROXY: '127.0.0.1,localhost', APOLLO_CACHE_DIR: join(cache, 'apollo') });

describe('size-only checks are reported, not called verified', () => {
  it('a pull with every file hashed is verified; one with files the hub sent no hash for is not, and names them', async () => {
    const cache = makeTempDir('size-only');
    hub.faults = {};
    const good = await pullModel({ repos: [hashed.id], revision: 'main', env: envFor(cache) });
    expect(good.verified).toBe(true);
    expect(good.sizeOnly).toEqual([]);
    hub.faults = { noHashFor: ['config.json', 'llm/tokenizer.json'] };
    const weak = await pullModel({ repos: [hashless.id], revision: 'main', env: envFor(cache) });
    expect(weak.verified).toBe(false);
    expect(weak.sizeOnly.sort()).toEqual(['config.json', 'llm/tokenizer.json']);
    expect(weak.files.filter((f) => f.check === 'size').map((f) => f.path).sort()).toEqual(['config.json', 'llm/tokenizer.json']);
    // Offline, from the cache: the same answer.
    const again = await pullModel({ repos: [hashless.id], revision: 'main', env: { ...envFor(cache), HF_HUB_OFFLINE: '1' } });
    expect(again.verified).toBe(false);
    expect(again.sizeOnly.sort()).toEqual(['config.json', 'llm/tokenizer.json']);

    const listing = await listInstalledModels(loadCatalog(), envFor(cache));
    const byRepo = Object.fromEntries(listing.models.map((m) => [m.repoId, m]));
    expect(byRepo[hashed.id]).toMatchObject({ verified: true, sizeOnly: [] });
    expect(byRepo[hashless.id]).toMatchObject({ verified: false });
    expect(byRepo[hashless.id]!.sizeOnly.sort()).toEqual(['config.json', 'llm/tokenizer.json']);

    // The CLI says it in words and in JSON.
    const models = await runCli(['models'], { env: envFor(cache) });
    expect(models.stdout).toMatch(/org\/hashless@\w+ .*size only \(no hash from the hub for 2 file\(s\)\)/);
    expect(models.stdout).toMatch(/org\/hashed@\w+ .*, verified/);
    const pulled = await runCli(['pull', hashless.id, '--no-prepare'], { env: envFor(cache) });
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toMatch(/2 file\(s\) checked by size only \(the hub sent no hash for .*config\.json.*\)/);
    const json = await runCli(['pull', hashless.id, '--no-prepare', '--json'], { env: envFor(cache) });
    expect(JSON.parse(json.stdout)).toMatchObject({ verified: false, sizeOnly: expect.arrayContaining(['config.json', 'llm/tokenizer.json']) });
  });
});
