// Once a model is present, asking questions opens no network connection at all: `apollo-chat ask`
// with a first question and a follow-up on the tiny checkpoint (prepare, encode, prefill, decode in
// the engine child process) runs with the no-network guard preloaded into every Node process (the
// CLI and the engine it forks), and with every proxy / hub variable pointed at a local listener
// that counts connections. A marker preload proves the guard really was in the engine process, and
// a control run that does connect (from a forked child, as the engine is started) proves the guard
// catches it — so the empty violation list below can fail.
//
// onnxruntime's own telemetry (native code, below the Node guard) is watched from the kernel's side:
// `ask` and `serve` (with a question asked over HTTP) run under strace, with a throwaway HOME and
// ORT_DISABLE_TELEMETRY=0 in the environment they are given, and must make no name lookup and no
// non-loopback connection from any thread or child, and leave that HOME empty (onnxruntime writes
// its telemetry store in ~/.cache/Microsoft/DeveloperTools/.onnxruntime). Two control runs show
// both checks can fail: onnxruntime loaded without the switch creates the store, and a native name
// lookup is seen by the trace.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyCheckpoint } from '../../electron/engine/model/tiny-checkpoint.js';
import { hasStrace, nativeNetworkTrace, noNetwork } from '../helpers/no-network.js';
import { makeTempDir, repoRoot } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { startServe } from '../helpers/serve-process.js';

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
let homeCount = 0;

/** A fresh, empty HOME: whatever a run leaves there is visible. */
function throwawayHome(): string {
  const home = join(dir, `home-${++homeCount}`);
  mkdirSync(home);
  return home;
}

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
function offlineEnv(guard: ReturnType<typeof noNetwork>, home = throwawayHome()): NodeJS.ProcessEnv {
  return {
    ...guard.env,
    HOME: home,
    XDG_CACHE_HOME: join(home, '.cache'),
    // The app must turn onnxruntime's telemetry off whatever it is given. (onnxruntime also stays
    // quiet when CI is set, as it is in CI: emptied so that these checks can fail there too.)
    ORT_DISABLE_TELEMETRY: '0',
    CI: '',
    NODE_OPTIONS: `${guard.env.NODE_OPTIONS} --import=${pathToFileURL(markerModule).href}`,
    APOLLO_CACHE_DIR: join(dir, 'cache'),
    HF_ENDPOINT: listenerUrl,
    HTTP_PROXY: listenerUrl,
    HTTPS_PROXY: listenerUrl,
    ALL_PROXY: listenerUrl,
    NO_PROXY: '',
  };
}

const preloaded = () =>
  readFileSync(markerLog, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { pid: number; argv: string });
const preloadedArgvs = () => preloaded().map((p) => p.argv);

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

  it('strace is here to watch native code (CI installs it)', () => {
    expect(process.platform !== 'linux' || hasStrace(), 'install strace (apt-get install strace) to run the native network checks').toBe(true);
  });

  it('the native trace sees a name lookup made below Node (so the checks below can fail)', () => {
    const trace = nativeNetworkTrace();
    execFileSync(trace.prefix[0]!, [...trace.prefix.slice(1), process.execPath, '-e', "require('node:dns').lookup('telemetry.invalid', () => {})"], { stdio: 'ignore' });
    expect(trace.violations().length).toBeGreaterThan(0);
  });

  it('ask with a follow-up on an installed model opens no connection, in the CLI or its engine', async () => {
    const guard = noNetwork();
    const trace = nativeNetworkTrace();
    const home = throwawayHome();
    writeFileSync(markerLog, '');
    const before = connectionsSeen;
    const r = await runCli(['ask', videoPath, 'What is shown?', 'Anything else?', '--model', modelDir, '--device', 'cpu', '--precision', 'fp32', '--greedy', '--max-new-tokens', '4', '--json'], { env: offlineEnv(guard, home), timeoutMs: 180_000, prefix: hasStrace() ? trace.prefix : [] });
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
    // Nothing below Node either, and no telemetry store (nor anything else) in HOME.
    expect(trace.violations()).toEqual([]);
    expect(readdirSync(home)).toEqual([]);
  }, 200_000);

  it('onnxruntime without the switch writes its telemetry store in HOME (so the check above can fail)', () => {
    const prepared = join(dir, 'cache', 'prepared');
    const folder = readdirSync(prepared).find((name) => existsSync(join(prepared, name, 'connector-float32', 'connector.onnx')));
    expect(folder).toBeDefined();
    const graph = join(prepared, folder!, 'connector-float32', 'connector.onnx');
    const home = throwawayHome();
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache') };
    delete env.ORT_DISABLE_TELEMETRY;
    // onnxruntime writes nothing when CI is set (as in CI); the app's users have no such variable.
    env.CI = '';
    execFileSync(process.execPath, ['--input-type=module', '-e', `const ort = await import('onnxruntime-node'); await ort.InferenceSession.create(${JSON.stringify(graph)});`], { env, cwd: repoRoot, stdio: 'ignore' });
    expect(existsSync(join(home, '.cache', 'Microsoft', 'DeveloperTools', '.onnxruntime'))).toBe(true);
  });

  it('serve answering a question over HTTP makes no lookup or outside connection and writes no telemetry', async () => {
    const guard = noNetwork();
    const trace = nativeNetworkTrace();
    const home = throwawayHome();
    writeFileSync(markerLog, '');
    const serve = await startServe(['--model', modelDir, '--data-dir', join(dir, 'serve-data'), videoPath], { ...process.env, ...offlineEnv(guard, home) }, 90_000, hasStrace() ? trace.prefix : []);
    try {
      const headers = { authorization: `Bearer ${serve.token}`, 'content-type': 'application/json' };
      const videos = (await (await fetch(`${serve.origin}/api/videos`, { headers })).json()) as Array<{ id: string }>;
      expect(videos).toHaveLength(1);
      const asked = await fetch(`${serve.origin}/api/videos/${videos[0]!.id}/ask`, { method: 'POST', headers, body: JSON.stringify({ question: 'What is shown?' }) });
      expect(asked.status).toBe(202);
      let status = 'pending';
      for (let i = 0; i < 240 && (status === 'pending' || status === 'streaming'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const chat = (await (await fetch(`${serve.origin}/api/videos/${videos[0]!.id}/chat`, { headers })).json()) as { turns: Array<{ status: string }> };
        status = chat.turns.at(-1)?.status ?? 'pending';
      }
      expect(status).toBe('done');
      // Give a background uploader time to start (it resolved its host within seconds before).
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    } finally {
      // Under strace the child is strace itself: stop serve (found by the marker preload), and
      // strace ends with it.
      const exited = new Promise((resolve) => serve.child.once('exit', resolve));
      const servePid = preloaded().find((p) => p.argv.includes('apollo-chat') && p.argv.includes(' serve'))?.pid;
      if (servePid !== undefined) process.kill(servePid, 'SIGTERM');
      serve.child.kill('SIGTERM');
      await exited;
    }
    expect(guard.violations()).toEqual([]);
    expect(trace.violations()).toEqual([]);
    expect(readdirSync(home)).toEqual([]);
  }, 200_000);
});
