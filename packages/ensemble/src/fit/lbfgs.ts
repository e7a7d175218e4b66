/** Options of `minimizeLbfgs`. */
export interface LbfgsOptions {
  readonly maxIterations?: number;
  /** Stop when an iteration lowers the objective by less than `tolerance · max(1, |f|)`. */
  readonly tolerance?: number;
  /** Number of correction pairs kept. */
  readonly memory?: number;
  readonly onIteration?: (iteration: number, value: number) => void;
}

/** An objective: writes the gradient at `x` into `gradient` and returns the value. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Limited-memory BFGS with a backtracking (Armijo) line search. Every accepted step lowers the
 * objective, so the result is never worse than the starting point `x0`.
 */
export function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions = {}): { x: Float64Array; value: number; iterations: number } {
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-9;
  const memory = options.memory ?? 10;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let f = objective(x, g);
  const sList: Float64Array[] = [];
  const yList: Float64Array[] = [];
  const rhoList: number[] = [];
  let iteration = 0;
  for (; iteration < maxIterations; iteration++) {
    // Two-loop recursion: d = −H·g.
    const q = Float64Array.from(g);
    const alpha: number[] = new Array(sList.length).fill(0);
    for (let k = sList.length - 1; k >= 0; k--) {
      const a = rhoList[k]! * dot(sList[k]!, q);
      alpha[k] = a;
      const y = yList[k]!;
      for (let i = 0; i < n; i++) q[i] = q[i]! - a * y[i]!;
    }
    if (sList.length > 0) {
      const last = sList.length - 1;
      const gamma = dot(sList[last]!, yList[last]!) / dot(yList[last]!, yList[last]!);
      for (let i = 0; i < n; i++) q[i] = q[i]! * gamma;
    }
    for (let k = 0; k < sList.length; k++) {
      const b = rhoList[k]! * dot(yList[k]!, q);
      const s = sList[k]!;
      for (let i = 0; i < n; i++) q[i] = q[i]! + s[i]! * (alpha[k]! - b);
    }
    const d = q;
    for (let i = 0; i < n; i++) d[i] = -d[i]!;
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction: restart from steepest descent.
      sList.length = 0;
      yList.length = 0;
      rhoList.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      slope = dot(g, d);
      if (!(slope < 0)) break;
    }
    let t = sList.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    const xNext = new Float64Array(n);
    const gNext = new Float64Array(n);
    let fNext = Number.POSITIVE_INFINITY;
    let accepted = false;
    for (let tries = 0; tries < 50; tries++) {
      for (let i = 0; i < n; i++) xNext[i] = x[i]! + t * d[i]!;
      fNext = objective(xNext, gNext);
      if (Number.isFinite(fNext) && fNext <= f + 1e-4 * t * slope) {
        accepted = true;
        break;
      }
      t /= 2;
    }
    if (!accepted) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNext[i]! - x[i]!;
      y[i] = gNext[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      sList.push(s);
      yList.push(y);
      rhoList.push(1 / sy);
      if (sList.length > memory) {
        sList.shift();
        yList.shift();
        rhoList.shift();
      }
    }
    const improvement = f - fNext;
    x = Float64Array.from(xNext);
    g = Float64Array.from(gNext);
    f = fNext;
    options.onIteration?.(iteration, f);
    if (improvement < tolerance * Math.max(1, Math.abs(f))) {
      iteration++;
      break;
    }
  }
  return { x, value: f, iterations: iteration };
}
