import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DistillEvent, DistillSummary } from '@shrinkray/distill';
import type { EnsembleProgress } from '@shrinkray/ensemble';
import type { PruneProgress, PruneReport } from '@shrinkray/prune';
import type { EpochMetrics, TrainEvent } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { type ScalarSink, TensorBoardWriter, tensorboardForDistill, tensorboardForEnsemble, tensorboardForPrune, tensorboardForTraining } from '../src/index.js';
import { readEvents, scalarsOf } from './read-events.js';

class Recorder implements ScalarSink {
  readonly rows: [string, number, number][] = [];
  scalar(tag: string, value: number, step: number): void {
    this.rows.push([tag, value, step]);
  }
}

const metrics = (epoch: number, extra: Partial<EpochMetrics> = {}): EpochMetrics => ({ epoch, loss: 1 / epoch, accuracy: 0.5 + epoch / 10, samplesPerSecond: 1000 * epoch, seconds: 1, ...extra });

/** Two epochs of three batches. */
function epochs(valLoss?: boolean): TrainEvent[] {
  const out: TrainEvent[] = [];
  for (const epoch of [1, 2]) {
    out.push({ type: 'epoch-start', epoch, epochs: 2 });
    for (const batch of [1, 2, 3]) out.push({ type: 'batch', epoch, batch, batches: 3, loss: epoch * 10 + batch });
    out.push({ type: 'epoch-end', ...metrics(epoch, valLoss ? { valLoss: epoch / 4, valAccuracy: 0.25 * epoch } : {}) });
    out.push({ type: 'checkpoint', path: 'x', epoch });
  }
  return out;
}

describe('tensorboardForTraining', () => {
  it('batch loss at the global optimizer step; epoch metrics (and the learning rate given) at the epoch; null accuracy skipped', () => {
    const sink = new Recorder();
    const onEvent = tensorboardForTraining(sink, { learningRate: 0.01 });
    for (const e of epochs(true)) onEvent(e);
    onEvent({ type: 'epoch-end', ...metrics(3, { accuracy: null }) });
    expect(sink.rows).toEqual([
      ['batch/loss', 11, 1], ['batch/loss', 12, 2], ['batch/loss', 13, 3],
      ['epoch/loss', 1, 1], ['epoch/accuracy', 0.6, 1], ['epoch/val_loss', 0.25, 1], ['epoch/val_accuracy', 0.25, 1], ['epoch/learning_rate', 0.01, 1], ['epoch/samples_per_second', 1000, 1],
      ['batch/loss', 21, 4], ['batch/loss', 22, 5], ['batch/loss', 23, 6],
      ['epoch/loss', 0.5, 2], ['epoch/accuracy', 0.7, 2], ['epoch/val_loss', 0.5, 2], ['epoch/val_accuracy', 0.5, 2], ['epoch/learning_rate', 0.01, 2], ['epoch/samples_per_second', 2000, 2],
      ['epoch/loss', 1 / 3, 3], ['epoch/learning_rate', 0.01, 3], ['epoch/samples_per_second', 3000, 3],
    ]);
  });
});

