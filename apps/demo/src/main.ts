#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runDemo } from './pipeline.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: 'mnist' },
    out: { type: 'string', default: 'demo-results' },
    seed: { type: 'string', default: '0' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    'shrinkray demo: train a teacher, distill, prune, ensemble and evaluate on real data\n' +
      '  --data mnist|fashion-mnist[:DIR]|idx:...   dataset (default: the embedded MNIST digits)\n' +
      '  --out DIR                                  results folder (default demo-results)\n' +
      '  --seed N                                   random seed (default 0)\n' +
      '  --quick                                    fewer epochs and examples (about a minute)\n',
  );
} else {
  try {
    await runDemo({ data: values.data ?? 'mnist', out: values.out ?? 'demo-results', seed: Number(values.seed), quick: values.quick ?? false, log: (line) => process.stdout.write(`${line}\n`) });
  } catch (error) {
    process.stderr.write(`demo: error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
