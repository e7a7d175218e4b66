import * as tf from '@tensorflow/tfjs-core';

/**
 * Sparse softmax cross-entropy averaged over the labelled rows: `−(1/|L|) Σ_{i∈L} log softmax(z_i)[y_i]`,
 * where `L` are the rows with a label `>= 0` (`-1` marks an unlabelled row). A batch without labels
 * gives 0. The default loss of `train`; distillation losses add their teacher term to it.
 *
 * @param logits `[B, C]`.
 * @param labels `[B]` int32.
 */
export function sparseCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[1];
    const mask = tf.cast(tf.greaterEqual(labels, 0), 'float32');
    const safe = tf.maximum(labels, tf.scalar(0, 'int32'));
    const oneHot = tf.cast(tf.oneHot(tf.cast(safe, 'int32') as tf.Tensor1D, classes), 'float32');
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits), oneHot), 1);
    const total = tf.neg(tf.sum(tf.mul(picked, mask)));
    return tf.div(total, tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

/**
 * `[correct, labelled]` counts of a batch: rows whose argmax equals their label, and rows with a label.
 * @internal
 */
export function accuracyCounts(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const mask = tf.cast(tf.greaterEqual(labels, 0), 'float32');
    const hit = tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'float32');
    return tf.stack([tf.sum(tf.mul(hit, mask)), tf.sum(mask)]) as tf.Tensor1D;
  });
}
