// Runs outside the workspace against the packed @shrinkray/tensorboard (and its packed dependencies).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { maskedCrc32c, TensorBoardWriter, tensorboardForTraining } from '@shrinkray/tensorboard';

const writer = TensorBoardWriter.open(mkdtempSync(path.join(tmpdir(), 'smoke-tb-')));
const onEvent = tensorboardForTraining(writer, { learningRate: 0.001 });
onEvent({ type: 'batch', epoch: 1, batch: 1, batches: 1, loss: 0.5 });
onEvent({ type: 'epoch-end', epoch: 1, loss: 0.5, accuracy: 0.75, samplesPerSecond: 100, seconds: 1 });
writer.close();

// Walk the TFRecord framing: every length and every record must carry its masked CRC32C.
const bytes = readFileSync(writer.path);
const records = [];
for (let i = 0; i < bytes.length; ) {
  const length = Number(bytes.readBigUInt64LE(i));
  if (bytes.readUInt32LE(i + 8) !== maskedCrc32c(bytes.subarray(i, i + 8))) throw new Error(`length CRC mismatch at byte ${i}`);
  const data = bytes.subarray(i + 12, i + 12 + length);
  if (bytes.readUInt32LE(i + 12 + length) !== maskedCrc32c(data)) throw new Error(`data CRC mismatch at byte ${i}`);
  records.push(data);
  i += 16 + length;
}
// The CRC-32C check value of "123456789" is 0xE3069283; masked: rotate right 15, add 0xa282ead8.
const check = 0xe3069283;
const want = (((check >>> 15) | (check << 17)) + 0xa282ead8) >>> 0;
if (maskedCrc32c(new TextEncoder().encode('123456789')) !== want) throw new Error('masked CRC32C of the check string is wrong');
if (!records[0].toString('latin1').includes('brain.Event:2')) throw new Error('first record is not the file version');
// 1 file version + batch/loss + epoch loss, accuracy, learning_rate, samples_per_second
if (records.length !== 6) throw new Error(`${records.length} records, expected 6`);
console.log(`${path.basename(writer.path)}: ${records.length} records, CRCs ok`);
