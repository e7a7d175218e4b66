import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Debian's Python, which has python3-onnx. */
const python = process.env['SHRINKRAY_PYTHON'] ?? '/usr/bin/python3';

/**
 * Runs `onnx.checker.check_model(onnx.load(f), full_check=True)` on a file or bytes; returns the
 * checker's "ok <version>" line and throws (failing the test) if the model is invalid or Python's
 * onnx is missing - the check is never skipped.
 */
export function checkOnnx(source: string | Uint8Array): string {
  const dir = typeof source === 'string' ? undefined : mkdtempSync(path.join(tmpdir(), 'ensemble-check-'));
  try {
    const file = dir ? path.join(dir, 'model.onnx') : (source as string);
    if (dir) writeFileSync(file, source as Uint8Array);
    const script = 'import sys, onnx\nm = onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)\nprint("ok", onnx.__version__)';
    return execFileSync(python, ['-c', script, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
