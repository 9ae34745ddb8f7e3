// The one error model shared by the CLI, the engine protocol, IPC and web mode. Every failure a
// user can meet has a stable `code` and a sentence that says what to do about it.
// This file is imported by the renderer too: no Node, no Electron.

/** Stable codes. Never rename one: scripts and the UI match on them. */
export const ERROR_CODES = {
  USAGE: { exit: 2, message: 'The command was used incorrectly; run it with --help to see its usage.' },
  INTERNAL: { exit: 1, message: 'Something went wrong inside Apollo; run again with --debug and report the output.' },
  CANCELLED: { exit: 1, message: 'The operation was cancelled.' },
  TIMEOUT: { exit: 1, message: 'The operation took too long and was stopped; try again, or with a shorter video.' },
  FFMPEG_NOT_FOUND: { exit: 1, message: 'ffmpeg was not found; install it (Debian/Ubuntu: `sudo apt-get install ffmpeg`, macOS: `brew install ffmpeg`, Windows: `winget install ffmpeg`) or set APOLLO_FFMPEG_PATH to its binary.' },
  NATIVE_UNAVAILABLE: { exit: 1, message: 'The native addon is not available; rebuild it with `npm run build:native`.' },
  FILE_NOT_FOUND: { exit: 1, message: 'The file does not exist; check the path.' },
  FILE_UNREADABLE: { exit: 1, message: 'The file cannot be read; check its permissions.' },
  NOT_A_FILE: { exit: 1, message: 'The path is a folder, not a file; choose a video file.' },
  INVALID_ARGUMENT: { exit: 2, message: 'An argument has an invalid value; run the command with --help.' },
  UNAUTHORIZED: { exit: 1, message: 'This request is missing the session token; open the address the server printed.' },
  INVALID_MESSAGE: { exit: 1, message: 'A message was malformed and was rejected.' },
  ENGINE_CRASHED: { exit: 1, message: 'The engine stopped unexpectedly; it restarts with your next request and your chat is kept.' },
  ENGINE_OUT_OF_MEMORY: { exit: 1, message: 'The engine ran out of memory; try a smaller model, a lower precision or a lower clip sampling ratio.' },
  NOT_BUILT: { exit: 1, message: 'Apollo is not built yet; run `npm run build` in the project folder first.' },
  CHECKPOINT_INVALID: { exit: 1, message: 'A model checkpoint file is damaged or not in the expected format; download the model again.' },
  CHECKPOINT_CONFIG_INVALID: { exit: 1, message: 'A model configuration file is missing or has an unexpected value; download the model again.' },
  TENSOR_NOT_FOUND: { exit: 1, message: 'A weight the model needs is missing from its checkpoint; download the model again.' },
  MODEL_UNKNOWN: { exit: 2, message: 'That model is not in the catalog and is not a repository id org/name; run `apollo-chat models --catalog`.' },
  MODEL_NOT_INSTALLED: { exit: 1, message: 'That model is not downloaded; run `apollo-chat pull MODEL` while online.' },
  MODEL_REPO_NOT_FOUND: { exit: 1, message: 'No mirror of this model could be found on the hub; check the name, or set HF_ENDPOINT to a mirror that has it.' },
  HUB_AUTH_REQUIRED: { exit: 1, message: 'The hub requires a token for this repository; set HF_TOKEN to a token that can read it.' },
  HUB_UNREACHABLE: { exit: 1, message: 'The model hub could not be reached; check your connection or proxy (HTTPS_PROXY), then run the same command again to resume.' },
  HUB_BAD_RESPONSE: { exit: 1, message: 'The model hub sent an answer Apollo does not understand; try again later or set HF_ENDPOINT to another mirror.' },
  HUB_OFFLINE: { exit: 1, message: 'HF_HUB_OFFLINE is set and this model is not fully downloaded; unset HF_HUB_OFFLINE and pull it while online.' },
  DOWNLOAD_CORRUPT: { exit: 1, message: 'A downloaded file did not match its checksum after several tries; run the same command again, or use another mirror.' },
  DISK_FULL: { exit: 1, message: 'There is not enough free disk space for the model; free some space or set HF_HUB_CACHE to a larger disk, then pull again to resume.' },
  DATA_FOLDER_BUSY: { exit: 1, message: 'Another Apollo process is using this data folder; stop it first, or start this one with another folder (--data-dir or APOLLO_DATA_DIR).' },
  DOWNLOAD_BUSY: { exit: 1, message: 'Another Apollo process is downloading this file; wait for it to finish, then try again.' },
  VIDEO_TOO_SMALL: { exit: 1, message: 'The file is smaller than 1 KiB, too small to be a video; choose the complete video file.' },
  NOT_A_VIDEO: { exit: 1, message: 'The file is not a video Apollo can read; choose a video file (for example MP4, MOV, MKV or WebM).' },
  NO_VIDEO_STREAM: { exit: 1, message: 'The file has no video stream (audio only?); choose a file that contains video.' },
  VIDEO_INCOMPLETE: { exit: 1, message: 'The video file is incomplete (a truncated download or an unfinished recording); download or export it again.' },
  STILL_IMAGE: { exit: 1, message: 'The file is a still picture (or a video of a single frame), not a video; Apollo answers questions about videos, so choose a video file.' },
  VIDEO_EMPTY: { exit: 1, message: 'The video has no frames or no frame rate (zero duration); choose another file.' },
  UNSUPPORTED_CODEC: { exit: 1, message: 'This ffmpeg cannot decode the video codec; convert the file (e.g. `ffmpeg -i IN -c:v libx264 OUT.mp4`) or install a full ffmpeg build.' },
  VIDEO_CHANGED: { exit: 1, message: 'The video file changed on disk while Apollo was reading it; nothing was kept from that read. Open the video again.' },
  VIDEO_DECODE_FAILED: { exit: 1, message: 'Part of the video could not be decoded (the file may be damaged); re-encode it or download it again.' },
  PROMPT_TOO_LONG: { exit: 1, message: "The video and the question do not fit in the model's context; lower the clip sampling ratio (fewer clips), lower max new tokens, or ask a shorter question." },
  QUESTION_TOO_LONG: { exit: 1, message: 'This question is too long to fit beside the video in the model\'s context, even with earlier questions dropped; ask a shorter question.' },
  NOTHING_ENCODED_YET: { exit: 1, message: 'No clip of this video is encoded yet, so there is nothing to answer from; wait for the first clips, or ask without "answer now".' },
  VIDEO_TOKEN_MISMATCH: { exit: 1, message: 'The prompt and the encoded video clips disagree (stale clip embeddings?); re-open the video to encode it again.' },
  PREPARE_BUSY: { exit: 1, message: 'Another Apollo process is preparing this model right now; wait for it to finish, or stop it and run the command again.' },
  PREPARED_MODEL_INVALID: { exit: 1, message: 'The prepared model files are damaged or incomplete; run `apollo-chat prepare MODEL_DIR` again to rebuild them.' },
  DEVICE_UNAVAILABLE: { exit: 1, message: 'The requested device cannot run models on this machine; run `apollo-chat doctor` to see what is available, or pass --device cpu.' },
  INFERENCE_FAILED: { exit: 1, message: 'onnxruntime failed while running the model; run again with --debug and report the output, or try --device cpu.' },
} as const satisfies Record<string, { exit: 1 | 2; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** What crosses a process boundary (JSON): never a stack unless asked for. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  stack?: string;
}

