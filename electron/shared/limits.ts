// Input limits, declared once: the app API (IPC and web), the engine protocol and the app service
// all check against these numbers, so a question the UI accepts is never refused further down.
export const LIMITS = {
  /** Characters in one question. */
  questionChars: 8000,
  /** Characters in one earlier answer sent back to the engine as history. */
  answerChars: 200_000,
  /** Earlier turns sent with a question. */
  historyTurns: 1000,
  /** Characters in an opaque id (video, turn). */
  idChars: 100,
  /** Characters in a file path handed to the host or the engine. */
  pathChars: 4096,
  /** Characters in a model spec (catalog name, repo id or folder). */
  modelSpecChars: 300,
  /** Characters in one decoded path segment of a web route. */
  routeParamChars: 200,
  /** Bytes in a JSON request body of the web API. */
  jsonBodyBytes: 1_000_000,
  /** Bytes in one uploaded video (web mode). */
  uploadBytes: 64 * 1024 ** 3,
  /** Videos the library keeps (the oldest opened leaves first). */
  libraryVideos: 100,
  /** Chats kept per video (a new chat beyond it drops the oldest). */
  chatsPerVideo: 50,
  /** Tokens one answer may generate, as the engine accepts it. */
  engineMaxNewTokens: 16384,
} as const;
