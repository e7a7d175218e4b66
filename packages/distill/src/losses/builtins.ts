import { ConfigError, type Tensor, tf, tfl, train, UNLABELLED } from '@shrinkray/tensor-core';
import { TeacherStudentMismatchError } from '../errors/teacher-student-mismatch-error.js';
import { layerFeatures } from '../teachers/features.js';
import { additiveLoss, hintonLoss } from './kd.js';
import type { DistillLoss, PrepareContext } from './types.js';

function teacherTargets(targets: Record<string, tf.Tensor>): tf.Tensor2D {
  const t = targets['teacher'];
  if (!t) throw new ConfigError('loss', 'the batch has no cached teacher logits (targets.teacher)');
  return t as tf.Tensor2D;
}

/** `hinton`: `(1−α)·CE(y, s) + α·τ²·KL(softmax(t/τ) ‖ softmax(s/τ))` (Hinton et al. 2015). */
export const hintonLossPlugin: DistillLoss = {
  name: 'hinton',
  description: '(1-α)·CE(y,s) + α·τ²·KL(softmax(t/τ) ‖ softmax(s/τ)), the normalised KD loss',
  weight: 'alpha',
  create: ({ temperature, alpha }) => ({ logits, labels, targets }) => hintonLoss(logits, teacherTargets(targets), labels, temperature, alpha),
};

/** `additive`: `CE(y, s) + λ·τ²·KL(…)`, the literal `L = L_student + λ·L_teacher`. */
export const additiveLossPlugin: DistillLoss = {
  name: 'additive',
  description: 'CE(y,s) + λ·τ²·KL(softmax(t/τ) ‖ softmax(s/τ)), the literal L_student + λ·L_teacher',
  weight: 'lambda',
  create: ({ temperature, lambda }) => ({ logits, labels, targets }) => additiveLoss(logits, teacherTargets(targets), labels, temperature, lambda),
};

/** The layer before a model's output layer: the default hint / guided layer. */
function penultimateLayer(model: tfl.LayersModel, role: string): string {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const layer = layers[layers.length - 2];
  if (!layer) throw new ConfigError(`lossOptions.${role}Layer`, `${model.name} has no hidden layer to use as the ${role} layer`);
  return layer.name;
}

function layerByName(model: tfl.LayersModel, name: string, option: string): tfl.layers.Layer {
  const layer = model.layers.find((l) => l.name === name);
  if (!layer) throw new ConfigError(option, `${model.name} has no layer '${name}'; layers: ${model.layers.map((l) => l.name).join(', ')}`);
  return layer;
}

function optionalString(options: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(`lossOptions.${key}`, `must be a layer name, got ${String(v)}`);
  return v;
}

/**
 * Builds the student's hint branch: its guided layer followed by a learned regressor to the
 * teacher's hint size. Two 4-D feature maps with the student's at least as large get a convolutional
 * regressor whose kernel makes the spatial sizes match (as in FitNets); anything else is flattened
 * and mapped by a dense layer. The output is flat `[N, D]`, `D` = the teacher hint's size.
 */
function hintModel(student: tfl.LayersModel, studentLayer: tfl.layers.Layer, teacherDims: readonly number[], seed: number): tfl.LayersModel {
  const out = studentLayer.output as tfl.SymbolicTensor;
  const sDims = out.shape.slice(1) as number[];
  const size = teacherDims.reduce((a, b) => a * b, 1);
  let h: tfl.SymbolicTensor = out;
  if (sDims.length === 3 && teacherDims.length === 3 && sDims[0]! >= teacherDims[0]! && sDims[1]! >= teacherDims[1]!) {
    h = tfl.layers
      .conv2d({
        filters: teacherDims[2]!,
        kernelSize: [sDims[0]! - teacherDims[0]! + 1, sDims[1]! - teacherDims[1]! + 1],
        padding: 'valid',
        kernelInitializer: tfl.initializers.glorotUniform({ seed }),
        name: 'hint_regressor',
      })
      .apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.flatten({ name: 'hint_flatten' }).apply(h) as tfl.SymbolicTensor;
  } else {
    if (sDims.length > 1) h = tfl.layers.flatten({ name: 'hint_flatten' }).apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.dense({ units: size, kernelInitializer: tfl.initializers.glorotUniform({ seed }), name: 'hint_regressor' }).apply(h) as tfl.SymbolicTensor;
  }
  return tfl.model({ inputs: student.inputs, outputs: h, name: `${student.name}_hint` });
}