export class ApolloError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message ?? ERROR_CODES[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApolloError';
    this.code = code;
    this.details = options?.details;
  }

  get exitCode(): 1 | 2 {
    return ERROR_CODES[this.code].exit;
  }

  toJSON(): SerializedError {
    return serializeError(this);
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** Any thrown value becomes an ApolloError; unknown failures become INTERNAL with their text kept. */
export function toApolloError(error: unknown): ApolloError {
  if (error instanceof ApolloError) return error;
  if (error instanceof Error && error.name === 'AbortError') return new ApolloError('CANCELLED', undefined, { cause: error });
  const text = error instanceof Error ? error.message : String(error);
  return new ApolloError('INTERNAL', `${ERROR_CODES.INTERNAL.message} (${text})`, { cause: error });
}

export function serializeError(error: unknown, options: { includeStack?: boolean } = {}): SerializedError {
  const e = toApolloError(error);
  const out: SerializedError = { code: e.code, message: e.message };
  if (e.details !== undefined) out.details = e.details;
  if (options.includeStack) {
    const cause = e.cause instanceof Error ? e.cause : e;
    if (cause.stack !== undefined) out.stack = cause.stack;
  }
  return out;
}

/** Rebuilds a typed error from the wire; an unknown code is treated as INTERNAL, never trusted. */
export function deserializeError(value: unknown): ApolloError {
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    const message = typeof v.message === 'string' ? v.message.slice(0, 2000) : undefined;
    const details = typeof v.details === 'object' && v.details !== null ? (v.details as Record<string, unknown>) : undefined;
    if (isErrorCode(v.code)) return new ApolloError(v.code, message, details === undefined ? undefined : { details });
  }
  return new ApolloError('INTERNAL');
}
