import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { DemoResults } from './results.js';

const require = createRequire(import.meta.url);

/** Chart.js's UMD build, inlined so the page needs no network. */
function chartJsSource(): string {
  // chart.js's exports map hides the UMD file; it sits beside the CommonJS entry in dist/.
  return readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const percent = (v: number): string => `${(v * 100).toFixed(2)}%`;
const kib = (v: number | undefined): string => (v === undefined ? '—' : `${(v / 1024).toFixed(1)} KiB`);
const num = (v: number | undefined, digits = 0): string => (v === undefined ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits }));

function summaryTable(results: DemoResults): string {
  const rows = results.models
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.name)}</td><td>${m.kind}</td><td>${percent(m.accuracy)}</td><td>${m.nll.toFixed(4)}</td><td>${m.ece.toFixed(4)}</td><td>${num(m.params)}</td><td>${kib(m.bytes)}</td><td>${kib(m.gzipBytes)}</td><td>${num(m.samplesPerSecond)}</td></tr>`,
    )
    .join('\n');
  return `<table><thead><tr><th>model</th><th>kind</th><th>test accuracy</th><th>NLL</th><th>ECE</th><th>parameters</th><th>ONNX size</th><th>gzip</th><th>ORT samples/s (batch 256, median run)</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Builds the self-contained report page: summary table and four charts, Chart.js inlined. */
export function renderReport(results: DemoResults): string {
  const data = JSON.stringify(results).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shrinkray report — ${escapeHtml(results.data)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#1d2330;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:#5b6475}table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #e3e6ec;padding:6px 8px;text-align:right}th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
th{background:#f5f7fa}.grid{display:grid;grid-template-columns:1fr 1fr;gap:20px}.chart{border:1px solid #e3e6ec;border-radius:8px;padding:10px;height:320px}
ul.notes{color:#5b6475}
</style></head><body>
<h1>shrinkray report</h1>
<div class="meta">data <b>${escapeHtml(results.data)}</b> · tfjs backend <b>${escapeHtml(results.backend)}</b> · seed ${results.seed} · ${results.seconds.toFixed(0)} s · ${escapeHtml(results.createdAt)}</div>
<h2>Summary (test split)</h2>
${summaryTable(results)}
<div class="grid">
<div><h2>Training curves (validation accuracy)</h2><div class="chart"><canvas id="curves"></canvas></div></div>
<div><h2>Accuracy vs sparsity</h2><div class="chart"><canvas id="sparsity"></canvas></div></div>
<div><h2>Ensemble vs members</h2><div class="chart"><canvas id="ensemble"></canvas></div></div>
<div><h2>Download size vs accuracy</h2><div class="chart"><canvas id="size"></canvas></div></div>
</div>
${results.notes.length ? `<h2>Notes</h2><ul class="notes">${results.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
<script>${chartJsSource()}</script>
<script id="results" type="application/json">${data}</script>
<script>
const results = JSON.parse(document.getElementById('results').textContent);
const palette = ['#3366cc','#dc3912','#ff9900','#109618','#990099','#0099c6','#dd4477','#66aa00','#b82e2e','#316395'];
const color = (i) => palette[i % palette.length];
const pct = { ticks: { callback: (v) => (v * 100).toFixed(0) + '%' } };
Chart.defaults.animation = false;
new Chart(document.getElementById('curves'), { type: 'line', data: { datasets: results.curves.map((c, i) => ({ label: c.name, borderColor: color(i), backgroundColor: color(i), data: c.points.filter((p) => p.valAccuracy !== null).map((p) => ({ x: p.epoch, y: p.valAccuracy })) })) }, options: { maintainAspectRatio: false, parsing: false, scales: { x: { type: 'linear', title: { display: true, text: 'epoch' } }, y: { ...pct, title: { display: true, text: 'validation accuracy' } } } } });
new Chart(document.getElementById('sparsity'), { type: 'line', data: { datasets: results.sparsity.map((c, i) => ({ label: c.name, borderColor: color(i), backgroundColor: color(i), data: c.points.map((p) => ({ x: p.sparsity, y: p.accuracy })) })) }, options: { maintainAspectRatio: false, parsing: false, scales: { x: { type: 'linear', ...pct, title: { display: true, text: 'sparsity' } }, y: { ...pct, title: { display: true, text: 'test accuracy' } } } } });
const ens = results.ensemble ?? { members: [], aggregators: [] };
const bars = [...ens.members.map((m) => ({ label: m.name, v: m.accuracy, c: '#9aa5b8' })), ...ens.aggregators.map((a) => ({ label: 'ensemble: ' + a.name + (a.weights ? ' (weights ' + a.weights.map((w) => w.toFixed(2)).join(', ') + ')' : ''), v: a.accuracy, c: '#3366cc' }))];
const lo = Math.max(0, Math.min(...bars.map((b) => b.v), 1) - 0.02);
new Chart(document.getElementById('ensemble'), { type: 'bar', data: { labels: bars.map((b) => b.label), datasets: [{ label: 'test accuracy', data: bars.map((b) => b.v), backgroundColor: bars.map((b) => b.c) }] }, options: { maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { ...pct, min: lo } } } });
const sized = results.models.filter((m) => m.gzipBytes !== undefined);
new Chart(document.getElementById('size'), { type: 'scatter', data: { datasets: sized.map((m, i) => ({ label: m.name, backgroundColor: color(i), pointRadius: 6, data: [{ x: m.gzipBytes / 1024, y: m.accuracy }] })) }, options: { maintainAspectRatio: false, scales: { x: { type: 'logarithmic', title: { display: true, text: 'download size: gzip-compressed ONNX (KiB, log scale)' } }, y: { ...pct, title: { display: true, text: 'test accuracy' } } } } });
</script>
</body></html>
`;
}
