import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { SessionRunner } from './session-runner.js';
import type { WireTensor, WorkerReply, WorkerRequest, WorkerStart } from './worker-protocol.js';

/**
 * An ONNX Runtime session on a worker thread. `run` posts the inputs to the worker and resolves with
 * its outputs, so the calling thread's event loop (progress bars, timers, I/O) stays live while ORT
 * computes. Inputs are copied to the worker; outputs are transferred back without a copy.
 *
 * @example
 * const session = await WorkerSession.create(bytes, OnnxModel.sessionOptions());
 * const out = await session.run({ input: tensor });
 * await session.release();
 */
export class WorkerSession implements SessionRunner {
  readonly kind = 'worker' as const;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private failure: Error | undefined;

  private constructor(worker: Worker) {
    this.worker = worker;
    worker.on('message', (reply: WorkerReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiter?.resolve(reply);
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => this.failAll(new Error(`ONNX Runtime worker exited (code ${code})`)));
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  private request(id: number, message?: WorkerRequest): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (message) this.worker.postMessage(message);
    });
  }

  /** Starts the worker and loads the model there; rejects with ORT's message when it cannot load. */
  static async create(bytes: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<WorkerSession> {
    const start: WorkerStart = { bytes, options };
    const session = new WorkerSession(new Worker(new URL('./session-worker.js', import.meta.url), { workerData: start }));
    const ready = await session.request(0);
    if (!ready.ok) {
      await session.worker.terminate();
      throw new Error(ready.error ?? 'the model could not be loaded');
    }
    return session;
  }

  async run(feeds: Record<string, ort.Tensor>, fetches?: string[]): Promise<Readonly<Record<string, ort.OnnxValue>>> {
    const wire: Record<string, WireTensor> = {};
    for (const [name, t] of Object.entries(feeds)) wire[name] = { type: t.type as WireTensor['type'], data: t.data as WireTensor['data'], dims: [...t.dims] };
    const id = this.nextId++;
    const reply = await this.request(id, { id, kind: 'run', feeds: wire, ...(fetches ? { fetches } : {}) });
    if (!reply.ok) throw new Error(reply.error ?? 'onnxruntime run failed');
    const outputs: Record<string, ort.OnnxValue> = {};
    for (const [name, t] of Object.entries(reply.outputs)) outputs[name] = new ort.Tensor(t.type, t.data, t.dims);
    return outputs;
  }

  async release(): Promise<void> {
    if (!this.failure) {
      const id = this.nextId++;
      await this.request(id, { id, kind: 'release' }).catch(() => undefined);
    }
    await this.worker.terminate();
  }
}
