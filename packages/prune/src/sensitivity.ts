import { type Dataset, initBackend, type tfl } from '@shrinkray/tensor-core';
import { type Criterion, criteria } from './criteria.js';
import { modelAccuracy } from './evaluate.js';
import { kernelGradients } from './gradients.js';
import { checkSparsity } from './masks.js';
import { hard } from './modes.js';
import { type LayerSelection, Pruner, prunableLayers } from './pruner.js';

/** Options of `sensitivity`. */
export interface SensitivityOptions {
  /** The model to probe; its weights are restored after every probe. */
  model: tfl.LayersModel;
  /** Where accuracy is measured (a validation split; keep it small for speed). */
  data: Dataset;
  /** Sparsities to probe, each in [0, 1); default 0.1 … 0.9 in steps of 0.1 (plus 0.95 unstructured). */
  sparsities?: readonly number[];
  criterion?: string | Criterion;
  /** Remove units/filters instead of weights (probed by zeroing them, which is exact for dead units). */
  structured?: boolean;
  layers?: LayerSelection;
  /** Data for criteria that need gradients (`taylor`); default `data`. */
  gradientData?: Dataset;
  seed?: number;
  onProbe?: (probe: { layer: string; sparsity: number; accuracy: number }) => void;
}

/** Accuracy vs sparsity for one layer pruned alone (one-shot, no fine-tuning). */
export interface LayerSensitivity {
  layer: string;
  points: { sparsity: number; accuracy: number }[];
}

/** What `sensitivity` measured: the unpruned accuracy and one curve per layer. */
export interface SensitivityReport {
  baseline: number;
  layers: LayerSensitivity[];
}

/**
 * Sensitivity analysis: prunes each layer alone at each sparsity (one-shot, hard, no fine-tuning),
 * measures accuracy, and restores the weights. Layers whose accuracy falls fast deserve a lower
 * per-layer target (`layers.overrides` of `prune`).
 *
 * @example
 * const { layers } = await sensitivity({ model, data: validation, sparsities: [0.5, 0.8, 0.9] });
 */
export async function sensitivity(options: SensitivityOptions): Promise<SensitivityReport> {
  await initBackend();
  const structured = options.structured ?? false;
  const sparsities = options.sparsities ?? (structured ? [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] : [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]);
  for (const s of sparsities) checkSparsity(null, s);
  const criterion = typeof options.criterion === 'object' ? options.criterion : criteria.get(options.criterion ?? 'l1');
  const model = options.model;
  const baseline = await modelAccuracy(model, options.data);
  const out: LayerSensitivity[] = [];
  const original = model.getWeights().map((w) => w.clone());
  try {
    for (const layer of prunableLayers(model, options.layers)) {
      const points: { sparsity: number; accuracy: number }[] = [];
      for (const s of sparsities) {
        const pruner = new Pruner(model, {
          layers: [layer],
          criterion,
          mode: hard,
          scope: 'layer',
          structured,
          seed: options.seed ?? 0,
          gradients: () => kernelGradients(model, [layer.name], options.gradientData ?? options.data, { seed: options.seed ?? 0 }),
        });
        await pruner.select(0, s);
        pruner.finalize();
        pruner.dispose();
        const accuracy = await modelAccuracy(model, options.data);
        points.push({ sparsity: s, accuracy });
        options.onProbe?.({ layer: layer.name, sparsity: s, accuracy });
        model.setWeights(original);
      }
      out.push({ layer: layer.name, points });
    }
  } finally {
    model.setWeights(original);
    for (const t of original) t.dispose();
  }
  return { baseline, layers: out };
}
