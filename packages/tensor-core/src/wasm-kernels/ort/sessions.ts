import type { GraphSpec } from './onnx-graph.js';
import { encodeModel } from './onnx-graph.js';
import type { NativeSession, OrtRuntime } from './native.js';

/** Sessions kept at most (least recently used ones are released beyond it). */
export const DEFAULT_SESSION_LIMIT = 48;

/** Counters of a {@link SessionCache}. */
export interface SessionCacheStats {
  /** Sessions alive now (at most the limit). */
  readonly live: number;
  readonly created: number;
  readonly released: number;
  readonly hits: number;
}

/**
 * ORT sessions for tiny kernel graphs, one per signature (operator, shapes, attributes), created on
 * first use and released least-recently-used first beyond `limit`.
 */
export class SessionCache {
  private readonly sessions = new Map<string, NativeSession>();
  private created = 0;
  private released = 0;
  private hits = 0;

  constructor(
    private readonly ort: OrtRuntime,
    readonly limit = DEFAULT_SESSION_LIMIT,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`session limit must be a positive integer, got ${limit}`);
  }

  /** The session for `key`, building its graph with `graph()` the first time. */
  get(key: string, graph: () => GraphSpec): NativeSession {
    const found = this.sessions.get(key);
    if (found) {
      this.hits++;
      // Re-insert: Map order is the recency order.
      this.sessions.delete(key);
      this.sessions.set(key, found);
      return found;
    }
    const session = this.ort.createSession(encodeModel(graph()));
    this.created++;
    this.sessions.set(key, session);
    while (this.sessions.size > this.limit) {
      const [oldest, old] = this.sessions.entries().next().value as [string, NativeSession];
      this.sessions.delete(oldest);
      old.dispose();
      this.released++;
    }
    return session;
  }

  stats(): SessionCacheStats {
    return { live: this.sessions.size, created: this.created, released: this.released, hits: this.hits };
  }

  /** Releases every session. */
  clear(): void {
    for (const session of this.sessions.values()) session.dispose();
    this.released += this.sessions.size;
    this.sessions.clear();
  }
}
