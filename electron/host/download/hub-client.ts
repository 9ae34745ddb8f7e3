// A client for the documented subset of the Hugging Face Hub HTTP API that downloads need:
//   GET  /api/models/{repo}/revision/{rev}?blobs=true   commit sha and files (size, LFS sha256)
//   GET  /api/models/{repo}/tree/{rev}?recursive=true    fallback listing (via @huggingface/hub)
//   HEAD /{repo}/resolve/{rev}/{path}                    X-Repo-Commit, X-Linked-Etag, X-Linked-Size, Location
//   GET  <Location or resolve URL> with Range            the bytes
// It honours HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE and the proxy variables (undici EnvHttpProxyAgent).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { listFiles } from '@huggingface/hub';
import { EnvHttpProxyAgent, fetch as undiciFetch, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { ApolloError } from '../../shared/errors.js';
import { isCommitHash } from '../../shared/model-spec.js';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export interface HubSettings {
  endpoint: string;
  token: string | undefined;
  offline: boolean;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'on', 'yes', 'true'].includes(value.trim().toLowerCase());
}

/** Reads the hub settings the way huggingface_hub does (HF_TOKEN, else the token file in HF_HOME). */
export function hubSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): HubSettings {
  const endpoint = (env.HF_ENDPOINT?.trim() || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
  let token = env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim() || undefined;
  if (token === undefined && !truthy(env.HF_HUB_DISABLE_IMPLICIT_TOKEN)) {
    const tokenFile = env.HF_TOKEN_PATH ?? join(env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(env.HOME ?? env.USERPROFILE ?? '', '.cache'), 'huggingface'), 'token');
    try {
      token = readFileSync(tokenFile, 'utf8').trim() || undefined;
    } catch {
      // no saved token: anonymous access
    }
  }
  return { endpoint, token, offline: truthy(env.HF_HUB_OFFLINE) || truthy(env.TRANSFORMERS_OFFLINE) };
}

export interface RemoteFile {
  path: string;
  size: number;
  /** SHA-256 of the content for LFS files (the hub's lfs oid). */
  lfsSha256?: string;
  /** The git blob id (sha1 of "blob <size>\0" + content); for LFS files, that of the pointer. */
  gitOid?: string;
}

export interface RepoSnapshotInfo {
  repoId: string;
  commit: string;
  files: RemoteFile[];
}

export interface FileMetadata {
  commit: string | undefined;
  /** The blob name in the cache: the LFS sha256, or the git blob sha1 for other files. */
  etag: string;
  size: number;
  /** Where the bytes are: an absolute CDN URL from a redirect, or the resolve URL itself. */
  downloadUrl: string;
}

/** An HTTP status the caller decides about (404 → next mirror, 401 → token, 5xx → retry). */
export class HubHttpError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    /** The hub's X-Error-Code (RepoNotFound, GatedRepo, EntryNotFound, …) when it sent one. */
    readonly hubErrorCode?: string,
  ) {
    super(`HTTP ${status} from ${url}${hubErrorCode ? ` (${hubErrorCode})` : ''}`);
    this.name = 'HubHttpError';
  }
}

export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** undici and Node network failures worth another try (connection refused or reset, timeouts, a short body). */
export function isNetworkError(error: unknown): boolean {
  if (error instanceof HubHttpError) return isRetryableStatus(error.status);
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('UND_ERR') || ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'].includes(code))) return true;
  if (error.name === 'ShortBodyError') return true;
  return error.cause !== undefined && error.cause !== error && isNetworkError(error.cause);
}

const siblingSchema = z.object({
  rfilename: z.string(),
  size: z.number().int().nonnegative().optional(),
  blobId: z.string().optional(),
  lfs: z
    .object({ sha256: z.string().optional(), oid: z.string().optional(), size: z.number().int().nonnegative() })
    .nullish(),
});
const modelInfoSchema = z.object({ sha: z.string(), siblings: z.array(siblingSchema).optional() });