/**
 * Stage 1 of FitNets (Romero et al. 2015): train the student up to its guided layer, plus a learned
 * regressor, to reproduce the teacher's hint layer (mean squared error on the teacher's cached
 * activations). Stage 2 is ordinary KD (the `hinton` loss) on the whole student.
 */
async function prepareHint(ctx: PrepareContext): Promise<void> {
  const teacher = ctx.teacher.layersModel;
  if (!teacher) {
    throw new ConfigError('loss', `'hint' matches intermediate layers and needs a single tfjs teacher; ${ctx.teacher.name} is not one (use 'hinton' for ONNX, logits-file and ensemble teachers)`);
  }
  const teacherLayerName = optionalString(ctx.options, 'teacherLayer') ?? penultimateLayer(teacher, 'teacher');
  const studentLayerName = optionalString(ctx.options, 'studentLayer') ?? penultimateLayer(ctx.student, 'student');
  layerByName(teacher, teacherLayerName, 'lossOptions.teacherLayer');
  const studentLayer = layerByName(ctx.student, studentLayerName, 'lossOptions.studentLayer');
  const hintEpochs = ctx.options['hintEpochs'] ?? Math.max(1, Math.ceil(ctx.epochs / 4));
  if (typeof hintEpochs !== 'number' || !Number.isInteger(hintEpochs) || hintEpochs < 1) {
    throw new ConfigError('lossOptions.hintEpochs', `must be a positive integer, got ${String(hintEpochs)}`);
  }
  const hints: Tensor<'float32'> = await layerFeatures(teacher, teacherLayerName, ctx.data, ctx.batchSize * 4);
  const teacherDims = (layerByName(teacher, teacherLayerName, 'lossOptions.teacherLayer').output as tfl.SymbolicTensor).shape.slice(1) as number[];
  const model = hintModel(ctx.student, studentLayer, teacherDims, ctx.seed);
  if (model.outputs[0]!.shape[1] !== hints.shape[1]) {
    throw new TeacherStudentMismatchError({ what: 'hint sizes', expectedFrom: `teacher layer ${teacherLayerName}`, expected: String(hints.shape[1]), foundIn: `student hint branch of ${studentLayerName}`, found: String(model.outputs[0]!.shape[1]) });
  }
  await train({
    model,
    data: ctx.data.withLabels(new Int32Array(ctx.data.size).fill(UNLABELLED), `${ctx.data.name} (hint stage)`),
    targets: { hint: hints },
    loss: ({ logits, targets }) => tf.tidy(() => tf.mean(tf.square(tf.sub(logits, targets['hint']!))) as tf.Scalar),
    optimizer: ctx.optimizer,
    epochs: hintEpochs,
    batchSize: ctx.batchSize,
    seed: ctx.seed ^ 0x41e7,
    onEvent: ctx.onEvent,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
}

/**
 * `hint`: FitNets-style. Stage 1 matches a student layer (`lossOptions.studentLayer`, default the
 * last hidden layer) to a teacher layer (`lossOptions.teacherLayer`, default the teacher's last
 * hidden layer) through a learned regressor for `lossOptions.hintEpochs` epochs (default
 * `ceil(epochs/4)`); stage 2 trains the whole student with the `hinton` loss. tfjs teachers only.
 */
export const hintLossPlugin: DistillLoss = {
  name: 'hint',
  description: 'FitNets: hint stage (student layer -> learned regressor -> teacher layer, MSE), then the hinton loss',
  weight: 'alpha',
  create: hintonLossPlugin.create,
  prepare: prepareHint,
};

/** The built-in losses, registered in the default registry the same way plugins are. */
export const builtinLosses: readonly DistillLoss[] = [hintonLossPlugin, additiveLossPlugin, hintLossPlugin];
