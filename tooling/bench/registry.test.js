import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getBenchmark, listBenchmarks, registerBenchmark, toMarkdown } from './registry.js';

test('registry: register, get, list; duplicates and unknown names are errors that list the registered ones', () => {
  const a = { name: 'zz-test-a', description: 'a', run: async () => ({ title: 'A', columns: [], rows: [], notes: [] }) };
  registerBenchmark(a);
  registerBenchmark(a); // same object again: no-op
  assert.equal(getBenchmark('zz-test-a'), a);
  assert.ok(listBenchmarks().includes(a));
  assert.throws(() => registerBenchmark({ ...a }), /already registered/);
  assert.throws(() => getBenchmark('nope'), /unknown benchmark 'nope'; registered: .*zz-test-a/);
  assert.throws(() => registerBenchmark(/** @type {any} */ ({ name: 'x' })), /a benchmark is/);
});

test('toMarkdown: header, right-aligned numeric columns with fixed digits, escaped pipes, notes', () => {
  const md = toMarkdown({
    title: 'T',
    columns: [
      { key: 'name', label: 'name' },
      { key: 'v', label: 'value', digits: 2 },
    ],
    rows: [
      { name: 'a|b', v: 1234.5 },
      { name: 'c', v: undefined },
    ],
    notes: ['n1'],
  });
  assert.equal(md, '## T\n\n| name | value |\n| --- | ---: |\n| a\\|b | 1,234.50 |\n| c |  |\n\n- n1\n');
});
