/**
 * Euclidean projection of `v` onto the probability simplex `{w : w ≥ 0, Σw = 1}` (Duchi et al. 2008,
 * "Efficient projections onto the l1-ball"). Returns a new array.
 */
export function projectToSimplex(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const sorted = Array.from(v).sort((a, b) => b - a);
  let cumulative = 0;
  let theta = 0;
  for (let k = 0; k < n; k++) {
    cumulative += sorted[k]!;
    const t = (cumulative - 1) / (k + 1);
    if (sorted[k]! - t > 0) theta = t;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(0, v[i]! - theta);
  return out;
}

/** Options of `fitSimplexLogLoss`. */
export interface SimplexFitOptions {
  /** Starting weights (on the simplex). */
  readonly start: ArrayLike<number>;
  readonly maxIterations?: number;
  /** Stop when an iteration lowers the loss by less than this. */
  readonly tolerance?: number;
  /** Floor under the mixture probability whose log is taken. */
  readonly floor?: number;
  readonly onIteration?: (iteration: number, loss: number) => void;
}

/**
 * Minimises the log-loss of a linear pool, `L(w) = −(1/N) Σ_k log(Σ_i w_i · P[k,i])`, over the simplex,
 * where `P[k,i]` is member i's probability of row k's true class (row-major `[N, n]`). `L` is convex in
 * `w`; projected gradient descent with Armijo backtracking lowers it at every accepted step, so the
 * result is never worse than `start`.
 */
export function fitSimplexLogLoss(trueClassProbabilities: Float64Array, rows: number, members: number, options: SimplexFitOptions): { weights: Float64Array; loss: number; iterations: number } {
  const floor = options.floor ?? 1e-30;
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.tolerance ?? 1e-15;
  const P = trueClassProbabilities;
  const loss = (w: Float64Array): number => {
    let total = 0;
    for (let k = 0; k < rows; k++) {
      let s = 0;
      for (let i = 0; i < members; i++) s += w[i]! * P[k * members + i]!;
      total -= Math.log(Math.max(s, floor));
    }
    return total / rows;
  };
  const gradient = (w: Float64Array): Float64Array => {
    const g = new Float64Array(members);
    for (let k = 0; k < rows; k++) {
      let s = 0;
      for (let i = 0; i < members; i++) s += w[i]! * P[k * members + i]!;
      const inv = 1 / Math.max(s, floor);
      for (let i = 0; i < members; i++) g[i] = g[i]! - P[k * members + i]! * inv;
    }
    for (let i = 0; i < members; i++) g[i] = g[i]! / rows;
    return g;
  };
  let w = projectToSimplex(options.start);
  let f = loss(w);
  let step = 1;
  let iteration = 0;
  for (; iteration < maxIterations; iteration++) {
    const g = gradient(w);
    let accepted = false;
    let t = Math.min(1, step * 4);
    for (let tries = 0; tries < 60; tries++) {
      const candidate = new Float64Array(members);
      for (let i = 0; i < members; i++) candidate[i] = w[i]! - t * g[i]!;
      const next = projectToSimplex(candidate);
      let decrease = 0;
      let moved = 0;
      for (let i = 0; i < members; i++) {
        decrease += g[i]! * (w[i]! - next[i]!);
        moved += (w[i]! - next[i]!) ** 2;
      }
      if (moved === 0) break;
      const fNext = loss(next);
      // Armijo condition for projected gradient: f(next) ≤ f(w) − σ·gᵀ(w − next).
      if (fNext <= f - 1e-4 * decrease) {
        const improvement = f - fNext;
        w = next;
        f = fNext;
        step = t;
        accepted = improvement > tolerance;
        break;
      }
      t /= 2;
    }
    options.onIteration?.(iteration, f);
    if (!accepted) break;
  }
  return { weights: w, loss: f, iterations: iteration };
}
