import type * as ort from 'onnxruntime-node';

/**
 * What `OnnxModel` needs of an ONNX Runtime session: an in-thread `ort.InferenceSession`, its native
 * binding called directly (`directSession`), or a `WorkerSession` that runs the session on a worker thread.
 */
export interface SessionRunner {
  /** `in-thread`: the public `InferenceSession`; `direct`: its native binding, called synchronously; `worker`: on a worker thread. */
  readonly kind: 'in-thread' | 'direct' | 'worker';
  run(feeds: Record<string, ort.Tensor>, fetches?: string[]): Promise<Readonly<Record<string, ort.OnnxValue>>>;
  release(): Promise<void>;
}

/** An in-thread `ort.InferenceSession` as a `SessionRunner`. */
export function inThreadSession(session: ort.InferenceSession): SessionRunner {
  return {
    kind: 'in-thread',
    run: (feeds, fetches) => (fetches ? session.run(feeds, fetches) : session.run(feeds)),
    release: () => session.release(),
  };
}
