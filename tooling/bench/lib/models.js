// Model definitions shared by the training benchmark's tfjs runs (the PyTorch script mirrors them).

/** @typedef {{ kind: 'dense', inputs: number, units: number } | { kind: 'conv', h: number, w: number, inC: number, outC: number, k: number } | { kind: 'other' }} LayerCost */

/**
 * Forward multiply-add FLOPs per sample (2 per multiply-add) of the benchmark models; training is
 * counted as 3x forward (forward + input gradient + weight gradient).
 * @param {'mlp' | 'cnn' | 'resnet'} name
 */
export function forwardFlopsPerSample(name) {
  if (name === 'mlp') return 2 * (784 * 512 + 512 * 512 + 512 * 10);
  if (name === 'resnet') {
    // stem 3x3 1->16 at 28x28; block 16 (two 3x3 16->16 at 28x28); blocks 32 and 64 (stride 2: 3x3 in->out,
    // 3x3 out->out, 1x1 projection in->out at 14x14 and 7x7); global average pool; dense 64->10
    const block = (hw, cin, cout) => hw * hw * (9 * cin * cout + 9 * cout * cout + cin * cout);
    return 2 * (28 * 28 * 9 * 16 + 2 * 28 * 28 * 9 * 16 * 16 + block(14, 16, 32) + block(7, 32, 64) + 64 * 10);
  }
  // conv 3x3 1->16 at 28x28, conv 3x3 16->32 at 14x14, dense 1568->64, dense 64->10
  return 2 * (28 * 28 * 9 * 1 * 16 + 14 * 14 * 9 * 16 * 32 + 1568 * 64 + 64 * 10);
}

/**
 * Builds the model with the given tfjs-layers namespace.
 * @param {any} tfl
 * @param {'mlp' | 'cnn' | 'resnet'} name
 */
export function buildModel(tfl, name) {
  if (name === 'resnet') return buildResNet(tfl);
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

/**
 * A small ResNet-style CNN (the kind the structured-pruning issue fine-tunes): a 3x3 stem, one residual
 * block at 16 channels and two downsampling blocks (32, 64; 1x1 projection shortcuts), each conv
 * followed by BatchNormalization, then global average pooling and a dense classifier.
 * @param {any} tfl
 */
function buildResNet(tfl) {
  const conv = (x, filters, kernelSize, strides) => tfl.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false }).apply(x);
  const bn = (x) => tfl.layers.batchNormalization().apply(x);
  const relu = (x) => tfl.layers.activation({ activation: 'relu' }).apply(x);
  const block = (x, filters, strides, project) => {
    let y = relu(bn(conv(x, filters, 3, strides)));
    y = bn(conv(y, filters, 3, 1));
    const shortcut = project ? bn(conv(x, filters, 1, strides)) : x;
    return relu(tfl.layers.add().apply([y, shortcut]));
  };
  const input = tfl.input({ shape: [28, 28, 1] });
  let x = relu(bn(conv(input, 16, 3, 1)));
  x = block(x, 16, 1, false);
  x = block(x, 32, 2, true);
  x = block(x, 64, 2, true);
  x = tfl.layers.globalAveragePooling2d({}).apply(x);
  const output = tfl.layers.dense({ units: 10 }).apply(x);
  return tfl.model({ inputs: input, outputs: output });
}

/** Input shape per sample. @param {'mlp' | 'cnn' | 'resnet'} name */
export function sampleShape(name) {
  return name === 'mlp' ? [784] : [28, 28, 1];
}
