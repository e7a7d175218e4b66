import type * as ort from 'onnxruntime-node';

/**
 * What `OnnxModel` needs of an ONNX Runtime session: an in-thread `ort.InferenceSession`, or a
 * `WorkerSession` that runs the same session on a worker thread.
 */
export interface SessionRunner {
  run(feeds: Record<string, ort.Tensor>, fetches?: string[]): Promise<Readonly<Record<string, ort.OnnxValue>>>;
  release(): Promise<void>;
}

/** An in-thread `ort.InferenceSession` as a `SessionRunner`. */
export function inThreadSession(session: ort.InferenceSession): SessionRunner {
  return {
    run: (feeds, fetches) => (fetches ? session.run(feeds, fetches) : session.run(feeds)),
    release: () => session.release(),
  };
}
