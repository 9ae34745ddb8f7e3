// Once a model is present, asking questions opens no network connection at all: `apollo-chat ask`
// with a first question and a follow-up on the tiny checkpoint (prepare, encode, prefill, decode in
// the engine child process) runs with the no-network guard preloaded into every Node process (the
// CLI and the engine it forks), and with every proxy / hub variable pointed at a local listener
// that counts connections. A marker preload proves the guard really was in the engine process, and
// a control run that does connect (from a forked child, as the engine is started) proves the guard
// catches it — so the empty violation list below can fail.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { noNetwork } from '../helpers/no-network.js';
import { makeTempDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

interface AskJson {
  device: string;
  plan: { clips: number };
  turns: Array<{ question: string; tokenIds: number[]; embeddingsFromCache: boolean; timings: { prefillTokens: number } }>;
}

let dir: string;
let modelDir: string;
let videoPath: string;
let listener: Server;
let listenerUrl: string;
let connectionsSeen = 0;
let markerLog: string;
let markerModule: string;

beforeAll(async () => {
  dir = makeTempDir('engine-offline');
  modelDir = join(dir, 'tiny');
  await makeTinyCheckpoint(modelDir, { seed: 5 });
  videoPath = join(dir, 'clip.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=25:duration=4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', videoPath]);
  listener = createServer((socket) => {
    connectionsSeen++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new Error('no listener port');
  listenerUrl = `http://127.0.0.1:${address.port}`;
  // Loaded beside the guard through the same NODE_OPTIONS: a line per Node process that got it.
  markerLog = join(dir, 'preloaded.jsonl');
  writeFileSync(markerLog, '');
  markerModule = join(dir, 'preload-marker.mjs');
  writeFileSync(markerModule, `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(markerLog)}, JSON.stringify({ pid: process.pid, argv: process.argv.slice(1).join(' ') }) + '\\n');\n`);
}, 60_000);
afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

/** The guard's environment plus the marker preload, every endpoint and proxy aimed at the counting listener. */
function offlineEnv(guard: ReturnType<typeof noNetwork>): NodeJS.ProcessEnv {
  return {
    ...guard.env,
    NODE_OPTIONS: `${guard.env.NODE_OPTIONS} --import=${pathToFileURL(markerModule).href}`,
    APOLLO_CACHE_DIR: join(dir, 'cache'),
    HF_ENDPOINT: listenerUrl,
    HTTP_PROXY: listenerUrl,
    HTTPS_PROXY: listenerUrl,
    ALL_PROXY: listenerUrl,
    NO_PROXY: '',
  };
}

const preloadedArgvs = () =>
  readFileSync(markerLog, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { argv: string }).argv);

describe('asking offline', () => {
  it('the guard catches a connection made from a forked child (so the check below can fail)', () => {
    const guard = noNetwork();
    const before = connectionsSeen;
    // The parent forks a child that connects, as the CLI forks its engine.
    const childFile = join(dir, 'connect-child.cjs');
    writeFileSync(childFile, `fetch(${JSON.stringify(listenerUrl)}).then(() => process.exit(0), () => process.exit(3));\n`);
    const parent = `const { fork } = require('node:child_process'); fork(${JSON.stringify(childFile)}).on('exit', (code) => process.exit(code ?? 1));`;
    let exitCode = 0;
    try {
      execFileSync(process.execPath, ['-e', parent], { env: { ...process.env, ...offlineEnv(guard) }, stdio: 'ignore' });
    } catch (error) {
      exitCode = (error as { status?: number }).status ?? -1;
    }
    expect(exitCode).toBe(3);
    expect(guard.violations().some((v) => v.kind === 'connect' && v.target.includes('127.0.0.1'))).toBe(true);
    expect(connectionsSeen).toBe(before);
  });

  it('ask with a follow-up on an installed model opens no connection, in the CLI or its engine', async () => {
    const guard = noNetwork();
    writeFileSync(markerLog, '');
    const before = connectionsSeen;
    const r = await runCli(['ask', videoPath, 'What is shown?', 'Anything else?', '--model', modelDir, '--device', 'cpu', '--precision', 'fp32', '--greedy', '--max-new-tokens', '4', '--json'], { env: offlineEnv(guard), timeoutMs: 180_000 });
    expect(r.stderr).not.toMatch(/no-network guard/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as AskJson;
    expect(out.turns).toHaveLength(2);
    expect(out.turns[1]!.embeddingsFromCache).toBe(true);
    expect(out.turns[1]!.timings.prefillTokens).toBeLessThan(out.turns[0]!.timings.prefillTokens);
    expect(guard.violations()).toEqual([]);
    expect(connectionsSeen).toBe(before);
    // The guard was loaded into the CLI and into the engine process it forked.
    const argvs = preloadedArgvs();
    expect(argvs.some((a) => a.includes('apollo-chat'))).toBe(true);
    expect(argvs.some((a) => /engine\.mjs/.test(a))).toBe(true);
  }, 200_000);
});
