import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ReadEvent, readEvents, scalarsOf } from '../../../packages/tensorboard/test/read-events.js';
import { shrinkray, tempDir } from './helpers.js';

// `--logdir`: the event file is read back by the Python reader of packages/tensorboard (framing, CRC32C
// and protobuf decoded by hand) and must hold the numbers of the `--json` report (as float32).
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/onnx-io/fixtures');
const torchMlp = path.join(fixtures, 'torch-mlp.onnx');
const torchCnn = path.join(fixtures, 'torch-cnn.onnx');

/** The only event file in `dir`, decoded. */
function eventsIn(dir: string): ReadEvent[] {
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\./);
  const events = readEvents(path.join(dir, files[0]!));
  expect(events[0]!.file_version).toBe('brain.Event:2');
  return events;
}

/** Values of `tag` as [value, step] in file order. */
const series = (events: ReadEvent[], tag: string) => scalarsOf(events).filter(([t]) => t === tag).map(([, v, s]) => [v, s]);
const f32 = Math.fround;

describe('--logdir', () => {
  it('distill: the event file holds the final accuracies, the epoch metrics and every batch loss of the --json report', () => {
    const dir = tempDir('shrinkray-logdir-');
    const logdir = path.join(dir, 'runs', 'distill');
    const run = shrinkray(['distill', '--teacher', torchMlp, '--student', 'mlp:8', '--data', 'mnist', '--epochs', '1', '--batch-size', '100', '--learning-rate', '0.002', '--json', '--logdir', logdir, '-o', path.join(dir, 'out')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as { teacher: { accuracy: number }; student: { accuracy: number }; agreement: number; rows: { labelled: number }; history: { epoch: number; loss: number; accuracy: number; samplesPerSecond: number }[] };
    const events = eventsIn(logdir);
    expect(series(events, 'test/accuracy')).toEqual([[f32(r.student.accuracy), 1]]);
    expect(series(events, 'test/teacher_accuracy')).toEqual([[f32(r.teacher.accuracy), 1]]);
    expect(series(events, 'test/agreement')).toEqual([[f32(r.agreement), 1]]);
    const [epoch] = r.history;
    expect(series(events, 'epoch/loss')).toEqual([[f32(epoch!.loss), 1]]);
    expect(series(events, 'epoch/accuracy')).toEqual([[f32(epoch!.accuracy), 1]]);
    expect(series(events, 'epoch/samples_per_second')).toEqual([[f32(epoch!.samplesPerSecond), 1]]);
    expect(series(events, 'epoch/learning_rate')).toEqual([[f32(0.002), 1]]);
    // One loss per optimizer step: 8000 rows in batches of 100.
    const batches = series(events, 'batch/loss');
    expect(r.rows.labelled).toBe(8000);
    expect(batches.map(([, s]) => s)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    expect(batches.every(([v]) => Number.isFinite(v) && v! > 0)).toBe(true);
  });

  it('prune: accuracy before and after, the sparsity schedule and the measured sparsity of the --json report', () => {
    const dir = tempDir('shrinkray-logdir-');
    const run = shrinkray(['prune', torchMlp, '--data', 'mnist', '--sparsity', '0.6', '--finetune-epochs', '1', '--batch-size', '200', '--json', '--logdir', path.join(dir, 'tb'), '-o', path.join(dir, 'out')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as { before: { accuracy: number }; after: { accuracy: number }; sparsity: number };
    const events = eventsIn(path.join(dir, 'tb'));
    expect(series(events, 'test/accuracy_before')).toEqual([[f32(r.before.accuracy), 0]]);
    expect(series(events, 'test/accuracy')).toEqual([[f32(r.after.accuracy), 1]]);
    expect(series(events, 'prune/measured_sparsity')).toEqual([[f32(r.sparsity), 40]]);
    const schedule = series(events, 'prune/sparsity');
    expect(schedule.at(-1)).toEqual([f32(0.6), expect.any(Number)]);
    // The polynomial schedule only rises, starting from 0 at step 0.
    expect(schedule[0]).toEqual([0, 0]);
    expect(schedule.every(([v], i) => i === 0 || v! >= schedule[i - 1]![0]!)).toBe(true);
    expect(series(events, 'batch/loss')).toHaveLength(40);
  });

  it('ensemble: the stacking objective per fitting iteration, falling', () => {
    const dir = tempDir('shrinkray-logdir-');
    const run = shrinkray(['ensemble', torchMlp, torchCnn, '--data', 'mnist', '--aggregator', 'stacking', '--json', '--logdir', path.join(dir, 'tb')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const losses = series(eventsIn(path.join(dir, 'tb')), 'fit/stacking_loss');
    expect(losses.length).toBeGreaterThan(1);
    expect(losses.map(([, s]) => s)).toEqual(losses.map((_, i) => i));
    expect(losses.at(-1)![0]!).toBeLessThan(losses[0]![0]!);
  });

  it('a --logdir that is a file: one line naming it, exit 1, before training', () => {
    const dir = tempDir('shrinkray-logdir-');
    const file = path.join(dir, 'taken');
    writeFileSync(file, '');
    const run = shrinkray(['distill', '--teacher', torchMlp, '--student', 'mlp:8', '--data', 'mnist', '--epochs', '1', '--logdir', file, '-o', path.join(dir, 'out')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^shrinkray: error: ${file}: cannot create the log directory \\(.*\\)\\n$`));
    expect(readdirSync(dir)).toEqual(['taken']);
  });
});
