// A local stand-in for the Hugging Face Hub that follows its documented HTTP behaviour, for tests:
//   GET  /api/models/{repo}[/revision/{rev}][?blobs=true]  {_id, id, sha, siblings[{rfilename, size, blobId, lfs{sha256,size,pointerSize}}]}
//   GET  /api/models/{repo}/tree/{rev}[/{path}]?recursive=  [{type, oid, size, path, lfs{oid,size,pointerSize}}]
//   POST /api/models/{repo}/paths-info/{rev}                {paths: [...]} -> entries as in tree
//   HEAD|GET /{repo}/resolve/{rev}/{path}                   LFS: 302 to a CDN on another port with
//        X-Linked-Etag, X-Linked-Size, X-Repo-Commit, ETag; others: 200 with ETag = git blob sha1
//   GET|HEAD on the CDN: Range (206 with Content-Range, 416 past the end)
// Missing repos answer 404 (X-Error-Code: RepoNotFound); gated ones 401 without `Bearer <token>`.
// Faults are injected per test (dropped connections, wrong bytes, 500s, throttling, hooks).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRepoFile {
  path: string;
  content: Buffer;
  /** Stored with Git LFS (served through the CDN redirect). */
  lfs: boolean;
}

export interface FakeRepo {
  id: string;
  commit: string;
  branch?: string;
  files: FakeRepoFile[];
  /** 401 without the server's token. */
  gated?: boolean;
}

export interface FakeHubFaults {
  /** Close the connection after this many body bytes of a CDN/resolve GET, for the next `times` requests of `path`. */
  dropAfter?: Array<{ path: string; bytes: number; times: number }>;
  /** Serve wrong bytes (one flipped byte) for the next `times` full downloads of `path`. */
  corrupt?: Array<{ path: string; times: number }>;
  /** Answer 500 for the next `times` requests whose URL path contains `match`. */
  serverError?: Array<{ match: string; times: number }>;
  /** Answer a missing repo with 401 RepoNotFound (as huggingface.co does without a token) instead of 404. */
  missingRepoAs401?: boolean;
  /** LFS redirects point at the hub itself with a relative Location (a stand-in without a separate CDN). */
  relativeLfsRedirect?: boolean;
  /** Range answers (206) leave out Content-Range. */
  omitContentRange?: boolean;
  /** Resolve answers 404 EntryNotFound for these paths although the file list names them. */
  missingOnResolve?: string[];
  /** Model info ignores ?blobs=true (siblings carry names only), as a minimal hub stand-in may. */
  modelInfoWithoutBlobs?: boolean;
  /** Send no hash at all for these (non-LFS) paths: no blob id in listings, an opaque etag on resolve. */
  noHashFor?: string[];
  /** Body bytes per second on file downloads (0 = unlimited). */
  throttleBytesPerSecond?: number;
}

