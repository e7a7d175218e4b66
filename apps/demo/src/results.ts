/** One model in the summary table. */
export interface ModelRow {
  name: string;
  /** What it is, for grouping in the report: teacher, student, pruned, quantized, ensemble member or ensemble. */
  kind: 'teacher' | 'student' | 'pruned' | 'quantized' | 'member' | 'ensemble';
  accuracy: number;
  nll: number;
  ece: number;
  params: number;
  /** ONNX file size in bytes (raw) and gzip-compressed, when an ONNX file was written. */
  bytes?: number;
  gzipBytes?: number;
  /** ONNX Runtime throughput at batch 256 (samples/s, from the median run), when measured. */
  samplesPerSecond?: number;
  files: string[];
}

/** A training curve: one point per epoch. */
export interface Curve {
  name: string;
  points: { epoch: number; loss: number; valAccuracy: number | null }[];
}

/** Accuracy at each sparsity along a pruning run. */
export interface SparsityCurve {
  name: string;
  points: { sparsity: number; accuracy: number }[];
}

/** One ensemble in the ensemble chart: its aggregator, test accuracy and NLL, and fitted member weights (null for stacking). */
export interface EnsembleRow {
  name: string;
  accuracy: number;
  nll: number;
  weights: number[] | null;
}

/** Everything the demo measured; written to `results.json` and drawn in `report.html`. */
export interface DemoResults {
  data: string;
  backend: string;
  seed: number;
  createdAt: string;
  seconds: number;
  models: ModelRow[];
  curves: Curve[];
  sparsity: SparsityCurve[];
  ensemble?: { members: { name: string; accuracy: number }[]; aggregators: EnsembleRow[] };
  notes: string[];
}
