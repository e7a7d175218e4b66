import { sparseCrossEntropy, tf } from '@shrinkray/tensor-core';

/**
 * The soft-target term of knowledge distillation, `τ²·KL(softmax(t/τ) ‖ softmax(s/τ))` averaged over
 * the batch rows (every row: labelled and transfer rows alike). Built from `logSoftmax`, which shifts
 * each row by its maximum, so logits of ±1e4 give finite values and gradients. The teacher side is a
 * constant (no gradient flows into it). The `τ²` factor keeps the gradient's scale independent of τ
 * (Hinton et al. 2015).
 *
 * @param student student logits `[B, C]`.
 * @param teacher teacher logits `[B, C]`.
 */
export function softTargetLoss(student: tf.Tensor2D, teacher: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const invT = tf.scalar(1 / temperature);
    const logP = tf.logSoftmax(tf.mul(teacher, invT));
    const logQ = tf.logSoftmax(tf.mul(student, invT));
    const p = tf.exp(logP);
    const perRow = tf.sum(tf.mul(p, tf.sub(logP, logQ)), 1);
    return tf.mul(tf.mean(perRow), temperature * temperature) as tf.Scalar;
  });
}

/** Cross-entropy with the true labels, averaged over the labelled rows (`-1` rows ignored; 0 when none). */
export function hardTargetLoss(student: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return sparseCrossEntropy(student, labels);
}

/** The normalised KD loss `(1−α)·CE(y, s) + α·τ²·KL(softmax(t/τ) ‖ softmax(s/τ))`. */
export function hintonLoss(student: tf.Tensor2D, teacher: tf.Tensor2D, labels: tf.Tensor1D, temperature: number, alpha: number): tf.Scalar {
  return tf.tidy(() => {
    const parts: tf.Scalar[] = [];
    if (alpha < 1) parts.push(tf.mul(hardTargetLoss(student, labels), 1 - alpha));
    if (alpha > 0) parts.push(tf.mul(softTargetLoss(student, teacher, temperature), alpha));
    return (parts.length === 1 ? parts[0]! : tf.addN(parts)) as tf.Scalar;
  });
}

/** The additive KD loss `CE(y, s) + λ·τ²·KL(softmax(t/τ) ‖ softmax(s/τ))`, the literal `L_student + λ·L_teacher`. */
export function additiveLoss(student: tf.Tensor2D, teacher: tf.Tensor2D, labels: tf.Tensor1D, temperature: number, lambda: number): tf.Scalar {
  return tf.tidy(() => {
    const ce = hardTargetLoss(student, labels);
    if (lambda === 0) return ce;
    return tf.add(ce, tf.mul(softTargetLoss(student, teacher, temperature), lambda)) as tf.Scalar;
  });
}
