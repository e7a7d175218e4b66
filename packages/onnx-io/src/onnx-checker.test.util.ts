import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Debian's Python, which has python3-onnx (the `python3` on PATH may not). */
export const python = process.env['SHRINKRAY_PYTHON'] ?? '/usr/bin/python3';

const script = `
import sys, onnx
for f in sys.argv[1:]:
    m = onnx.load(f)
    onnx.checker.check_model(m, full_check=True)
print("ok", onnx.__version__)
`;

/**
 * Runs the reference checker `onnx.checker.check_model(m, full_check=True)` on ONNX bytes. Throws
 * (failing the test) when the model is invalid or when Python/onnx is missing: the checker is a
 * required part of the proof, never skipped.
 */
export function checkOnnx(models: readonly Uint8Array[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'onnx-check-'));
  try {
    const files = models.map((bytes, i) => {
      const file = path.join(dir, `m${i}.onnx`);
      writeFileSync(file, bytes);
      return file;
    });
    return execFileSync(python, ['-c', script, ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
