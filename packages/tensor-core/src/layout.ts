import { ShapeMismatchError } from './errors/shape-mismatch-error.js';
import { formatShape, sizeOf, Tensor } from './tensor.js';

/** A model's declared input shape: batch first; `null` (or a symbolic name) where a dimension is free. */
export type DeclaredShape = readonly (number | string | null)[];

function fits(found: readonly number[], declared: DeclaredShape): boolean {
  return found.length === declared.length && declared.every((d, i) => typeof d !== 'number' || d === found[i]);
}

function nhwcToNchw(x: Tensor<'float32'>, n: number, h: number, w: number, c: number): Tensor<'float32'> {
  const out = new Float32Array(x.size);
  const src = x.data;
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    const base = b * hw * c;
    for (let p = 0; p < hw; p++) {
      for (let ch = 0; ch < c; ch++) out[base + ch * hw + p] = src[base + p * c + ch]!;
    }
  }
  return new Tensor('float32', [n, c, h, w], out);
}

/**
 * Adapts image-like data to a model's declared input shape. Data arrives batch-first as NHWC
 * (`[N,H,W,C]`) or flattened in NHWC order (`[N,H*W*C]`); the model may declare NHWC, NCHW
 * (PyTorch, `[N,C,H,W]`) or flat input. Reshapes are free; NHWC -> NCHW is a transpose (a reshape
 * when C = 1). Throws `ShapeMismatchError` naming both shapes when no unambiguous mapping exists.
 *
 * @example
 * adaptInput(x, [null, 1, 28, 28]) // x: [64, 28, 28, 1] -> [64, 1, 28, 28]
 */
export function adaptInput(x: Tensor<'float32'>, declared: DeclaredShape, name = 'input'): Tensor<'float32'> {
  const n = x.shape[0] ?? 0;
  const found = x.shape;
  if (fits(found, declared)) return x;
  const perExample = sizeOf(found.slice(1));
  const target = declared.slice(1);
  const fail = (why: string): never => {
    throw new ShapeMismatchError({ tensor: name, expected: `model input ${formatShape(declared)}`, found: `data ${formatShape(found)}`, detail: why });
  };
  if (!target.every((d) => typeof d === 'number')) {
    // Symbolic dims besides batch: only a flat target or the same rank is safe.
    if (target.length === found.length - 1) return x;
    if (target.length === 1) return x.reshape([n, perExample]);
    return fail('the model declares symbolic dimensions; give data in its exact layout');
  }
  const dims = target as number[];
  if (sizeOf(dims) !== perExample) return fail(`${perExample} values per example cannot fill ${formatShape(dims)}`);
  if (dims.length !== 3) return x.reshape([n, ...dims]);
  const [a, b, c] = dims as [number, number, number];
  const toNchw = (h: number, w: number, ch: number): Tensor<'float32'> =>
    ch === 1 ? x.reshape([n, 1, h, w]) : nhwcToNchw(x.reshape([n, h, w, ch]), n, h, w, ch);
  const image = found.slice(1);
  if (image.length === 3) {
    const [h, w, ch] = image as [number, number, number];
    if (ch === a && h === b && w === c) return toNchw(h, w, ch);
    return fail('neither an NHWC nor an NCHW view of the data');
  }
  if (image.length !== 1) return fail('data must be NHWC images or flat vectors');
  // Flat data is NHWC-ordered. Single-channel targets need no transpose either way.
  if (a === 1 || c === 1) return x.reshape([n, a, b, c]);
  const looksNhwc = c <= 4 && a > 4;
  const looksNchw = a <= 4 && c > 4;
  if (looksNhwc) return x.reshape([n, a, b, c]);
  if (looksNchw) return toNchw(b, c, a);
  return fail('flat data could be NHWC or NCHW for this target; give the data as [N,H,W,C]');
}