describe('tensorboardForDistill', () => {
  const summary = { epochs: 2, teacher: { accuracy: 0.97 }, student: { accuracy: 0.91 }, agreement: 0.93 } as DistillSummary;

  it('hint stage under hint/, distillation stage plain, the summary as test/* at the last epoch; written file read back by Python', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shrinkray-tb-'));
    const writer = TensorBoardWriter.open(dir);
    const sink = new Recorder();
    const both: ScalarSink = {
      scalar: (t, v, s) => {
        sink.scalar(t, v, s);
        writer.scalar(t, v, s);
      },
    };
    const onEvent = tensorboardForDistill(both);
    const events: DistillEvent[] = [
      { type: 'teacher-logits', teacher: 't', done: 10, total: 10, cached: false },
      { type: 'stage', stage: 'hint' },
      { type: 'train', stage: 'hint', event: { type: 'batch', epoch: 1, batch: 1, batches: 1, loss: 4 } },
      { type: 'train', stage: 'hint', event: { type: 'epoch-end', ...metrics(1, { accuracy: null }) } },
      { type: 'stage', stage: 'distill' },
      ...epochs().map((event): DistillEvent => ({ type: 'train', stage: 'distill', event })),
      { type: 'evaluate', what: 'student' },
      { type: 'done', summary },
    ];
    for (const e of events) onEvent(e);
    writer.close();
    const tail: [string, number, number][] = [['test/accuracy', 0.91, 2], ['test/teacher_accuracy', 0.97, 2], ['test/agreement', 0.93, 2]];
    expect(sink.rows.slice(0, 4)).toEqual([['hint/batch/loss', 4, 1], ['hint/epoch/loss', 1, 1], ['hint/epoch/samples_per_second', 1000, 1], ['batch/loss', 11, 1]]);
    expect(sink.rows.slice(-3)).toEqual(tail);
    expect(sink.rows.filter(([t]) => t === 'epoch/accuracy')).toEqual([['epoch/accuracy', 0.6, 1], ['epoch/accuracy', 0.7, 2]]);
    expect(sink.rows.length).toBe(3 + 6 + 2 * 3 + 3);
    expect(scalarsOf(readEvents(writer.path))).toEqual(sink.rows.map(([t, v, s]) => [t, Math.fround(v), s]));
  });

  it('a logits teacher without test accuracy: the missing numbers are skipped, not written as 0', () => {
    const sink = new Recorder();
    tensorboardForDistill(sink)({ type: 'done', summary: { ...summary, teacher: { ...summary.teacher, accuracy: null }, agreement: null } });
    expect(sink.rows).toEqual([['test/accuracy', 0.91, 2]]);
  });
});

describe('tensorboardForPrune', () => {
  it('sparsity at the schedule steps, fine-tuning, accuracy before (step 0) and after (last epoch), measured sparsity at the last step', () => {
    const sink = new Recorder();
    const onEvent = tensorboardForPrune(sink);
    const report = { sparsity: 0.8, modelSparsity: 0.75 } as PruneReport;
    const events: PruneProgress[] = [
      { type: 'evaluate', phase: 'before', accuracy: 0.98 },
      { type: 'prune', step: 0, sparsity: 0 },
      { type: 'prune', step: 2, sparsity: 0.5 },
      ...epochs().map((event): PruneProgress => ({ type: 'train', event })),
      { type: 'prune', step: 4, sparsity: 0.8 },
      { type: 'evaluate', phase: 'after', accuracy: 0.96 },
      { type: 'export', phase: 'after', bytes: 10, gzipBytes: 5 },
      { type: 'done', report },
    ];
    for (const e of events) onEvent(e);
    expect(sink.rows.filter(([t]) => !t.startsWith('batch/') && !t.startsWith('epoch/'))).toEqual([
      ['test/accuracy_before', 0.98, 0],
      ['prune/sparsity', 0, 0],
      ['prune/sparsity', 0.5, 2],
      ['prune/sparsity', 0.8, 4],
      ['test/accuracy', 0.96, 2],
      ['prune/measured_sparsity', 0.8, 6],
      ['prune/model_sparsity', 0.75, 6],
    ]);
    expect(sink.rows.filter(([t]) => t === 'batch/loss').map(([, , s]) => s)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('tensorboardForEnsemble', () => {
  it("the fitted aggregator's objective per iteration", () => {
    const sink = new Recorder();
    const onProgress = tensorboardForEnsemble(sink);
    const events: EnsembleProgress[] = [
      { type: 'predict', member: 'a', index: 0, members: 2 },
      { type: 'fit', aggregator: 'stacking', iteration: 0, maxIterations: 3, loss: 0.9 },
      { type: 'fit', aggregator: 'stacking', iteration: 1, maxIterations: 3, loss: 0.7 },
      { type: 'done', aggregator: 'stacking' },
    ];
    for (const e of events) onProgress(e);
    expect(sink.rows).toEqual([['fit/stacking_loss', 0.9, 0], ['fit/stacking_loss', 0.7, 1]]);
  });
});
