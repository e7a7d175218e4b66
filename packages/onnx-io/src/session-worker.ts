// The worker side of `WorkerSession`: one ONNX Runtime session on its own thread, so `session.run`
// (which blocks its thread while computing) never blocks the caller's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { WorkerReply, WorkerRequest, WorkerStart } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('session-worker.js must run in a worker thread');
const start = workerData as WorkerStart;

const ready: Promise<ort.InferenceSession> = ort.InferenceSession.create(start.bytes, start.options);
ready.then(
  () => port.postMessage({ id: 0, ok: true, outputs: {} } satisfies WorkerReply),
  (error: unknown) => port.postMessage({ id: 0, ok: false, outputs: {}, error: (error as Error).message } satisfies WorkerReply),
);

port.on('message', async (request: WorkerRequest) => {
  try {
    const session = await ready;
    if (request.kind === 'release') {
      await session.release();
      port.postMessage({ id: request.id, ok: true, outputs: {} } satisfies WorkerReply);
      return;
    }
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(request.feeds)) feeds[name] = new ort.Tensor(t.type, t.data as Float32Array, t.dims);
    const result = request.fetches ? await session.run(feeds, [...request.fetches]) : await session.run(feeds);
    const outputs: WorkerReply['outputs'] = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, value] of Object.entries(result)) {
      const t = value as ort.Tensor;
      // Copy out of ORT's buffer so it can be transferred (ORT may own the memory).
      const data = (t.data as ArrayBufferView & { slice(): ArrayBufferView }).slice() as Float32Array;
      outputs[name] = { type: t.type as 'float32', data, dims: [...t.dims] };
      transfer.push(data.buffer as ArrayBuffer);
    }
    port.postMessage({ id: request.id, ok: true, outputs } satisfies WorkerReply, transfer);
  } catch (error) {
    port.postMessage({ id: request.id, ok: false, outputs: {}, error: (error as Error).message } satisfies WorkerReply);
  }
});
