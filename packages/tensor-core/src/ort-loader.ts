import { createRequire } from 'node:module';

/*
 * The one place that loads onnxruntime-node's native binding for synchronous sessions: tensor-core's
 * ORT training kernels and onnx-io's direct inference sessions both come here. onnxruntime-node is an
 * optional peer dependency; when it is absent, or lays its binding out differently, `loadOrtBinding`
 * returns null and `ortLoadFailure` says why (once, the same answer for every caller).
 */

/** A session of onnxruntime-node's native binding (`dist/binding.js`), called synchronously. */
export interface OrtNativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  /** Feeds and pre-allocated fetches (or null: the binding allocates) are the package's `Tensor`s. */
  run(feeds: Record<string, unknown>, fetches: Record<string, unknown>, options: object): Record<string, unknown>;
  dispose(): void;
  readonly outputMetadata: readonly { readonly name: string }[];
}

/** onnxruntime-node's `Tensor` constructor (float32 data with dims is all the kernels build). */
export type OrtTensorConstructor = new (type: 'float32', data: Float32Array, dims: readonly number[]) => { readonly type: 'float32'; readonly dims: readonly number[]; readonly data: Float32Array };

/** onnxruntime-node's native binding, initialised. */
export interface OrtBinding {
  /** The native session class. */
  readonly InferenceSession: new () => OrtNativeSession;
  /** The package's `Tensor` class, the one the binding reads feeds as and returns outputs as. */
  readonly Tensor: OrtTensorConstructor;
  /** onnxruntime-node's version. */
  readonly version: string;
}

/** Loads a module by specifier, as `require` does; replaceable in tests with {@link setOrtModuleLoader}. */
export type OrtModuleLoader = (specifier: string) => unknown;

// A variable specifier keeps TypeScript and bundlers from resolving the optional peer at build time.
const ortPackage: string = 'onnxruntime-node';

const defaultLoader: OrtModuleLoader = (specifier) => createRequire(import.meta.url)(specifier);
let loader: OrtModuleLoader = defaultLoader;
let state: { binding: OrtBinding | null; failure?: string } | undefined;

function load(): OrtBinding {
  const bindingModule = loader(`${ortPackage}/dist/binding.js`) as { binding?: { InferenceSession?: unknown }; initOrt?: unknown };
  const pkg = loader(ortPackage) as { Tensor?: unknown };
  const version = (loader(`${ortPackage}/package.json`) as { version?: string }).version ?? 'unknown';
  const { initOrt, binding } = bindingModule;
  if (typeof initOrt !== 'function' || typeof binding?.InferenceSession !== 'function' || typeof pkg.Tensor !== 'function') {
    throw new Error(`${ortPackage} ${version} does not expose its native binding as expected`);
  }
  (initOrt as () => void)();
  return { InferenceSession: binding.InferenceSession as OrtBinding['InferenceSession'], Tensor: pkg.Tensor as OrtTensorConstructor, version };
}

/**
 * onnxruntime-node's native binding (initialised once), or null when the package is not installed or
 * its binding is not laid out as expected (see {@link ortLoadFailure}). Tested against the
 * onnxruntime-node version tensor-core develops with.
 *
 * @example
 * const ort = loadOrtBinding();
 * if (ort) new ort.InferenceSession().loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {});
 */
export function loadOrtBinding(): OrtBinding | null {
  if (state) return state.binding;
  try {
    state = { binding: load() };
  } catch (error) {
    state = { binding: null, failure: (error instanceof Error ? error.message : String(error)).split('\n')[0] };
  }
  return state.binding;
}

/** Why {@link loadOrtBinding} returned null (undefined when it did not, or was not called yet). */
export function ortLoadFailure(): string | undefined {
  return state?.failure;
}

/**
 * Replaces how onnxruntime-node's modules are loaded (no argument: the real `require`) and forgets this
 * module's previous result. A test seam, e.g. to simulate onnxruntime-node being absent: call it before
 * anything loads ORT, in a fresh process (the ORT training kernels keep the runtime they first got).
 */
export function setOrtModuleLoader(moduleLoader?: OrtModuleLoader): void {
  loader = moduleLoader ?? defaultLoader;
  state = undefined;
}
