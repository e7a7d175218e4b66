import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { DatasetFormatError } from '../errors/dataset-format-error.js';

/** Token ids and attention masks of a batch of texts, `[N, maxLength]` row-major. */
export interface EncodedTexts {
  /** Token ids, padded with `padId` after the last real token. */
  readonly ids: Int32Array;
  /** 1 for a real token (special tokens included), 0 for padding. */
  readonly mask: Int32Array;
  readonly rows: number;
  readonly maxLength: number;
  /** Rows whose token sequence was cut to `maxLength`. */
  readonly truncated: number;
}

/** Options of {@link TextTokenizer.load}. */
export interface TextTokenizerOptions {
  /** Pad/truncate every text to this many tokens; default the file's `truncation.max_length`, else `tokenizer_config.json`'s `model_max_length`, else 128. */
  maxLength?: number;
}

const DEFAULT_MAX_LENGTH = 128;

interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number> | unknown[]; unk_token?: string };
  truncation?: { max_length?: number } | null;
  padding?: { pad_id?: number; pad_token?: string; strategy?: unknown } | null;
  added_tokens?: { id: number; content: string }[];
}

interface TokenizerConfigJson {
  model_max_length?: number;
  pad_token?: string | { content?: string };
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new DatasetFormatError({ file, expected: 'a readable tokenizer file', found: (error as NodeJS.ErrnoException).code ?? String(error), cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DatasetFormatError({ file, expected: 'JSON', found: (error as Error).message, cause: error });
  }
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

function vocabSizeOf(json: TokenizerJson): number {
  const vocab = json.model?.vocab;
  let size = 0;
  if (Array.isArray(vocab)) size = vocab.length;
  else if (vocab && typeof vocab === 'object') for (const id of Object.values(vocab)) size = Math.max(size, Number(id) + 1);
  for (const t of json.added_tokens ?? []) size = Math.max(size, t.id + 1);
  return size;
}

/**
 * A Hugging Face `tokenizer.json` (WordPiece, BPE, WordLevel, Unigram; normalisers such as lower-casing and
 * accent stripping; the post-processor's special tokens) run by the `@huggingface/tokenizers`
 * package, plus what that package leaves to its caller: truncation to `maxLength` (the text's tokens
 * are cut, the special tokens of the template are kept), right padding with the pad token, and
 * attention masks.
 *
 * Attention masks are derivable from the ids: the pad id marks padding and nothing else (it is a
 * special token the model never emits for text), so `mask[i] = ids[i] !== padId`.
 *
 * @example
 * const tok = await TextTokenizer.load('teacher/', { maxLength: 32 });
 * const { ids, mask } = tok.encodeBatch(['a python library', 'perl module']);
 */
export class TextTokenizer {
  /** The file the tokenizer came from. */
  readonly file: string;
  /** `WordPiece`, `BPE`, `Unigram`… as the file names its model. */
  readonly modelType: string;
  readonly maxLength: number;
  readonly padId: number;
  /** One more than the largest token id (embedding rows a student needs). */
  readonly vocabSize: number;
  private readonly tokenizer: Tokenizer;
  private readonly prefixLength: number;
  private readonly suffixLength: number;
  /** The unknown token's id (WordLevel words outside the vocabulary map to it). */
  private readonly unkId: number | undefined;

  private constructor(file: string, json: TokenizerJson, config: TokenizerConfigJson, options: TextTokenizerOptions) {
    this.file = file;
    this.modelType = String(json.model?.type ?? 'unknown');
    try {
      this.tokenizer = new Tokenizer(json, config);
    } catch (error) {
      throw new DatasetFormatError({ file, expected: 'a tokenizer.json the tokenizers package can build', found: (error as Error).message, cause: error });
    }
    const maxLength = options.maxLength ?? json.truncation?.max_length ?? config.model_max_length ?? DEFAULT_MAX_LENGTH;
    // tokenizer_config.json files often hold a huge sentinel model_max_length (1e30): cap it.
    this.maxLength = maxLength > 1e6 ? DEFAULT_MAX_LENGTH : maxLength;
    if (!Number.isInteger(this.maxLength) || this.maxLength < 1) {
      throw new DatasetFormatError({ file, expected: 'a positive integer maximum length', found: String(maxLength) });
    }
    const padToken = json.padding?.pad_token ?? (typeof config.pad_token === 'string' ? config.pad_token : config.pad_token?.content);
    const padId = json.padding?.pad_id ?? (padToken !== undefined ? this.tokenizer.token_to_id(padToken) : undefined);
    if (padId === undefined) throw new DatasetFormatError({ file, expected: 'a pad token (padding.pad_id, or pad_token in tokenizer_config.json)', found: 'none' });
    this.padId = padId;
    this.vocabSize = vocabSizeOf(json);
    this.unkId = json.model?.unk_token !== undefined ? this.tokenizer.token_to_id(json.model.unk_token) : undefined;
    // The template's special tokens around a single text, learnt once from a probe.
    const probe = 'a b';
    const full = this.tokenizer.encode(probe, { add_special_tokens: true }).ids;
    const body = this.tokenizer.encode(probe, { add_special_tokens: false }).ids;
    let start = -1;
    for (let k = 0; k + body.length <= full.length && start < 0; k++) {
      if (body.every((id: number, j: number) => full[k + j] === id)) start = k;
    }
    if (start < 0) throw new DatasetFormatError({ file, expected: "a post-processor that keeps the text's tokens in one piece", found: `[${full.join(',')}] around [${body.join(',')}]` });
    this.prefixLength = start;
    this.suffixLength = full.length - start - body.length;
    if (this.prefixLength + this.suffixLength >= this.maxLength) {
      throw new DatasetFormatError({ file, expected: `a maximum length above the ${this.prefixLength + this.suffixLength} special tokens`, found: String(this.maxLength) });
    }
  }

  /**
   * Reads `tokenizer.json` (a file, or a folder holding it and optionally `tokenizer_config.json`).
   *
   * @throws DatasetFormatError naming the file when it is missing, not JSON, or not a tokenizer.
   */
  static async load(source: string, options: TextTokenizerOptions = {}): Promise<TextTokenizer> {
    const file = (await isDirectory(source)) ? path.join(source, 'tokenizer.json') : source;
    const json = (await readJson(file)) as TokenizerJson;
    if (!json || typeof json !== 'object' || !json.model) throw new DatasetFormatError({ file, expected: 'a tokenizer.json with a "model"', found: 'none' });
    const configFile = path.join(path.dirname(file), 'tokenizer_config.json');
    const config = (await exists(configFile)) ? ((await readJson(configFile)) as TokenizerConfigJson) : {};
    return new TextTokenizer(file, json, config, options);
  }

  /** Builds a tokenizer from already-parsed `tokenizer.json` (and `tokenizer_config.json`) objects. */
  static fromJson(json: object, config: object = {}, options: TextTokenizerOptions & { name?: string } = {}): TextTokenizer {
    return new TextTokenizer(options.name ?? '<tokenizer.json>', json as TokenizerJson, config as TokenizerConfigJson, options);
  }

  /** Token ids of one text with the template's special tokens, truncated to `maxLength` (not padded). */
  encode(text: string): { ids: number[]; truncated: boolean } {
    const full = this.withUnknowns(this.tokenizer.encode(text, { add_special_tokens: true }).ids, text);
    if (full.length <= this.maxLength) return { ids: full, truncated: false };
    const keep = this.maxLength - this.prefixLength - this.suffixLength;
    const ids = [...full.slice(0, this.prefixLength + keep), ...full.slice(full.length - this.suffixLength)];
    return { ids, truncated: true };
  }

  /**
   * `@huggingface/tokenizers` runs a WordLevel model as a plain vocabulary lookup that leaves words
   * outside the vocabulary without an id; they become the unknown token, as in the reference
   * implementation.
   */
  private withUnknowns(ids: (number | undefined)[], text: string): number[] {
    if (ids.every((id) => Number.isInteger(id))) return ids as number[];
    if (this.unkId === undefined) throw new DatasetFormatError({ file: this.file, expected: 'an unk_token for words outside the vocabulary', found: `none (text "${text.slice(0, 60)}")` });
    return ids.map((id) => (Number.isInteger(id) ? (id as number) : this.unkId!));
  }

  /** Every text truncated and padded to `maxLength`, with attention masks. */
  encodeBatch(texts: readonly string[]): EncodedTexts {
    const L = this.maxLength;
    const ids = new Int32Array(texts.length * L).fill(this.padId);
    const mask = new Int32Array(texts.length * L);
    let truncated = 0;
    for (let r = 0; r < texts.length; r++) {
      const e = this.encode(texts[r]!);
      if (e.truncated) truncated++;
      ids.set(e.ids, r * L);
      mask.fill(1, r * L, r * L + e.ids.length);
    }
    return { ids, mask, rows: texts.length, maxLength: L, truncated };
  }
}
