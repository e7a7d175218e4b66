import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../src/pipeline.js';
import type { DemoResults } from '../src/results.js';

const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
let out: string;
let results: DemoResults;
let browser: Browser;

beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), 'shrinkray-demo-'));
  results = await runDemo({ data: 'mnist', out, seed: 0, quick: true, log: () => {} });
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} not found: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 600_000);

afterAll(async () => {
  await browser?.close();
});

describe('demo report', () => {
  it('writes results.json with what the demo measured', () => {
    const saved = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as DemoResults;
    expect(saved.models.map((m) => m.name)).toEqual(results.models.map((m) => m.name));
    const teacher = saved.models.find((m) => m.kind === 'teacher');
    expect(teacher?.accuracy).toBeGreaterThan(0.5);
    expect(saved.models.map((m) => m.kind)).toEqual(['teacher', 'student', 'student', 'pruned', 'pruned', 'quantized', 'member', 'member', 'member', 'ensemble']);
    const slimFloat = saved.models.find((m) => m.name === 'teacher pruned 50% (structured)');
    const int8 = saved.models.find((m) => m.kind === 'quantized');
    expect(int8!.bytes! / slimFloat!.bytes!).toBeLessThan(0.35);
    expect(int8!.accuracy).toBeGreaterThan(slimFloat!.accuracy - 0.02);
    expect(saved.curves).toHaveLength(3);
    for (const model of saved.models) {
      for (const file of model.files) expect(existsSync(file)).toBe(true);
      expect(model.bytes).toBeGreaterThan(0);
      expect(model.gzipBytes).toBeLessThan(model.bytes!);
    }
    // Structured pruning physically removed half the units/filters.
    const slim = saved.models.find((m) => m.name.includes('(structured)'))!;
    expect(slim.params).toBeLessThan(teacher!.params / 2);
    // The fused ensemble file and the optimized aggregator agree (same graph, same data); its weights are shown.
    const optimized = saved.ensemble!.aggregators.find((a) => a.name === 'optimized')!;
    const fused = saved.models.find((m) => m.kind === 'ensemble')!;
    expect(Math.abs(fused.accuracy - optimized.accuracy)).toBeLessThanOrEqual(1 / 2000);
    expect(optimized.weights!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(fused.name).toContain(optimized.weights!.map((w) => w.toFixed(2)).join(', '));
    // The report says, for every ensemble, whether it beat its best member, and why not when it did not.
    const best = Math.max(...saved.ensemble!.members.map((m) => m.accuracy));
    const ensembleNotes = saved.notes.filter((n) => n.startsWith('Ensemble: '));
    expect(ensembleNotes).toHaveLength(4);
    for (const row of saved.ensemble!.aggregators.slice(0, 3)) {
      const note = ensembleNotes.find((n) => n.startsWith(`Ensemble: ${row.name} of the 4 CNNs`))!;
      expect(note).toContain(row.accuracy > best ? 'above its best member' : 'not above its best member');
    }
  });

  it('renders every chart with data points in headless Chromium, offline, without console errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(`file://${path.join(out, 'report.html')}`);
    const charts = await page.evaluate(() => {
      const w = window as unknown as { Chart: { getChart(c: HTMLCanvasElement): { data: { datasets: { data: unknown[] }[] } } | undefined } };
      return [...document.querySelectorAll('canvas')].map((canvas) => {
        const chart = w.Chart.getChart(canvas);
        const points = chart ? chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : 0;
        const ctx = canvas.getContext('2d');
        const pixels = ctx ? ctx.getImageData(0, 0, canvas.width, canvas.height).data : new Uint8ClampedArray();
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
        return { id: canvas.id, points, painted, width: canvas.width };
      });
    });
    expect(charts.map((c) => c.id)).toEqual(['curves', 'sparsity', 'ensemble', 'size']);
    const expectedPoints: Record<string, number> = {
      curves: results.curves.reduce((n, c) => n + c.points.filter((p) => p.valAccuracy !== null).length, 0),
      sparsity: results.sparsity.reduce((n, c) => n + c.points.length, 0),
      ensemble: (results.ensemble?.members.length ?? 0) + (results.ensemble?.aggregators.length ?? 0),
      size: results.models.filter((m) => m.gzipBytes !== undefined).length,
    };
    for (const chart of charts) {
      expect(chart.points).toBe(expectedPoints[chart.id]);
      expect(chart.points).toBeGreaterThan(0);
      expect(chart.width).toBeGreaterThan(100);
      expect(chart.painted).toBeGreaterThan(1000);
    }
    const tableRows = await page.locator('table tbody tr').count();
    expect(tableRows).toBe(results.models.length);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const shot = path.join(out, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    await page.close();
  });
});
