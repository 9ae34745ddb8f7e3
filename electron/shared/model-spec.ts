// The grammar of a model spec (`apollo-3b`, `org/name`, either with `@revision`): the one place
// that says what a repository id, a revision and a catalog name may be. Everything that takes a
// spec from outside (the CLI, IPC, web mode's routes, the catalog file) checks it here before any
// use, so no value that could name a path outside its folder (`..`, separators, a leading dot or
// dash, control characters) reaches a file system call.
//
// Stricter than the Hub where it costs nothing and safer everywhere:
// - repository id (huggingface_hub's validate_repo_id): `owner/name`, each part 1–96 of
//   [A-Za-z0-9._-], not starting or ending with `.` or `-`, no `--` (it would make two ids share a
//   cache folder `models--owner--name`) and no `..`;
// - revision: a branch or tag name as git allows it, limited to safe characters: 1–255 chars,
//   components split by `/` (as in `refs/pr/1`, at most 8), each 1–100 of [A-Za-z0-9._+-] starting
//   with a letter, digit or `_` and not ending with `.` or `.lock`, no `..`; a commit is 40 hex digits;
// - catalog name: the catalog's own [a-z0-9.-] names.

const REPO_PART = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$/;
const REVISION_PART = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,99}$/;
const COMMIT = /^[0-9a-f]{40}$/;
const CATALOG_NAME = /^[a-z0-9][a-z0-9.-]{0,63}$/;

export const REVISION_MAX_CHARS = 255;

export function isRepoId(value: string): boolean {
  const parts = value.split('/');
  return parts.length === 2 && parts.every((p) => REPO_PART.test(p) && !p.includes('..') && !p.includes('--'));
}

export function isCommitHash(value: string): boolean {
  return COMMIT.test(value);
}

export function isHubRevision(value: string): boolean {
  if (value.length === 0 || value.length > REVISION_MAX_CHARS || value.includes('..')) return false;
  const parts = value.split('/');
  return parts.length <= 8 && parts.every((p) => REVISION_PART.test(p) && !p.endsWith('.') && !p.toLowerCase().endsWith('.lock'));
}

export function isCatalogName(value: string): boolean {
  return CATALOG_NAME.test(value) && !value.includes('..');
}

export interface ParsedModelSpec {
  /** A catalog name or a repository id (not yet told apart: that needs the catalog). */
  name: string;
  revision?: string;
}

/** Splits `name[@revision]` at the first `@`, checking nothing. */
export function splitModelSpec(spec: string): ParsedModelSpec {
  const at = spec.indexOf('@');
  return at < 0 ? { name: spec } : { name: spec.slice(0, at), revision: spec.slice(at + 1) };
}

/** Splits `name[@revision]`, or undefined when either part is outside the grammar above. */
export function parseModelSpec(spec: string): ParsedModelSpec | undefined {
  const { name, revision } = splitModelSpec(spec);
  if (!isRepoId(name) && !isCatalogName(name.toLowerCase())) return undefined;
  if (revision !== undefined && !isHubRevision(revision)) return undefined;
  return revision === undefined ? { name } : { name, revision };
}

export function isModelSpec(spec: string): boolean {
  return parseModelSpec(spec) !== undefined;
}

/** The sentence for a spec that fails the grammar. */
export function invalidModelSpecMessage(spec: string): string {
  const shown = JSON.stringify(spec.length > 120 ? `${spec.slice(0, 120)}…` : spec);
  return `${shown} is not a model name: use a catalog name (apollo-3b) or a repository id owner/name (letters, digits, ".", "_", "-"), optionally followed by @ and a branch, tag or 40-character commit id.`;
}

/** The sentence for a revision that fails the grammar. */
export function invalidRevisionMessage(revision: string): string {
  const shown = JSON.stringify(revision.length > 120 ? `${revision.slice(0, 120)}…` : revision);
  return `${shown} is not a branch, tag or commit id: use letters, digits, ".", "_", "-" or "+" in parts separated by "/" (as in main, v1.0 or refs/pr/1), or a 40-character commit id.`;
}
