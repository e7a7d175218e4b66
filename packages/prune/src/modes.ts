import { Registry, tf } from '@shrinkray/tensor-core';

/** What a mode sees after every optimizer step, for one group of masked values. */
export interface ModeStepArgs {
  /** 1 where an element is selected for pruning, else 0 (float32, the shape of the masked values or of the units). */
  readonly selected: tf.Tensor;
  /** Optimizer steps since each element was selected (0 for unselected ones), same shape. */
  readonly stepsSinceSelection: tf.Tensor;
  /** Decay per step of `soft-decay` (and of plugins that use one). */
  readonly decayRate: number;
}

/**
 * A pruning mode: after every optimizer step the masked values are multiplied by `factor(...)`.
 * At the end of the schedule every selected element is zeroed whatever the mode (hard pruning is
 * the limit of any decay).
 */
export interface Mode {
  readonly name: string;
  readonly description?: string;
  /** True when `factor` depends on `stepsSinceSelection` (it is then recomputed every step). */
  readonly usesSteps?: boolean;
  factor(args: ModeStepArgs): tf.Tensor;
}

/** Selected weights are zero from the moment they are selected. */
export const hard: Mode = {
  name: 'hard',
  description: 'selected weights are zeroed at once and stay zero',
  factor: ({ selected }) => tf.sub(1, selected),
};

/**
 * Soft decay, as the design reads the spec: `w_prune = w_orig · exp(−|δw|)` with
 * `δw = decayRate × (steps since selection)`. Applied as a multiplication by `exp(−decayRate)` after
 * every optimizer step, so a selected weight the optimizer does not move is exactly
 * `w_orig · exp(−decayRate·k)` after k steps; gradients may grow it back, and if it is no longer among
 * the least important at the next schedule update it is released (its δw resets to 0).
 */
export const softDecay: Mode = {
  name: 'soft-decay',
  description: 'selected weights fade as w·exp(-decayRate·steps) and may recover; zeroed at the end of the schedule',
  factor: ({ selected, decayRate }) => tf.add(tf.sub(1, selected), tf.mul(selected, Math.exp(-Math.abs(decayRate)))),
};

/** The modes registry. */
export const modes = Registry.shared<Mode>('mode', 'pruning mode');

/** The built-in modes, registered by the package entry point (`@shrinkray/prune`, not `/base`). */
export const builtinModes: readonly Mode[] = [hard, softDecay];
