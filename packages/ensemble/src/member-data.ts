import { ConfigError, type Dataset, type Model, type PredictOptions, predictBatched, predictEach, type Tensor } from '@shrinkray/tensor-core';
import type { MemberInput } from './members.js';
import { checkInputFitsData } from './tokenizers.js';

/** The splits one member reads: the shared data, or its own tokenization of the same texts. */
export interface MemberSplits {
  readonly train?: Dataset;
  readonly validation?: Dataset;
  readonly test: Dataset;
}

function sameRows(own: Dataset | undefined, shared: Dataset | undefined, option: string): void {
  if (!shared) return;
  if (!own) throw new ConfigError(option, `is required: the shared data has this split (${shared.name}), so a member with data of its own needs its version of it`);
  if (own.size !== shared.size) throw new ConfigError(option, `${own.name} has ${own.size} rows but ${shared.name} has ${shared.size}: a member's own data holds the same texts in the same order`);
  for (let i = 0; i < own.size; i++) {
    if (own.labels[i] !== shared.labels[i]) throw new ConfigError(option, `${own.name} row ${i} is labelled ${own.labels[i]} but ${shared.name} row ${i} ${shared.labels[i]}: a member's own data holds the same texts in the same order`);
  }
}

/**
 * Checks `memberData` (one entry per member, `undefined` for a member reading the shared data): a
 * member's own splits hold the shared splits' rows (same sizes, same labels in the same order) as
 * token ids its fixed sequence length fits. Returns, per member, whether it reads data of its own.
 *
 * @throws ConfigError naming the member's split; MemberMismatchError for a sequence length that does not fit.
 */
export function checkMemberData(models: readonly Model[], input: MemberInput, shared: MemberSplits, memberData: readonly (MemberSplits | undefined)[] | undefined): boolean[] {
  if (!memberData) return models.map(() => false);
  if (memberData.length !== models.length) throw new ConfigError('memberData', `expected ${models.length} entries (one per member, undefined for the shared data), found ${memberData.length}`);
  if (memberData.some((d) => d !== undefined) && input !== 'tokens') throw new ConfigError('memberData', 'applies to text members (token ids of their own tokenizer)');
  for (const [i, own] of memberData.entries()) {
    if (!own) continue;
    for (const split of ['test', 'train', 'validation'] as const) {
      const option = `memberData[${i}].${split}`;
      sameRows(own[split], shared[split], option);
      if (own[split]) checkInputFitsData(models, input, own[split], option, [i]);
    }
  }
  return memberData.map((d) => d !== undefined);
}

/**
 * Every member's logits `[N, C]` on one split, in member order: the members reading the shared data
 * run together on it (read once, `predictEach`), each other member on its own version of the split.
 */
export async function predictPerMember(models: readonly Model[], shared: Dataset, own: readonly (Dataset | undefined)[], options: PredictOptions = {}): Promise<Tensor<'float32'>[]> {
  const sharedIndices = models.map((_, i) => i).filter((i) => !own[i]);
  const out: Tensor<'float32'>[] = new Array(models.length);
  const together = sharedIndices.length > 0 ? await predictEach(sharedIndices.map((i) => models[i]!), shared, options) : [];
  for (const [k, i] of sharedIndices.entries()) out[i] = together[k]!;
  for (const [i, data] of own.entries()) if (data) out[i] = await predictBatched(models[i]!, data, options);
  return out;
}
