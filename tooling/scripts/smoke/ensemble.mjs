// Runs outside the workspace against the packed @shrinkray/ensemble (and its packed dependencies).
import { aggregators, createEnsemble, serveEnsemble } from '@shrinkray/ensemble';
import { encodeOnnx, GraphBuilder, OnnxModel } from '@shrinkray/onnx-io';
import { Tensor } from '@shrinkray/tensor-core';

// Two one-layer ONNX members: y = x·W (2 inputs -> 2 classes).
async function member(name, w) {
  const b = new GraphBuilder(name);
  b.input('x', 'float32', ['N', 2]);
  b.initializer('W', Float32Array.from(w), [2, 2]);
  b.node('MatMul', ['x', 'W'], ['logits']);
  b.output('logits', 'float32', ['N', 2]);
  return OnnxModel.create(encodeOnnx(b.build({ opset: 17 })), { name });
}
const members = [await member('a', [Math.log(0.2), Math.log(0.8), 0, 0]), await member('b', [Math.log(0.6), Math.log(0.4), 0, 0])];
const ensemble = await createEnsemble(members, { aggregator: 'mean' });
const x = Tensor.float32([1, 2], [1, 0]); // logits a: [log .2, log .8], b: [log .6, log .4]
const fused = await serveEnsemble(ensemble, { mode: 'fused' });
const p = (await fused.run(x)).data;
await fused.dispose();
await ensemble.dispose();
if (Math.abs(p[0] - 0.4) > 1e-6 || Math.abs(p[1] - 0.6) > 1e-6) throw new Error(`fused mean ${Array.from(p)}, expected [0.4, 0.6]`);
console.log(`aggregators: ${aggregators.list().join(', ')}; fused mean ok`);
