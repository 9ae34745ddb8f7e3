// Web mode's uploads and its data folder, through the real server, app service and disk:
// - uploads are bounded before the first byte (a length is required, a cap, the disk's free space),
//   deduplicated by content, owner-only, never left half-written, and swept when no chat refers to
//   them;
// - concurrent uploads lose no entry of the recent list;
// - two servers on one data folder: the second is refused with DATA_FOLDER_BUSY naming the first
//   (they overwrote each other's chats), and the folder is free again once the first stops or dies.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppService } from '../../electron/host/app/app-service.js';
import { ChatHistoryStore } from '../../electron/host/app/chat-history-store.js';
import { videoFingerprint } from '../../electron/common/fingerprint/video-fingerprint.js';
import { EngineClient } from '../../electron/host/engine-client/engine-client.js';
import { UploadStore } from '../../electron/host/web/upload-store.js';
import { buildWebAppRouter } from '../../electron/host/web/web-app-routes.js';
import { startWebServer, type RunningWebServer } from '../../electron/host/web/web-server.js';
import { makeTempDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { startServe } from '../helpers/serve-process.js';

const noEngine = () =>
  new EngineClient(() => {
    throw new Error('this test starts no engine');
  });

interface Reply {
  status: number;
  body: { id?: string; name?: string; error?: { code: string; message: string } };
}

/** POSTs an upload as the page's XHR does; `chunked` leaves out Content-Length, `abortAfter` cuts the body. */
function upload(server: RunningWebServer, name: string, bytes: Buffer, options: { chunked?: boolean; declared?: number; abortAfter?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${server.token}`, 'x-file-name': encodeURIComponent(name), 'content-type': 'video/mp4' };
    if (options.chunked !== true) headers['content-length'] = String(options.declared ?? bytes.length);
    const req = request(`${server.origin}/api/videos`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Reply['body'] }));
    });
    req.on('error', (error) => (options.abortAfter !== undefined ? resolve({ status: 0, body: {} }) : reject(error)));
    if (options.abortAfter !== undefined) {
      req.write(bytes.subarray(0, options.abortAfter));
      setTimeout(() => req.destroy(), 100);
    } else if (options.chunked === true) {
      // Written before end(): Node sends it chunked, with no Content-Length.
      req.write(bytes);
      req.end();
    } else req.end(bytes);
  });
}

function writeShell(): string {
  const shell = makeTempDir('uploads-shell');
  writeFileSync(join(shell, 'index.html'), '<!doctype html>');
  return shell;
}

const filesUnder = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)) : []);

describe('web mode uploads', () => {
  let dataDir: string;
  let app: AppService;
  let server: RunningWebServer;
  let uploads: UploadStore;
  const maxBytes = 256 * 1024;

  beforeAll(async () => {
    dataDir = join(makeTempDir('uploads'), 'data');
    // A folder an older version left with the default mode is made owner-only.
    mkdirSync(join(dataDir, 'uploads'), { recursive: true, mode: 0o755 });
    chmodSync(dataDir, 0o755);
    app = new AppService({ dataDir, engine: noEngine(), mediaUrlFor: (id) => `media/${id}` });
    await app.init();
    uploads = new UploadStore(dataDir, { maxBytes, reserveBytes: 0 });
    server = await startWebServer({ rendererDir: writeShell(), router: buildWebAppRouter(app, { dataDir, version: '1', uploads }).router });
  });
  afterAll(async () => {
    await server?.close();
    await app?.close();
  });

  it('refuses an upload without a length, over the cap, or that would fill the disk, before writing anything', async () => {
    const bytes = randomBytes(4096);
    const chunked = await upload(server, 'a.mp4', bytes, { chunked: true });
    expect(chunked.status).toBe(411);
    expect(chunked.body.error?.message).toMatch(/how large/);
    const big = await upload(server, 'big.mp4', randomBytes(maxBytes + 1));
    expect(big.status).toBe(413);
    expect(big.body.error?.message).toMatch(/too large to upload/);
    // The real disk, asked to keep more free than it has.
    const fs = await statfs(dataDir);
    const tight = new UploadStore(dataDir, { maxBytes, reserveBytes: fs.bavail * fs.bsize + 1 });
    const tightServer = await startWebServer({ rendererDir: writeShell(), router: buildWebAppRouter(app, { dataDir, version: '1', uploads: tight }).router });
    const full = await upload(tightServer, 'a.mp4', bytes);
    await tightServer.close();
    expect(full.status).toBe(507);
    expect(full.body.error?.code).toBe('DISK_FULL');
    expect(full.body.error?.message).toMatch(/free disk space for this upload/);
    // An upload cut off midway leaves nothing behind.
    await upload(server, 'cut.mp4', randomBytes(64 * 1024), { abortAfter: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(filesUnder(uploads.dir)).toEqual([]);
  });

  it('keeps uploads owner-only and by content: the same file twice is stored once', async () => {
    const bytes = randomBytes(8192);
    const first = await upload(server, 'clip.mp4', bytes);
    const again = await upload(server, 'renamed copy.mp4', bytes);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.name).toBe('renamed copy.mp4');
    const files = filesUnder(uploads.dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toBe(join(uploads.dir, createHash('sha256').update(bytes).digest('hex'), 'clip.mp4'));
    expect(readFileSync(files[0]!).equals(bytes)).toBe(true);
    if (process.platform !== 'win32') {
      expect(statSync(files[0]!).mode & 0o777).toBe(0o600);
      expect(statSync(uploads.dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(files[0]!, '..')).mode & 0o777).toBe(0o700);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    }
  });

  it('loses no entry of the recent list under concurrent uploads', async () => {
    const videos = Array.from({ length: 8 }, (_, i) => ({ name: `concurrent-${i}.mp4`, bytes: randomBytes(4096 + i) }));
    const replies = await Promise.all(videos.map((v) => upload(server, v.name, v.bytes)));
    expect(replies.map((r) => r.status)).toEqual(videos.map(() => 201));
    const recent = JSON.parse(readFileSync(join(dataDir, 'recent-videos.json'), 'utf8')) as Array<{ name: string }>;
    for (const v of videos) expect(recent.map((r) => r.name)).toContain(v.name);
  });

  it('sweeps, at start, interrupted uploads and uploads no chat refers to', async () => {
    const kept = filesUnder(uploads.dir).find((f) => f.endsWith('concurrent-3.mp4'))!;
    const chats = new ChatHistoryStore(dataDir);
    await chats.save(await videoFingerprint(kept), { videoId: 'x', videoName: 'concurrent-3.mp4', turns: [{ id: 't', question: 'q', answer: 'a', status: 'done', createdAt: new Date().toISOString() }] });
    mkdirSync(join(uploads.dir, '.partial'), { recursive: true });
    writeFileSync(join(uploads.dir, '.partial', 'leftover'), 'x');
    const removed = await new UploadStore(dataDir, { maxBytes, reserveBytes: 0 }).sweep((path) => app.chatRefersTo(path));
    expect(removed.length).toBeGreaterThan(0);
    expect(filesUnder(uploads.dir)).toEqual([kept]);
  });
});

describe('one process per data folder', () => {
  it('a second server on the same folder is refused, naming the first; the folder is free once it stops or dies', async () => {
    const dataDir = join(makeTempDir('data-lock'), 'data');
    const first = await startServe(['--data-dir', dataDir]);
    const second = await runCli(['serve', '--json', '--no-progress', '--data-dir', dataDir], { timeoutMs: 60_000 });
    expect(second.code).toBe(1);
    const error = (JSON.parse(second.stdout) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('DATA_FOLDER_BUSY');
    expect(error.message).toContain(`pid ${first.child.pid}`);
    expect(error.message).toContain(dataDir);
    expect(error.message).toMatch(/--data-dir/);
    // Stopped cleanly: the lock goes with it.
    await new Promise((resolve) => {
      first.child.once('exit', resolve);
      first.child.kill('SIGTERM');
    });
    expect(existsSync(join(dataDir, 'apollo.lock'))).toBe(false);
    // Killed: the next one takes the stale lock over.
    const third = await startServe(['--data-dir', dataDir]);
    await new Promise((resolve) => {
      third.child.once('exit', resolve);
      third.child.kill('SIGKILL');
    });
    expect(existsSync(join(dataDir, 'apollo.lock'))).toBe(true);
    const fourth = await startServe(['--data-dir', dataDir]);
    fourth.child.kill('SIGTERM');
  }, 120_000);
});
