// Test helper (not a test file itself): hand-built text students like distill's text-bag / text-cnn.
import { MaskedMeanPooling1D, Rng, Tensor, tfl } from '@shrinkray/tensor-core';

export const VOCAB = 40;
export const LENGTH = 7;
let seed = 3;
const init = () => tfl.initializers.glorotNormal({ seed: seed++ });
const biasInit = () => tfl.initializers.randomUniform({ minval: 0.1, maxval: 0.6, seed: seed++ });

function embedding(input: tfl.SymbolicTensor, dims: number): tfl.SymbolicTensor {
  return tfl.layers.embedding({ inputDim: VOCAB, outputDim: dims, embeddingsInitializer: tfl.initializers.randomUniform({ minval: -1, maxval: 1, seed: seed++ }), name: 'embedding' }).apply(input) as tfl.SymbolicTensor;
}

/** `text-bag:6/5`: Embedding(6) → masked mean → Dense(5, relu) → Dense(3). */
export function textBag(): tfl.LayersModel {
  const input = tfl.input({ shape: [LENGTH], dtype: 'int32', name: 'input_ids' });
  const pooled = new MaskedMeanPooling1D({ padId: 0, name: 'mean_pool' }).apply([embedding(input, 6), input]) as tfl.SymbolicTensor;
  const dense = tfl.layers.dense({ units: 5, activation: 'relu', name: 'dense_1', kernelInitializer: init(), biasInitializer: biasInit() }).apply(pooled) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, name: 'logits', kernelInitializer: init() }).apply(dense) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'text-bag' });
}

/** `text-cnn:6,8/5`: Embedding(6) → Conv1D(8, k3, same, relu) → global max pooling → Dense(5, relu) → Dense(3). */
export function textCnn(): tfl.LayersModel {
  const input = tfl.input({ shape: [LENGTH], dtype: 'int32', name: 'input_ids' });
  const conv = tfl.layers.conv1d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv', kernelInitializer: init(), biasInitializer: biasInit() }).apply(embedding(input, 6)) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalMaxPooling1d({ name: 'max_pool' }).apply(conv) as tfl.SymbolicTensor;
  const dense = tfl.layers.dense({ units: 5, activation: 'relu', name: 'dense_1', kernelInitializer: init(), biasInitializer: biasInit() }).apply(pooled) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, name: 'logits', kernelInitializer: init() }).apply(dense) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'text-cnn' });
}

/** Token ids `[n, LENGTH]` with trailing padding (id 0) of random length, one row all padding. */
export function ids(n: number, s: number): Tensor<'int32'> {
  const rng = new Rng(s);
  const data = new Int32Array(n * LENGTH);
  for (let r = 0; r < n; r++) {
    const used = r === n - 1 ? 0 : 1 + rng.int(LENGTH);
    for (let t = 0; t < used; t++) data[r * LENGTH + t] = 1 + rng.int(VOCAB - 1);
  }
  return new Tensor('int32', [n, LENGTH], data);
}

/**
 * A learnable toy text task: class c's texts draw most tokens from ids [1 + 13c, 14 + 13c), the rest
 * anywhere; trailing padding (id 0).
 */
export function textTask(n: number, s: number): { x: Tensor<'int32'>; y: Int32Array } {
  const rng = new Rng(s);
  const data = new Int32Array(n * LENGTH);
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const c = r % 3;
    y[r] = c;
    const used = 2 + rng.int(LENGTH - 1);
    for (let t = 0; t < used; t++) data[r * LENGTH + t] = rng.next() < 0.7 ? 1 + 13 * c + rng.int(13) : 1 + rng.int(VOCAB - 1);
  }
  return { x: new Tensor('int32', [n, LENGTH], data), y };
}
