import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from './errors/backend-error.js';

/** tfjs backends shrinkray can run on, in the order it tries them. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** One backend's set-up: load its package and make it the active tfjs backend. */
export interface BackendLoader {
  readonly name: BackendName;
  /** Package that provides it, for messages. */
  readonly packageName: string;
  /** Imports the package (registering the backend) and returns once `tf.setBackend` succeeded; may name kernel fixes applied. */
  load(): Promise<void | KernelFixes>;
}

/** Kernels a loader replaced, and which of them run in ONNX Runtime. */
export interface KernelFixes {
  /** The training kernels shrinkray replaced with faster ones (empty when disabled). */
  readonly kernelFixes: readonly string[];
  /** Of those, the kernels that run in ONNX Runtime above their size thresholds; the rest stay on wasm. */
  readonly ortKernels?: readonly string[];
  /** onnxruntime-node version and threads, when kernels run in it. */
  readonly ort?: { readonly version: string; readonly threads: number };
  /** Why no kernel runs in ONNX Runtime (e.g. onnxruntime-node is not installed), when none does. */
  readonly ortReason?: string;
}

/** What `initBackend` did: the backend now running and every backend it tried before it. */
export interface BackendInfo extends Partial<KernelFixes> {
  readonly backend: BackendName;
  readonly attempts: readonly { backend: BackendName; ok: boolean; reason?: string }[];
}

async function activate(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
}

// A variable specifier keeps TypeScript and bundlers from requiring the optional peer at build time.
const tfjsNodePackage: string = '@tensorflow/tfjs-node';

/** The built-in loaders, in fallback order: tfjs-node (native), then wasm, then the pure-JS cpu backend. */
export const defaultBackendLoaders: readonly BackendLoader[] = [
  {
    name: 'tensorflow',
    packageName: tfjsNodePackage,
    async load() {
      await import(tfjsNodePackage);
      await activate('tensorflow');
    },
  },
  {
    name: 'wasm',
    packageName: '@tensorflow/tfjs-backend-wasm',
    async load() {
      await import('@tensorflow/tfjs-backend-wasm');
      await activate('wasm');
      const { applyWasmTrainingKernels } = await import('./wasm-kernels/index.js');
      const state = applyWasmTrainingKernels();
      return {
        kernelFixes: state.kernels,
        ortKernels: state.ortKernels,
        ...(state.ort ? { ort: state.ort } : {}),
        ...(state.ortReason !== undefined ? { ortReason: state.ortReason } : {}),
      };
    },
  },
  {
    name: 'cpu',
    packageName: '@tensorflow/tfjs-backend-cpu',
    async load() {
      await import('@tensorflow/tfjs-backend-cpu');
      await activate('cpu');
    },
  },
];

let current: Promise<BackendInfo> | undefined;

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 200);
}

/**
 * Starts the fastest tfjs backend that loads: `@tensorflow/tfjs-node` when it is installed and its
 * native library loads, else `@tensorflow/tfjs-backend-wasm`, else the cpu backend. Idempotent:
 * later calls return the first result. `SHRINKRAY_BACKEND=wasm|cpu|tensorflow` forces one backend.
 *
 * @example
 * const { backend } = await initBackend(); // 'wasm' on a machine without tfjs-node
 */
export function initBackend(options: { loaders?: readonly BackendLoader[]; force?: BackendName } = {}): Promise<BackendInfo> {
  if (options.loaders === undefined && options.force === undefined && current) return current;
  const forced = options.force ?? (process.env['SHRINKRAY_BACKEND'] as BackendName | undefined);
  const loaders = (options.loaders ?? defaultBackendLoaders).filter((l) => forced === undefined || l.name === forced);
  const run = chooseBackend(loaders);
  if (options.loaders === undefined) current = run;
  return run;
}

async function chooseBackend(loaders: readonly BackendLoader[]): Promise<BackendInfo> {
  const attempts: { backend: BackendName; ok: boolean; reason?: string }[] = [];
  for (const loader of loaders) {
    try {
      const loaded = await loader.load();
      attempts.push({ backend: loader.name, ok: true });
      return loaded ? { ...loaded, backend: loader.name, attempts } : { backend: loader.name, attempts };
    } catch (error) {
      attempts.push({ backend: loader.name, ok: false, reason: `${loader.packageName}: ${describe(error)}` });
    }
  }
  throw new BackendError(attempts.map((a) => ({ backend: a.backend, reason: a.reason ?? 'unknown' })));
}

/** Name of the active tfjs backend (after `initBackend`). */
export function activeBackend(): string {
  return tf.getBackend();
}
