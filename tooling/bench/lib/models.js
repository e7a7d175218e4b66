// Model definitions shared by the training benchmark's tfjs runs (the PyTorch script mirrors them).

/** @typedef {{ kind: 'dense', inputs: number, units: number } | { kind: 'conv', h: number, w: number, inC: number, outC: number, k: number } | { kind: 'other' }} LayerCost */

/**
 * Forward multiply-add FLOPs per sample (2 per multiply-add) of the benchmark models; training is
 * counted as 3x forward (forward + input gradient + weight gradient).
 * @param {'mlp' | 'cnn'} name
 */
export function forwardFlopsPerSample(name) {
  if (name === 'mlp') return 2 * (784 * 512 + 512 * 512 + 512 * 10);
  // conv 3x3 1->16 at 28x28, conv 3x3 16->32 at 14x14, dense 1568->64, dense 64->10
  return 2 * (28 * 28 * 9 * 1 * 16 + 14 * 14 * 9 * 16 * 32 + 1568 * 64 + 64 * 10);
}

/**
 * Builds the model with the given tfjs-layers namespace.
 * @param {any} tfl
 * @param {'mlp' | 'cnn'} name
 */
export function buildModel(tfl, name) {
  if (name === 'mlp') {
    return tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [784], units: 512, activation: 'relu' }),
        tfl.layers.dense({ units: 512, activation: 'relu' }),
        tfl.layers.dense({ units: 10 }),
      ],
    });
  }
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 64, activation: 'relu' }),
      tfl.layers.dense({ units: 10 }),
    ],
  });
}

/** Input shape per sample. @param {'mlp' | 'cnn'} name */
export function sampleShape(name) {
  return name === 'mlp' ? [784] : [28, 28, 1];
}
