// Runs outside the workspace against the packed @shrinkray/quantize: static int8 QDQ of a tiny MLP, run in ORT.
import { GraphBuilder, OnnxModel } from '@shrinkray/onnx-io';
import { quantize } from '@shrinkray/quantize';
import { Dataset, Rng, Tensor } from '@shrinkray/tensor-core';

const rng = new Rng(1);
const b = new GraphBuilder('mlp');
b.input('x', 'float32', ['N', 8]);
b.initializer('w', Float32Array.from({ length: 32 }, () => rng.normal() * 0.3), [8, 4]);
b.initializer('bias', Float32Array.from({ length: 4 }, () => rng.normal() * 0.1), [4]);
b.node('Gemm', ['x', 'w', 'bias'], ['y']);
b.output('y', 'float32', ['N', 4]);
const x = new Tensor('float32', [64, 8], Float32Array.from({ length: 512 }, () => rng.normal()));
const data = Dataset.fromArrays(x, Int32Array.from({ length: 64 }, (_, i) => i % 4));
const { bytes, report } = await quantize({ model: b.build(), data, mode: 'static', throughput: false });
if (!report.fused.int8Nodes.some((n) => n.opType === 'QGemm')) throw new Error(`ORT did not fuse a QGemm: ${JSON.stringify(report.fused.ops)}`);
const model = await OnnxModel.create(bytes);
const y = await model.run(x);
await model.dispose();
console.log(`static int8: ${report.quantized.length} node(s) quantized, ORT ran ${y.shape.join('x')} outputs`);
