// The HTTP status of a typed error, and an error as a JSON response: shared by the web server and
// the media server (both hosts).
import { serializeError, toApolloError } from '../../shared/errors.js';

/** The HTTP status for a typed error: an explicit details.status, else by code. */
export function httpStatusFor(error: unknown): number {
  const e = toApolloError(error);
  const explicit = e.details?.status;
  if (typeof explicit === 'number' && explicit >= 400 && explicit < 600) return explicit;
  if (e.exitCode === 2 || e.code === 'INVALID_MESSAGE') return 400;
  if (e.code === 'UNAUTHORIZED') return 401;
  if (e.code === 'FILE_NOT_FOUND') return 404;
  if (e.code === 'INTERNAL') return 500;
  if (e.code.startsWith('ENGINE_')) return 503;
  return 422;
}

/** A typed error as a JSON response ({error}), with its HTTP status. */
export function errorResponse(error: unknown): Response {
  return Response.json({ error: serializeError(error) }, { status: httpStatusFor(error), headers: { 'cache-control': 'no-store' } });
}
