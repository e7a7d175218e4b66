import { openData } from '@shrinkray/datasets';
import { quantize } from '@shrinkray/quantize';
const [model, mode, cal] = process.argv.slice(2);
const { train, test } = await openData('fashion-mnist:/usr/share/datasets/fashion-mnist', {});
const t0 = Date.now();
const { report } = await quantize({ model, data: { train, test }, mode, calibration: cal ?? 'minmax', sensitivity: process.env.SENS ? 500 : false });
console.log(JSON.stringify({ ...report, quantized: report.quantized.length, skipped: report.skipped }, null, 1));
console.log('s', (Date.now() - t0) / 1000);
