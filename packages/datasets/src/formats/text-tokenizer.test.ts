import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DatasetFormatError } from '../errors/dataset-format-error.js';
import { TextTokenizer } from './text-tokenizer.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/text');

interface ParityRow {
  text: string;
  teacher: { ids: number[]; mask: number[] };
  student: { ids: number[]; mask: number[] };
  short: { maxLength: number; ids: number[]; mask: number[] };
}
// Written by make-text-fixtures.py with its own (Python) WordPiece implementation.
const rows: ParityRow[] = readFileSync(path.join(dir, 'parity.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

function rowsOf(a: Int32Array, width: number): number[][] {
  return Array.from({ length: a.length / width }, (_, i) => Array.from(a.subarray(i * width, (i + 1) * width)));
}

describe('TextTokenizer parity with the fixture script', () => {
  it('has a few hundred real Debian descriptions to compare', () => {
    expect(rows.length).toBeGreaterThanOrEqual(300);
  });

  for (const [which, folder] of [['teacher', 'teacher'], ['student', 'student-tokenizer']] as const) {
    it(`${which} tokenizer: ids and masks equal the reference on every text`, async () => {
      const tok = await TextTokenizer.load(path.join(dir, folder));
      expect(tok.modelType).toBe('WordPiece');
      expect(tok.maxLength).toBe(rows[0]![which].ids.length);
      const enc = tok.encodeBatch(rows.map((r) => r.text));
      expect(rowsOf(enc.ids, enc.maxLength)).toEqual(rows.map((r) => r[which].ids));
      expect(rowsOf(enc.mask, enc.maxLength)).toEqual(rows.map((r) => r[which].mask));
      // The mask is derivable from the ids: padding and only padding holds the pad id.
      for (let i = 0; i < enc.ids.length; i++) expect(enc.mask[i]).toBe(enc.ids[i] === tok.padId ? 0 : 1);
    });
  }

  it('truncation to a short length keeps [CLS] … [SEP] exactly as the reference does', async () => {
    const maxLength = rows[0]!.short.maxLength;
    const tok = await TextTokenizer.load(path.join(dir, 'teacher', 'tokenizer.json'), { maxLength });
    const enc = tok.encodeBatch(rows.map((r) => r.text));
    const expectedTruncated = rows.filter((r) => r.teacher.mask.reduce((a, b) => a + b, 0) > maxLength).length;
    expect(expectedTruncated).toBeGreaterThan(50);
    expect(enc.truncated).toBe(expectedTruncated);
    expect(rowsOf(enc.ids, maxLength)).toEqual(rows.map((r) => r.short.ids));
    expect(rowsOf(enc.mask, maxLength)).toEqual(rows.map((r) => r.short.mask));
  });

  it('teacher and student tokenizers differ (vocabularies of different sizes)', async () => {
    const t = await TextTokenizer.load(path.join(dir, 'teacher'));
    const s = await TextTokenizer.load(path.join(dir, 'student-tokenizer'));
    expect(t.vocabSize).toBeGreaterThan(s.vocabSize);
    expect(t.encode(rows[0]!.text).ids).not.toEqual(s.encode(rows[0]!.text).ids);
  });
});

interface BpeParityRow {
  text: string;
  ids: number[];
  mask: number[];
  short: { maxLength: number; ids: number[]; mask: number[] };
}
// Written by make-bpe-fixture.py: merges learnt from train.jsonl, ids from its own (Python) BPE encoder.
const bpeRows: BpeParityRow[] = readFileSync(path.join(dir, 'bpe-parity.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('TextTokenizer parity with the BPE fixture script', () => {
  it('a BPE tokenizer.json (learnt merges, </w> suffix, <unk>, pad id 1): ids and masks equal the reference on 300 descriptions', async () => {
    expect(bpeRows.length).toBe(300);
    const tok = await TextTokenizer.load(path.join(dir, 'bpe-tokenizer'));
    expect([tok.modelType, tok.padId, tok.maxLength]).toEqual(['BPE', 1, bpeRows[0]!.ids.length]);
    const enc = tok.encodeBatch(bpeRows.map((r) => r.text));
    expect(rowsOf(enc.ids, enc.maxLength)).toEqual(bpeRows.map((r) => r.ids));
    expect(rowsOf(enc.mask, enc.maxLength)).toEqual(bpeRows.map((r) => r.mask));
    // The texts exercise merges (fewer tokens than characters) and unknown characters (<unk> = 3).
    const tokens = bpeRows.reduce((n, r) => n + r.mask.reduce((a, b) => a + b, 0) - 2, 0);
    const chars = bpeRows.reduce((n, r) => n + r.text.replace(/\s/g, '').length, 0);
    expect(tokens).toBeLessThan(chars / 2);
    expect(bpeRows.some((r) => r.ids.includes(3))).toBe(true);
  });

  it('BPE truncation keeps <s> … </s> and counts the truncated texts as the reference does', async () => {
    const maxLength = bpeRows[0]!.short.maxLength;
    const tok = await TextTokenizer.load(path.join(dir, 'bpe-tokenizer', 'tokenizer.json'), { maxLength });
    const enc = tok.encodeBatch(bpeRows.map((r) => r.text));
    const expectedTruncated = bpeRows.filter((r) => r.mask.reduce((a, b) => a + b, 0) > maxLength).length;
    expect(expectedTruncated).toBeGreaterThan(100);
    expect(enc.truncated).toBe(expectedTruncated);
    expect(rowsOf(enc.ids, maxLength)).toEqual(bpeRows.map((r) => r.short.ids));
    expect(rowsOf(enc.mask, maxLength)).toEqual(bpeRows.map((r) => r.short.mask));
  });
});

describe('TextTokenizer on hand-written tokenizers', () => {
  const wordPiece = {
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, play: 4, '##ing': 5, the: 6, game: 7, '##s': 8 } },
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }], pair: [], special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } } },
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]'].map((content, id) => ({ id, content, special: true, single_word: false, lstrip: false, rstrip: false, normalized: false })),
  };

  it('lower-cases, splits word pieces greedily, pads and masks (hand-computed)', () => {
    const tok = TextTokenizer.fromJson(wordPiece, { pad_token: '[PAD]' }, { maxLength: 8 });
    const enc = tok.encodeBatch(['Playing THE games', 'xyz']);
    // [CLS] play ##ing the game ##s [SEP] [PAD] / [CLS] [UNK] [SEP] …
    expect(Array.from(enc.ids)).toEqual([2, 4, 5, 6, 7, 8, 3, 0, 2, 1, 3, 0, 0, 0, 0, 0]);
    expect(Array.from(enc.mask)).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0]);
    expect(tok.vocabSize).toBe(9);
  });

  it('truncates the text, not the special tokens', () => {
    const tok = TextTokenizer.fromJson(wordPiece, { pad_token: '[PAD]' }, { maxLength: 4 });
    expect(tok.encode('playing the games').ids).toEqual([2, 4, 5, 3]);
  });

  it('BPE tokenizer.json: merges applied, no special tokens without a post-processor', () => {
    const bpe = {
      model: { type: 'BPE', vocab: { '<pad>': 0, '<unk>': 1, l: 2, o: 3, w: 4, lo: 5, low: 6, e: 7, r: 8, er: 9 }, merges: ['l o', 'lo w', 'e r'], unk_token: '<unk>' },
      normalizer: null,
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      added_tokens: [{ id: 0, content: '<pad>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false }],
    };
    const tok = TextTokenizer.fromJson(bpe, { pad_token: '<pad>' }, { maxLength: 5 });
    // "lower low": low + er, low.
    expect(Array.from(tok.encodeBatch(['lower low']).ids)).toEqual([6, 9, 6, 0, 0]);
  });

  it('WordLevel tokenizer.json: whole words, unknown words → [UNK] (hand-computed)', () => {
    const added = (content: string, id: number) => ({ id, content, special: true, single_word: false, lstrip: false, rstrip: false, normalized: false });
    const wordLevel = {
      model: { type: 'WordLevel', vocab: { '[PAD]': 0, '[UNK]': 1, hello: 2, world: 3, '!': 4 }, unk_token: '[UNK]' },
      normalizer: { type: 'Lowercase' },
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      added_tokens: [added('[PAD]', 0), added('[UNK]', 1)],
    };
    const tok = TextTokenizer.fromJson(wordLevel, { pad_token: '[PAD]' }, { maxLength: 5 });
    expect(tok.modelType).toBe('WordLevel');
    const enc = tok.encodeBatch(['Hello world!', 'hello there world']);
    expect(Array.from(enc.ids)).toEqual([2, 3, 4, 0, 0, 2, 1, 3, 0, 0]);
    expect(Array.from(enc.mask)).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 0, 0]);
  });

  it('a tokenizer without a pad token is a DatasetFormatError', () => {
    expect(() => TextTokenizer.fromJson(wordPiece, {}, { maxLength: 8 })).toThrow(DatasetFormatError);
  });

  it('a missing file names the file', async () => {
    await expect(TextTokenizer.load(path.join(dir, 'nope.json'))).rejects.toThrow(/nope\.json/);
  });
});
