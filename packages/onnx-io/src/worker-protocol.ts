import type * as ort from 'onnxruntime-node';

/** A tensor as it crosses the thread boundary. */
export interface WireTensor {
  type: 'float32' | 'int32' | 'int64' | 'uint8' | 'bool';
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
  dims: number[];
}

/** `workerData` of the session worker. */
export interface WorkerStart {
  bytes: Uint8Array;
  options: ort.InferenceSession.SessionOptions;
}

export type WorkerRequest = { id: number; kind: 'run'; feeds: Record<string, WireTensor>; fetches?: readonly string[] } | { id: number; kind: 'release' };

/** Reply to request `id` (id 0: the session is ready, or failed to load). */
export interface WorkerReply {
  id: number;
  ok: boolean;
  outputs: Record<string, WireTensor>;
  error?: string;
}
