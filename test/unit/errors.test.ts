import { describe, expect, it } from 'vitest';
import { ApolloError, ERROR_CODES, deserializeError, serializeError, toApolloError } from '../../electron/shared/errors.js';

describe('error model', () => {
  it('every code has an exit status and a sentence a user can act on', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect([1, 2], code).toContain(spec.exit);
      expect(spec.message, code).toMatch(/^[A-Za-z].*[.!]$/);
    }
  });

  it('round-trips through JSON without the stack by default', () => {
    const e = new ApolloError('FILE_NOT_FOUND', 'No such video: a.mp4.', { details: { path: 'a.mp4' } });
    const wire = JSON.parse(JSON.stringify(e)) as unknown;
    expect(wire).toEqual({ code: 'FILE_NOT_FOUND', message: 'No such video: a.mp4.', details: { path: 'a.mp4' } });
    const back = deserializeError(wire);
    expect(back).toBeInstanceOf(ApolloError);
    expect(back.code).toBe('FILE_NOT_FOUND');
    expect(back.exitCode).toBe(1);
  });

  it('never trusts an unknown code from the wire', () => {
    expect(deserializeError({ code: 'DROP_TABLES', message: 'x' }).code).toBe('INTERNAL');
    expect(deserializeError(null).code).toBe('INTERNAL');
    expect(deserializeError({ code: 'USAGE', message: 'x'.repeat(10_000) }).message.length).toBeLessThanOrEqual(2000);
  });

  it('wraps foreign errors as INTERNAL and aborts as CANCELLED', () => {
    expect(toApolloError(new TypeError('boom')).code).toBe('INTERNAL');
    expect(toApolloError(new TypeError('boom')).message).toContain('boom');
    const abort = new Error('aborted');
    abort.name = 'AbortError';
    expect(toApolloError(abort).code).toBe('CANCELLED');
    expect(serializeError(new Error('x'), { includeStack: true }).stack).toBeDefined();
  });
});
