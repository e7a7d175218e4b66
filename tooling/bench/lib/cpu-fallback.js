import { tf } from '@shrinkray/tensor-core';
import '@tensorflow/tfjs-backend-cpu';

/**
 * Registers tfjs-backend-cpu's kernel `name` for the wasm backend: inputs are copied out of the wasm
 * heap, computed in pure JS and copied back. This is what a stock tfjs user has for kernels the wasm
 * backend lacks.
 * @param {string} name
 */
export function registerCpuFallback(name) {
  const kernel = tf.getKernel(name, 'cpu');
  if (!kernel) throw new Error(`tfjs-backend-cpu has no kernel '${name}'`);
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const cpu = /** @type {any} */ (tf.findBackend('cpu'));
      const wasm = /** @type {any} */ (args.backend);
      /** @type {Record<string, any>} */
      const inputs = {};
      const ids = [];
      for (const [key, t] of Object.entries(args.inputs)) {
        if (!t) continue;
        const id = cpu.write(wasm.readSync(t.dataId).slice(), t.shape, t.dtype);
        ids.push(id);
        inputs[key] = { dataId: id, shape: t.shape, dtype: t.dtype };
      }
      const out = /** @type {any} */ (kernel.kernelFunc({ inputs, backend: cpu, attrs: args.attrs }));
      const result = wasm.makeOutput(out.shape, out.dtype, undefined, cpu.readSync(out.dataId));
      cpu.disposeData(out.dataId);
      for (const id of ids) cpu.disposeData(id);
      return result;
    },
  });
}
