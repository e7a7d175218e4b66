import type { GraphProto, ModelProto } from '@shrinkray/onnx-io';
import { GraphIndex } from './graph.js';
import type { QuantizedNode, SkippedNode } from './plan.js';

/** What a node-by-node rewriting pass (dynamic int8, fp16) starts from. */
export interface Rewrite {
  /** A deep copy of the input model, rewritten in place. */
  out: ModelProto;
  /** `out.graph`. */
  graph: GraphProto;
  /** Lookups over `graph`. */
  index: GraphIndex;
  /** Node labels and op types the pass leaves alone. */
  exclude: Set<string>;
  /** Nodes the pass rewrote (filled by the pass). */
  quantized: QuantizedNode[];
  /** Nodes the pass left as they were, with the reason (filled by the pass). */
  skipped: SkippedNode[];
}

/** Copies `model` and sets up the indexes and result lists of a rewriting pass. */
export function startRewrite(model: ModelProto, exclude: readonly string[] = []): Rewrite {
  const out = structuredClone(model);
  return { out, graph: out.graph, index: new GraphIndex(out.graph), exclude: new Set(exclude), quantized: [], skipped: [] };
}