export interface FakeHubRequest {
  method: string;
  url: string;
  range: string | undefined;
  authorization: string | undefined;
  server: 'hub' | 'cdn';
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function gitBlobSha1(b: Buffer): string {
  return createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
}

function lfsPointer(content: Buffer): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(content)}\nsize ${content.length}\n`);
}

interface FileFacts {
  file: FakeRepoFile;
  sha256: string;
  gitOid: string;
  pointer: Buffer;
}

export class FakeHubServer {
  readonly requests: FakeHubRequest[] = [];
  faults: FakeHubFaults = {};
  /** Called on every request before it is answered (tests use it to act mid-download). */
  onRequest: ((req: FakeHubRequest) => void | Promise<void>) | undefined;
  token = 'hf_fake_token_for_tests';
  private readonly repos = new Map<string, { repo: FakeRepo; facts: Map<string, FileFacts> }>();
  private readonly blobs = new Map<string, FileFacts>();
  private hub!: Server;
  private cdn!: Server;
  hubUrl = '';
  cdnUrl = '';

  addRepo(repo: FakeRepo): void {
    const facts = new Map<string, FileFacts>();
    for (const file of repo.files) {
      const f: FileFacts = { file, sha256: sha256(file.content), gitOid: gitBlobSha1(file.lfs ? lfsPointer(file.content) : file.content), pointer: lfsPointer(file.content) };
      facts.set(file.path, f);
      if (file.lfs) this.blobs.set(f.sha256, f);
    }
    this.repos.set(repo.id, { repo, facts });
  }

  removeRepo(id: string): void {
    this.repos.delete(id);
  }

  async start(): Promise<void> {
    this.hub = createServer((req, res) => void this.handle('hub', req, res));
    this.cdn = createServer((req, res) => void this.handle('cdn', req, res));
    const listen = (s: Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
    this.hubUrl = `http://127.0.0.1:${await listen(this.hub)}`;
    this.cdnUrl = `http://127.0.0.1:${await listen(this.cdn)}`;
  }

  async stop(): Promise<void> {
    for (const s of [this.hub, this.cdn]) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  private takeFault<T extends { times: number }>(list: T[] | undefined, pred: (f: T) => boolean): T | undefined {
    const f = list?.find((x) => x.times > 0 && pred(x));
    if (f !== undefined) f.times--;
    return f;
  }

  private async handle(server: 'hub' | 'cdn', req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record: FakeHubRequest = { method: req.method ?? 'GET', url: req.url ?? '/', range: req.headers.range, authorization: req.headers.authorization, server };
    this.requests.push(record);
    try {
      await this.onRequest?.(record);
      const url = new URL(req.url ?? '/', 'http://x');
      if (this.takeFault(this.faults.serverError, (f) => url.pathname.includes(f.match))) return this.send(res, 500, { error: 'Internal Error' });
      if (server === 'cdn' || url.pathname.startsWith('/repos/')) return await this.serveCdn(req, res, url);
      const api = /^\/api\/models\/([^/]+\/[^/]+)(?:\/(revision|tree|paths-info)\/([^/]+)(\/.*)?)?$/.exec(url.pathname);
      if (api !== null) return await this.serveApi(req, res, url, decodeURIComponent(api[1]!), api[2], api[3] === undefined ? undefined : decodeURIComponent(api[3]), api[4]);
      const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
      if (resolve !== null) return await this.serveResolve(req, res, decodeURIComponent(resolve[1]!), decodeURIComponent(resolve[2]!), resolve[3]!.split('/').map(decodeURIComponent).join('/'));
      this.send(res, 404, { error: 'Not Found' });
    } catch (error) {
      if (!res.headersSent) this.send(res, 500, { error: String(error) });
      else res.destroy();
    }
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  /** The repo at a revision, or an answer already sent (404 / 401 as the hub gives them). */
  private lookup(req: IncomingMessage, res: ServerResponse, repoId: string, revision: string | undefined): { repo: FakeRepo; facts: Map<string, FileFacts> } | undefined {
    const entry = this.repos.get(repoId);
    if (entry === undefined) {
      // huggingface.co answers 401 for a missing repo when no token is sent (no existence leak).
      const status = this.faults.missingRepoAs401 === true && req.headers.authorization === undefined ? 401 : 404;
      this.send(res, status, { error: 'Repository not found' }, { 'x-error-code': 'RepoNotFound', 'x-error-message': 'Repository not found' });
      return undefined;
    }
    if (entry.repo.gated === true && req.headers.authorization !== `Bearer ${this.token}`) {
      this.send(res, 401, { error: 'Access to this repository is restricted' }, { 'x-error-code': 'GatedRepo', 'x-error-message': 'Access restricted' });
      return undefined;
    }
    const rev = revision ?? 'main';
    if (rev !== entry.repo.commit && rev !== (entry.repo.branch ?? 'main') && rev !== 'HEAD') {
      this.send(res, 404, { error: `Invalid rev id: ${rev}` }, { 'x-error-code': 'RevisionNotFound' });
      return undefined;
    }
    return entry;
  }

  private hashless(f: FileFacts): boolean {
    return !f.file.lfs && this.faults.noHashFor?.includes(f.file.path) === true;
  }

  private treeEntry(f: FileFacts): Record<string, unknown> {
    const base = { type: 'file', ...(this.hashless(f) ? {} : { oid: f.gitOid }), size: f.file.lfs ? f.file.content.length : f.file.content.length, path: f.file.path };
    return f.file.lfs ? { ...base, lfs: { oid: f.sha256, size: f.file.content.length, pointerSize: f.pointer.length } } : base;
  }

  private async serveApi(req: IncomingMessage, res: ServerResponse, url: URL, repoId: string, kind: string | undefined, revision: string | undefined, sub: string | undefined): Promise<void> {
    const entry = this.lookup(req, res, repoId, revision);
    if (entry === undefined) return;
    const facts = [...entry.facts.values()];
    if (kind === undefined || kind === 'revision') {
      const blobs = this.faults.modelInfoWithoutBlobs !== true && (url.searchParams.get('blobs') === 'true' || url.searchParams.get('blobs') === 'True');
      const siblings = facts.map((f) => {
        if (!blobs) return { rfilename: f.file.path };
        const s: Record<string, unknown> = { rfilename: f.file.path, ...(this.hashless(f) ? {} : { blobId: f.gitOid }), size: f.file.content.length };
        if (f.file.lfs) s.lfs = { sha256: f.sha256, size: f.file.content.length, pointerSize: f.pointer.length };
        return s;
      });
      return this.send(res, 200, { _id: `id-${repoId}`, id: repoId, modelId: repoId, sha: entry.repo.commit, private: false, gated: entry.repo.gated === true ? 'manual' : false, siblings });
    }
    if (kind === 'tree') {
      const prefix = sub === undefined ? '' : sub.slice(1).replace(/\/$/, '') + '/';
      const recursive = url.searchParams.get('recursive') === 'true';
      const files = facts.filter((f) => f.file.path.startsWith(prefix));
      const out: Array<Record<string, unknown>> = [];
      const dirs = new Set<string>();
      for (const f of files) {
        const rest = f.file.path.slice(prefix.length);
        const slash = rest.indexOf('/');
        if (slash >= 0) {
          dirs.add(prefix + rest.slice(0, slash));
          if (!recursive) continue;
        }
        out.push(this.treeEntry(f));
      }
      const dirEntries = [...dirs].map((d) => ({ type: 'directory', oid: createHash('sha1').update(d).digest('hex'), size: 0, path: d }));
      return this.send(res, 200, [...dirEntries, ...out]);
    }
    // paths-info: JSON or form-encoded body with `paths`.
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let paths: string[] = [];
    if ((req.headers['content-type'] ?? '').includes('json')) paths = (JSON.parse(text) as { paths?: string[] }).paths ?? [];
    else paths = new URLSearchParams(text).getAll('paths');
    return this.send(res, 200, facts.filter((f) => paths.includes(f.file.path)).map((f) => this.treeEntry(f)));
  }

  private async serveResolve(req: IncomingMessage, res: ServerResponse, repoId: string, revision: string, path: string): Promise<void> {
    const entry = this.lookup(req, res, repoId, revision);
    if (entry === undefined) return;
    const f = this.faults.missingOnResolve?.includes(path) === true ? undefined : entry.facts.get(path);
    if (f === undefined) return this.send(res, 404, { error: 'Entry not found' }, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': entry.repo.commit });
    if (f.file.lfs) {
      const location = `${this.faults.relativeLfsRedirect === true ? '' : this.cdnUrl}/repos/${f.sha256.slice(0, 2)}/${f.sha256}?response-content-disposition=attachment&Expires=9999999999&Signature=fake`;
      res.writeHead(302, {
        location,
        'x-repo-commit': entry.repo.commit,
        'x-linked-etag': `"${f.sha256}"`,
        'x-linked-size': String(f.file.content.length),
        etag: `"${f.gitOid}"`,
        'content-length': '0',
      });
      return void res.end();
    }
    return this.sendBytes(req, res, f, { 'x-repo-commit': entry.repo.commit, etag: this.hashless(f) ? `"opaque-${f.gitOid.slice(0, 12)}"` : `"${f.gitOid}"` });
  }

  private async serveCdn(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const m = /^\/repos\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(url.pathname);
    const f = m === null ? undefined : this.blobs.get(m[1]!);
    if (f === undefined) return this.send(res, 404, { error: 'NoSuchKey' });
    return this.sendBytes(req, res, f, { etag: `"${f.sha256}"` });
  }

  /** Bytes with Range support, the throttle and the body faults. */
  private async sendBytes(req: IncomingMessage, res: ServerResponse, f: FileFacts, headers: Record<string, string>): Promise<void> {
    const content = f.file.content;
    const size = content.length;
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let end = size - 1;
    if (range !== null) {
      start = Number(range[1]);
      if (range[2] !== '') end = Math.min(end, Number(range[2]));
      if (start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}`, ...headers });
        return void res.end();
      }
      status = 206;
    }
    const length = end - start + 1;
    res.writeHead(status, {
      'content-type': 'application/octet-stream',
      'content-length': String(length),
      'accept-ranges': 'bytes',
      ...(status === 206 && this.faults.omitContentRange !== true ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
      ...headers,
    });
    if (req.method === 'HEAD') return void res.end();
    let body = content.subarray(start, end + 1);
    if (start === 0 && this.takeFault(this.faults.corrupt, (c) => c.path === f.file.path)) {
      body = Buffer.from(body);
      body[body.length >> 1] = body[body.length >> 1]! ^ 0xff;
    }
    const drop = this.takeFault(this.faults.dropAfter, (d) => d.path === f.file.path);
    const limit = drop === undefined ? body.length : Math.min(body.length, drop.bytes);
    const rate = this.faults.throttleBytesPerSecond ?? 0;
    const chunk = rate > 0 ? Math.max(1, Math.floor(rate / 20)) : 64 * 1024;
    for (let off = 0; off < limit; off += chunk) {
      if (res.destroyed) return;
      const piece = body.subarray(off, Math.min(limit, off + chunk));
      if (!res.write(piece)) await new Promise((r) => res.once('drain', r));
      if (rate > 0) await new Promise((r) => setTimeout(r, 50));
    }
    if (drop !== undefined && limit < body.length) {
      // A pause lets the client take in what was sent, then a half-close: the body ends early.
      await new Promise((r) => setTimeout(r, 200));
      res.socket?.end();
      return;
    }
    res.end();
  }
}

export async function startFakeHub(repos: FakeRepo[] = []): Promise<FakeHubServer> {
  const hub = new FakeHubServer();
  for (const r of repos) hub.addRepo(r);
  await hub.start();
  return hub;
}

/** Deterministic pseudo-random bytes (a tiny LCG) so test files have content no one typed. */
export function fakeBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A small Apollo-shaped repository: root config, llm/ tokenizer files and safetensors shards as LFS. */
export function apolloLikeRepo(id: string, commitSeed: number, shardBytes = 300_000): FakeRepo {
  const commit = createHash('sha1').update(`${id}:${commitSeed}`).digest('hex');
  return {
    id,
    commit,
    files: [
      { path: 'config.json', content: Buffer.from(JSON.stringify({ architectures: ['ApolloForCausalLM'], clip_duration: 2 })), lfs: false },
      { path: 'llm/config.json', content: Buffer.from(JSON.stringify({ hidden_size: 64, num_hidden_layers: 2 })), lfs: false },
      { path: 'llm/tokenizer.json', content: fakeBytes(20_000, commitSeed + 1), lfs: false },
      { path: 'llm/model-00001-of-00002.safetensors', content: fakeBytes(shardBytes, commitSeed + 2), lfs: true },
      { path: 'llm/model-00002-of-00002.safetensors', content: fakeBytes(shardBytes >> 1, commitSeed + 3), lfs: true },
      { path: 'vision_tower/siglip-so400m-patch14-384/model.safetensors', content: fakeBytes(shardBytes >> 2, commitSeed + 4), lfs: true },
      { path: 'mm_connector/model.safetensors', content: fakeBytes(shardBytes >> 3, commitSeed + 5), lfs: true },
    ],
  };
}

/** A repository serving a folder's files (e.g. a tiny checkpoint); weights and big files go through LFS as on the Hub. */
export function repoFromFolder(id: string, dir: string, commitSeed = 0): FakeRepo {
  const files: FakeRepoFile[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const content = readFileSync(p);
        const path = relative(dir, p).split(sep).join('/');
        files.push({ path, content, lfs: path.endsWith('.safetensors') || content.length > 10 * 1024 * 1024 });
      }
    }
  };
  walk(dir);
  return { id, commit: createHash('sha1').update(`${id}:${commitSeed}`).digest('hex'), files: files.sort((a, b) => a.path.localeCompare(b.path)) };
}
