import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type Dataset, type Model } from '@shrinkray/tensor-core';
import { MemberMismatchError } from './errors/member-mismatch-error.js';
import type { MemberInput } from './members.js';

/**
 * What the ensemble needs to know of a tokenizer to tell whether two members read the same token
 * ids: its `tokenizer.json`, the length it pads/truncates to and its pad id (a `@shrinkray/datasets`
 * `TextTokenizer` is one).
 */
export interface TokenizerIdentity {
  readonly file: string;
  readonly maxLength: number;
  readonly padId: number;
}

function describe(t: TokenizerIdentity): string {
  return `${t.file} (${t.maxLength} tokens, pad id ${t.padId})`;
}

/**
 * A key equal for two tokenizers exactly when they make the same token ids: the length, the pad id
 * and the `tokenizer.json` content (parsed, so formatting does not count).
 *
 * @throws ConfigError when the tokenizer file cannot be read as JSON.
 */
export function tokenizerKey(t: TokenizerIdentity): string {
  let content: string;
  try {
    content = JSON.stringify(JSON.parse(readFileSync(path.resolve(t.file), 'utf8')));
  } catch (error) {
    throw new ConfigError('tokenizers', `${t.file}: cannot be read as JSON (${(error as Error).message})`);
  }
  return `${t.maxLength}|${t.padId}|${content}`;
}

/**
 * Checks every text member reads the token ids it is given: each member's tokenizer (where given)
 * has the same `tokenizer.json` content, length and pad id as the tokenizer of the data it reads -
 * `memberData[i]`'s when that member has its own, else the shared data's (or, without one, the
 * first member tokenizer given).
 *
 * @throws MemberMismatchError naming the first member whose tokenizer differs; ConfigError when
 *   `tokenizers` does not have one entry per member or a tokenizer file cannot be read.
 */
export function checkMemberTokenizers(
  members: readonly Pick<Model, 'name'>[],
  tokenizers: readonly (TokenizerIdentity | undefined)[] | undefined,
  data: TokenizerIdentity | undefined,
  memberData: readonly (TokenizerIdentity | undefined)[] = [],
): void {
  if (!tokenizers) return;
  if (tokenizers.length !== members.length) throw new ConfigError('tokenizers', `expected ${members.length} entries (one per member, undefined for the data's), found ${tokenizers.length}`);
  const shared = data ?? tokenizers.find((t, i) => t !== undefined && !memberData[i]);
  for (const [i, t] of tokenizers.entries()) {
    const reference = memberData[i] ?? shared;
    if (!t || !reference || t === reference) continue;
    if (tokenizerKey(t) === tokenizerKey(reference)) continue;
    throw new MemberMismatchError({
      member: members[i]!.name,
      index: i,
      what: 'tokenizer',
      expected: `the token ids of ${describe(reference)}, which ${memberData[i] ? 'its own data holds' : 'the members of one input read'} (give a member tokenizing differently its own data)`,
      found: describe(t),
    });
  }
}

/**
 * Checks a split fits the members that read it: integer token ids `[L]` per example for text members
 * (the `L` each of `indices` fixes), float32 features otherwise.
 *
 * @throws MemberMismatchError naming the first member whose sequence length differs from the data's;
 *   ConfigError for data of the wrong kind.
 */
export function checkInputFitsData(members: readonly Model[], input: MemberInput, data: Dataset, option: string, indices: readonly number[] = members.map((_, i) => i)): void {
  const tokens = input === 'tokens';
  if (tokens !== (data.dtype !== 'float32')) {
    throw new ConfigError(option, `${data.name} holds ${data.dtype !== 'float32' ? `${data.dtype} token ids` : 'float32 features'} but the members read ${tokens ? 'token ids (text models)' : 'float features'}`);
  }
  if (!tokens) return;
  const found = data.exampleShape;
  if (found.length !== 1) throw new ConfigError(option, `${data.name}: token ids must be [L] per example, found [${found.join(',')}]`);
  for (const index of indices) {
    const L = members[index]!.inputShape[1];
    if (typeof L === 'number' && found[0] !== L) {
      throw new MemberMismatchError({ member: members[index]!.name, index, what: 'sequence length', expected: `${L} tokens per text`, found: `${found[0]} in ${data.name} (tokenize to ${L}, e.g. --max-length ${L})` });
    }
  }
}
