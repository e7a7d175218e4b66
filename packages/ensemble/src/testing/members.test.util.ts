import { GraphBuilder, OnnxModel, encodeOnnx } from '@shrinkray/onnx-io';
import { initBackend, type Model, Rng, Tensor, TfjsModel, tfl } from '@shrinkray/tensor-core';

/** Seeded random images `[n, 28, 28, 1]` in [0, 1). */
export function randomImages(n: number, seed: number): Tensor<'float32'> {
  const rng = new Rng(seed);
  const x = Tensor.zeros('float32', [n, 28, 28, 1]);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.next();
  return x;
}

/**
 * Three small members of different kinds, all `28×28×1 -> 10`: a tfjs MLP emitting logits, a tfjs CNN
 * ending in softmax (probabilities), and an ONNX Gemm model with a PyTorch-style NCHW input.
 */
export async function mixedMembers(seed = 1): Promise<Model[]> {
  await initBackend();
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: seed * 100 + s });
  const mlp = tfl.sequential({
    name: 'mlp',
    layers: [
      tfl.layers.flatten({ inputShape: [28, 28, 1] }),
      tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: init(1) }),
      tfl.layers.dense({ units: 10, kernelInitializer: init(2) }),
    ],
  });
  const cnn = tfl.sequential({
    name: 'cnn',
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: init(3) }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
  const rng = new Rng(seed);
  const b = new GraphBuilder('linear_nchw');
  b.input('x', 'float32', ['N', 1, 28, 28]);
  const W = new Float32Array(784 * 10);
  for (let i = 0; i < W.length; i++) W[i] = rng.normal() * 0.05;
  b.initializer('W', W, [784, 10]);
  b.initializer('bias', Float32Array.from({ length: 10 }, () => rng.normal() * 0.1), [10]);
  b.node('Flatten', ['x'], ['flat'], []);
  b.node('Gemm', ['flat', 'W', 'bias'], ['logits']);
  b.output('logits', 'float32', ['N', 10]);
  const onnx = await OnnxModel.create(encodeOnnx(b.build({ opset: 17 })), { name: 'linear_nchw.onnx' });
  return [new TfjsModel(mlp, 'mlp.json'), new TfjsModel(cnn, 'cnn.json'), onnx];
}