function normalizeEtag(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return value.replace(/^W\//, '').replace(/^"|"$/g, '').replace(/^sha256:/, '');
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export interface ByteStream {
  status: number;
  /** First byte offset the body starts at (0 for a 200). */
  start: number;
  body: Readable;
}

export class HubClient {
  private readonly dispatcher: Dispatcher;

  constructor(
    readonly settings: HubSettings,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.dispatcher = new EnvHttpProxyAgent({
      httpProxy: env.HTTP_PROXY ?? env.http_proxy,
      httpsProxy: env.HTTPS_PROXY ?? env.https_proxy,
      noProxy: env.NO_PROXY ?? env.no_proxy,
      connect: { timeout: 30_000 },
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
  }

  /** Ends every connection, including requests a failed download abandoned. */
  async close(): Promise<void> {
    await this.dispatcher.destroy();
  }

  private assertOnline(): void {
    // HF_HUB_OFFLINE=1 means not a single request; callers resolve from the cache instead.
    if (this.settings.offline) throw new ApolloError('HUB_OFFLINE');
  }

  private authHeaders(url: string): Record<string, string> {
    // The token goes only to the hub itself, never to a CDN host a redirect points at.
    if (this.settings.token === undefined || new URL(url).origin !== new URL(this.settings.endpoint).origin) return {};
    return { authorization: `Bearer ${this.settings.token}` };
  }

  private async getJson(url: string, signal: AbortSignal): Promise<unknown> {
    this.assertOnline();
    const res = await request(url, { method: 'GET', headers: { accept: 'application/json', ...this.authHeaders(url) }, dispatcher: this.dispatcher, signal });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new HubHttpError(res.statusCode, url, header(res.headers, 'x-error-code'));
    }
    try {
      return await res.body.json();
    } catch (error) {
      throw new ApolloError('HUB_BAD_RESPONSE', undefined, { cause: error, details: { url } });
    }
  }

  /** The commit a revision points at and its files with sizes and LFS hashes. */
  async repoSnapshotInfo(repoId: string, revision: string, signal: AbortSignal): Promise<RepoSnapshotInfo> {
    // Like huggingface_hub: the default branch through /api/models/{repo}, any other revision through /revision/{rev}.
    const base = `${this.settings.endpoint}/api/models/${repoId}`;
    const url = `${revision === 'main' ? base : `${base}/revision/${encodeURIComponent(revision)}`}?blobs=true`;
    const parsed = modelInfoSchema.safeParse(await this.getJson(url, signal));
    if (!parsed.success || !isCommitHash(parsed.data.sha)) throw new ApolloError('HUB_BAD_RESPONSE', undefined, { details: { url } });
    const commit = parsed.data.sha;
    const siblings = parsed.data.siblings ?? [];
    if (siblings.length > 0 && siblings.every((s) => s.size !== undefined)) {
      const files = siblings.map((s): RemoteFile => {
        const lfsSha256 = s.lfs?.sha256 ?? s.lfs?.oid;
        return { path: s.rfilename, size: s.lfs?.size ?? s.size!, ...(lfsSha256 ? { lfsSha256 } : {}), ...(s.blobId ? { gitOid: s.blobId } : {}) };
      });
      return { repoId, commit, files };
    }
    return { repoId, commit, files: await this.listTree(repoId, commit, signal) };
  }

  /** The tree listing, pinned to a commit, for hubs whose model info omits file metadata. */
  async listTree(repoId: string, commit: string, signal: AbortSignal): Promise<RemoteFile[]> {
    this.assertOnline();
    const files: RemoteFile[] = [];
    const fetchWithAgent: typeof fetch = (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      return undiciFetch(url, { ...(init as object), dispatcher: this.dispatcher, signal }) as unknown as Promise<Response>;
    };
    try {
      for await (const entry of listFiles({ repo: { type: 'model', name: repoId }, revision: commit, recursive: true, hubUrl: this.settings.endpoint, fetch: fetchWithAgent, ...(this.settings.token ? { accessToken: this.settings.token as `hf_${string}` } : {}) })) {
        if (entry.type !== 'file') continue;
        files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size, ...(entry.lfs ? { lfsSha256: entry.lfs.oid } : {}), gitOid: entry.oid });
      }
    } catch (error) {
      const status = (error as { statusCode?: unknown }).statusCode;
      if (typeof status === 'number') throw new HubHttpError(status, `${this.settings.endpoint}/api/models/${repoId}/tree/${commit}`);
      throw error;
    }
    return files;
  }

  resolveUrl(repoId: string, revision: string, path: string): string {
    return `${this.settings.endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
  }

  /** HEAD on the resolve URL without following the CDN redirect (relative redirects, e.g. a renamed repo, are followed). */
  async fileMetadata(repoId: string, revision: string, path: string, signal: AbortSignal): Promise<FileMetadata> {
    this.assertOnline();
    let url = this.resolveUrl(repoId, revision, path);
    for (let hop = 0; hop < 5; hop++) {
      const res = await request(url, { method: 'HEAD', headers: { 'accept-encoding': 'identity', ...this.authHeaders(url) }, dispatcher: this.dispatcher, signal });
      await res.body.dump();
      const h = res.headers;
      if (res.statusCode >= 300 && res.statusCode < 400) {
        const location = header(h, 'location');
        if (location === undefined) throw new ApolloError('HUB_BAD_RESPONSE', undefined, { details: { url } });
        const target = new URL(location, url);
        const isRelative = !/^[a-z]+:\/\//i.test(location);
        const linkedEtag = normalizeEtag(header(h, 'x-linked-etag'));
        const linkedSize = Number(header(h, 'x-linked-size'));
        // An LFS file: the redirect itself carries the metadata, whether it points at a CDN or at the same host.
        if (linkedEtag !== undefined && Number.isFinite(linkedSize)) return { commit: header(h, 'x-repo-commit'), etag: linkedEtag, size: linkedSize, downloadUrl: target.href };
        const etag = normalizeEtag(header(h, 'etag'));
        const size = Number(header(h, 'content-length'));
        if (!isRelative && etag !== undefined && Number.isFinite(size)) return { commit: header(h, 'x-repo-commit'), etag, size, downloadUrl: target.href };
        // A relative redirect (a renamed repository): follow it, as huggingface_hub does.
        url = target.href;
        continue;
      }
      if (res.statusCode !== 200) throw new HubHttpError(res.statusCode, url, header(h, 'x-error-code'));
      const etag = normalizeEtag(header(h, 'x-linked-etag') ?? header(h, 'etag'));
      const size = Number(header(h, 'x-linked-size') ?? header(h, 'content-length'));
      if (etag === undefined || !Number.isFinite(size)) throw new ApolloError('HUB_BAD_RESPONSE', undefined, { details: { url } });
      return { commit: header(h, 'x-repo-commit'), etag, size, downloadUrl: url };
    }
    throw new ApolloError('HUB_BAD_RESPONSE', undefined, { details: { url, reason: 'too many redirects' } });
  }

  /** GET from `start` (Range), following redirects; the caller checks the status and offset. */
  async openBytes(url: string, start: number, signal: AbortSignal): Promise<ByteStream> {
    this.assertOnline();
    let current = url;
    for (let hop = 0; hop < 5; hop++) {
      const headers: Record<string, string> = { 'accept-encoding': 'identity', ...this.authHeaders(current) };
      if (start > 0) headers.range = `bytes=${start}-`;
      const res = await request(current, { method: 'GET', headers, dispatcher: this.dispatcher, signal });
      if (res.statusCode >= 300 && res.statusCode < 400) {
        await res.body.dump();
        const location = header(res.headers, 'location');
        if (location === undefined) throw new ApolloError('HUB_BAD_RESPONSE', undefined, { details: { url: current } });
        current = new URL(location, current).href;
        continue;
      }
      if (res.statusCode === 206) {
        const range = /^bytes (\d+)-/.exec(header(res.headers, 'content-range') ?? '');
        // A 206 without Content-Range answered the range we asked for.
        return { status: 206, start: range ? Number(range[1]) : start, body: res.body };
      }
      if (res.statusCode === 200) return { status: 200, start: 0, body: res.body };
      await res.body.dump();
      if (res.statusCode === 416) return { status: 416, start, body: res.body };
      throw new HubHttpError(res.statusCode, current, header(res.headers, 'x-error-code'));
    }
    throw new ApolloError('HUB_BAD_RESPONSE', undefined, { details: { url, reason: 'too many redirects' } });
  }
}
