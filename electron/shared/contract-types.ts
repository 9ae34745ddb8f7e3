// Helpers for the contracts (app API, engine protocol): a result or event type carried by a
// declaration without a runtime value, and the one zod-issue-to-sentence formatter both use.
import type { z } from 'zod';

declare const phantom: unique symbol;

/** Carries the type T on a declaration; there is no value behind it. */
export interface Phantom<T> {
  readonly [phantom]?: T;
}

export function phantomOf<T>(): Phantom<T> {
  return {};
}

export type PhantomType<P> = P extends Phantom<infer T> ? T : never;

/** "question: Too big: expected string to have <=8000 characters" from a zod error's first issue. */
export function describeZodIssue(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  if (issue === undefined) return `${what} is invalid`;
  return `${issue.path.length > 0 ? issue.path.join('.') : what} ${issue.message}`;
}
