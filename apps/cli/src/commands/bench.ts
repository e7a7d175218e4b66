import type { Command } from 'commander';
import { benchmark, type BenchResult, type OnnxModel, openOnnxModel, type SessionRunner } from '@shrinkray/onnx-io';
import { initBackend } from '@shrinkray/tensor-core';
import { emit, type GlobalOptions, type Io, UsageError } from '../io.js';
import { checkModelPath } from '../models.js';
import { createProgress } from '../progress.js';

function parseBatches(value: string): number[] {
  const batches = value.split(',').map((v) => Number(v.trim()));
  if (batches.length === 0 || batches.some((b) => !Number.isInteger(b) || b < 1)) throw new UsageError(`--batch ${value}: expected positive integers such as 1,256`);
  return batches;
}

export function registerBench(program: Command, io: () => Io, globals: () => GlobalOptions): void {
  program
    .command('bench')
    .description('ONNX Runtime throughput and latency, models side by side in one run')
    .argument('<model...>', 'tfjs model.json or .onnx files')
    .option('--batch <sizes>', 'batch sizes, comma-separated', '1,256')
    .option('--iterations <n>', 'timed runs per batch size', '30')
    .option('--low-latency', "call ONNX Runtime's native session directly (saves its API's per-call hop; matters at batch 1)")
    .action(async (files: string[], options: { batch: string; iterations: string; lowLatency?: boolean }) => {
      const batchSizes = parseBatches(options.batch);
      const iterations = Number(options.iterations);
      if (!Number.isInteger(iterations) || iterations < 1) throw new UsageError(`--iterations ${options.iterations}: expected a positive integer`);
      const out = io();
      const models: OnnxModel[] = [];
      try {
        await initBackend();
        for (const file of files) {
          checkModelPath(file);
          models.push(await openOnnxModel(file, { name: file, lowLatency: options.lowLatency === true }));
        }
        const progress = createProgress(out);
        const results: (BenchResult & { session: SessionRunner['kind'] })[] = [];
        for (const model of models) {
          progress.start(`bench ${model.name}`, iterations * batchSizes.length);
          let done = 0;
          const timed = await benchmark(model, { batchSizes, iterations, seed: globals().seed ?? 0, onProgress: () => progress.update(++done) });
          results.push(...timed.map((r) => ({ ...r, session: model.session.kind })));
          progress.stop();
        }
        const rows = results.map((r) => ({ model: r.model, batch: r.batch, samplesPerSecond: r.samplesPerSecond, p50Ms: r.p50Ms, p99Ms: r.p99Ms, session: r.session }));
        emit(out, globals(), { results: rows }, () =>
          [
            '| model | batch | samples/s | p50 ms | p99 ms | session |',
            '|---|---:|---:|---:|---:|---|',
            ...rows.map((r) => `| ${r.model} | ${r.batch} | ${Math.round(r.samplesPerSecond).toLocaleString('en-US')} | ${r.p50Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} | ${r.session} |`),
          ].join('\n'),
        );
      } finally {
        for (const m of models) await m.dispose();
      }
    });
}
