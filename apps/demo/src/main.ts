#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runDemo } from './pipeline.js';
import { DEFAULT_TEXT_CORPUS, runTextDemo } from './text-pipeline.js';

const { values } = parseArgs({
  options: {
    task: { type: 'string', default: 'images' },
    data: { type: 'string' },
    out: { type: 'string', default: 'demo-results' },
    seed: { type: 'string', default: '0' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    'shrinkray demo: train a teacher, distill, prune, ensemble and evaluate on real data\n' +
      '  --task images|text                         images (default), or text: a transformer teacher distilled\n' +
      '                                             into a text-bag student on Debian package descriptions\n' +
      '  --data mnist|fashion-mnist[:DIR]|idx:...   dataset (default: the embedded MNIST digits)\n' +
      '         (--task text) a corpus folder made by make-text-fixtures.py (default: the committed fixtures)\n' +
      '  --out DIR                                  results folder (default demo-results)\n' +
      '  --seed N                                   random seed (default 0)\n' +
      '  --quick                                    fewer epochs and examples (about a minute)\n',
  );
} else {
  try {
    const common = { out: values.out ?? 'demo-results', seed: Number(values.seed), quick: values.quick ?? false, log: (line: string) => process.stdout.write(`${line}\n`) };
    if (values.task === 'text') await runTextDemo({ corpus: values.data ?? DEFAULT_TEXT_CORPUS, ...common });
    else if (values.task === 'images') await runDemo({ data: values.data ?? 'mnist', ...common });
    else throw new Error(`--task ${values.task}: expected images or text`);
  } catch (error) {
    process.stderr.write(`demo: error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
