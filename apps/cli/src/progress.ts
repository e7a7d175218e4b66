import cliProgress from 'cli-progress';
import type { Io } from './io.js';

/** A progress bar on stderr, drawn only when stderr is a TTY and --quiet is off; NO_COLOR respected. */
export interface Progress {
  start(label: string, total: number): void;
  update(value: number, info?: string): void;
  stop(): void;
  /** Shows `done` of `total` under `label` (a new bar when the label changes); stops at `done === total`. */
  step(label: string, done: number, total: number, info?: string): void;
}

export function createProgress(io: Io): Progress {
  if (!io.interactive) return { start() {}, update() {}, stop() {}, step() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{label} [{bar}] {value}/{total} {info}',
      barCompleteChar: '#',
      barIncompleteChar: '-',
      hideCursor: true,
      clearOnComplete: true,
      noTTYOutput: false,
    },
    cliProgress.Presets.legacy,
  );
  let running = false;
  let current = '';
  return {
    step(label, done, total, info = '') {
      if (done >= total) {
        this.stop();
        return;
      }
      if (!running || label !== current) this.start(label, total);
      this.update(done, info);
    },
    start(label, total) {
      if (running) bar.stop();
      bar.start(total, 0, { label, info: '' });
      running = true;
      current = label;
    },
    update(value, info = '') {
      if (running) bar.update(value, { info });
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
