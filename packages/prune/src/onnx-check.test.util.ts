// Test helper (not a test file itself): Debian's reference ONNX checker.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Debian's Python, which has python3-onnx, python3-torch and python3-torchvision. */
export const python = process.env['SHRINKRAY_PYTHON'] ?? '/usr/bin/python3';

/** `onnx.checker.check_model(full_check=True)` on ONNX bytes; returns "ok", throws when the model is invalid or onnx is missing. */
export function checkOnnx(bytes: Uint8Array): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'prune-onnx-'));
  try {
    const file = path.join(dir, 'm.onnx');
    writeFileSync(file, bytes);
    return execFileSync(python, ['-c', 'import sys, onnx\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\nprint("ok")', file], { encoding: 'utf8' }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
