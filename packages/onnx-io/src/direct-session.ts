import { loadOrtBinding } from '@shrinkray/tensor-core';
import type * as ort from 'onnxruntime-node';
import type { SessionRunner } from './session-runner.js';

/** The part of onnxruntime-node's native session a direct session uses, typed with the package's types. */
interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: ort.InferenceSession.SessionOptions): void;
  /** Outputs are `ort.Tensor`s: the binding was handed onnxruntime-common's Tensor class. */
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, null>, options: ort.InferenceSession.RunOptions): Record<string, ort.OnnxValue>;
  dispose(): void;
  readonly outputMetadata: readonly { name: string }[];
}

/**
 * An ONNX Runtime session called through onnxruntime-node's native binding, synchronously. The
 * public `InferenceSession.run` defers every call with `setImmediate` and re-validates its
 * arguments; at batch 1 on a small model that wrapper is most of the time (measured: a LeNet-300-100
 * run takes ~33 µs through it and ~20 µs directly). Like the public session it blocks the thread
 * while ORT computes, and unlike it never yields to the event loop between calls.
 *
 * Returns `undefined` when the installed onnxruntime-node does not expose its binding as expected
 * (the caller then uses the public session). The binding is an internal of onnxruntime-node, loaded
 * by tensor-core's one loader (`loadOrtBinding`, shared with the ORT training kernels): tested
 * against the version this package depends on.
 *
 * @example
 * const session = directSession(bytes, OnnxModel.sessionOptions({ intraOpNumThreads: 1 }));
 * const out = await (session ?? inThreadSession(await ort.InferenceSession.create(bytes))).run({ input: x });
 */
export function directSession(bytes: Uint8Array, options: ort.InferenceSession.SessionOptions): SessionRunner | undefined {
  const native = loadOrtBinding();
  if (!native) return undefined;
  const session = new native.InferenceSession() as unknown as NativeSession;
  session.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, options);
  const fetchNames = (names: readonly string[]): Record<string, null> => Object.fromEntries(names.map((name) => [name, null] as const));
  const allOutputs = fetchNames(session.outputMetadata.map((m) => m.name));
  let released = false;
  return {
    kind: 'direct',
    run: async (feeds, fetches) => {
      if (released) throw new Error('the ONNX Runtime session was released');
      return session.run(feeds, fetches ? fetchNames(fetches) : allOutputs, {});
    },
    release: async () => {
      if (released) return;
      released = true;
      session.dispose();
    },
  };
}
