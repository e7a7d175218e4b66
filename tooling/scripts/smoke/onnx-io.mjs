// Runs outside the workspace against the packed @shrinkray/onnx-io: tfjs -> ONNX -> ORT, and ONNX -> tfjs.
import { encodeOnnx, exportTfjs, importOnnx, OnnxModel } from '@shrinkray/onnx-io';
import { initBackend, Tensor, tf, tfl } from '@shrinkray/tensor-core';

await initBackend();
const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, kernelInitializer: 'ones', biasInitializer: 'zeros' })] });
const proto = await exportTfjs(model);
const session = await OnnxModel.create(encodeOnnx(proto), { name: 'dense' });
const x = Tensor.float32([1, 3], [1, 2, 3]);
const y = (await session.predict(x)).data; // ones kernel: each output is 1 + 2 + 3 = 6
await session.dispose();
if (y[0] !== 6 || y[1] !== 6) throw new Error(`ORT output ${Array.from(y)}, expected [6, 6]`);
const back = await importOnnx(proto);
const z = tf.tidy(() => back.predict(x.toTfjs()).dataSync());
if (z[0] !== 6 || z[1] !== 6) throw new Error(`imported tfjs output ${Array.from(z)}, expected [6, 6]`);
console.log('export -> ORT and import -> tfjs ok');
