// Files the user handed to the app (drop, dialog, recent list), known to the renderer only by
// opaque ids: a renderer can never name a path it was not given.
import { randomUUID } from 'node:crypto';

export class GrantedFiles {
  private readonly byId = new Map<string, string>();
  private readonly byPath = new Map<string, string>();

  /** Grants a path (idempotent) and returns its opaque id. */
  grant(path: string): string {
    const existing = this.byPath.get(path);
    if (existing !== undefined) return existing;
    const id = randomUUID();
    this.byId.set(id, path);
    this.byPath.set(path, id);
    return id;
  }

  /** The path behind an id, or undefined for an id that was never granted (or a forged one). */
  resolve(id: unknown): string | undefined {
    return typeof id === 'string' ? this.byId.get(id) : undefined;
  }

  revoke(id: string): void {
    const path = this.byId.get(id);
    if (path === undefined) return;
    this.byId.delete(id);
    this.byPath.delete(path);
  }
}
