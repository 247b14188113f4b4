import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instanceStartStepHistogram, spansByStart, StartTrace } from '../../../src/cell/start-trace.js';

function clock(times: number[]): () => number {
  return () => {
    const t = times.shift();
    if (t === undefined) throw new Error('the test clock ran out');
    return t;
  };
}

test('each step is noted once with its start and end from the trace origin, ordered by start', async () => {
  const histogram = instanceStartStepHistogram();
  // origin 1000; b: 1010→1050; a: 1020→1030; b again from 1060 (a restart's, not noted); finish at 1100.
  const trace = new StartTrace(histogram, clock([1000, 1010, 1020, 1030, 1050, 1060, 1100]));
  const b = trace.time('b', new Promise<string>((resolve) => setTimeout(() => resolve('B'), 5)));
  assert.equal(await trace.time('a', Promise.resolve('A')), 'A');
  assert.equal(await b, 'B');
  await trace.time('b', Promise.resolve('again'));
  assert.deepEqual(trace.finish(), { steps: { b: [10, 50], a: [20, 30] }, total: 100 });
});

test('finishing observes every step and the total in the histogram, once', async () => {
  const histogram = instanceStartStepHistogram();
  const trace = new StartTrace(histogram, clock([0, 0, 40, 250]));
  await trace.time('network', Promise.resolve());
  assert.notEqual(trace.finish(), null);
  assert.equal(trace.finish(), null);
  const values = (await histogram.get()).values;
  const count = (step: string) =>
    values.find((v) => v.metricName?.endsWith('_count') && v.labels.step === step)?.value;
  const sum = (step: string) =>
    values.find((v) => v.metricName?.endsWith('_sum') && v.labels.step === step)?.value;
  assert.equal(count('network'), 1);
  assert.equal(sum('network'), 0.04);
  assert.equal(count('total'), 1);
  assert.equal(sum('total'), 0.25);
});

test('a failed step is not noted', async () => {
  const trace = new StartTrace(instanceStartStepHistogram(), clock([0, 5, 20]));
  await assert.rejects(trace.time('identity', Promise.reject(new Error('no CA'))), /no CA/);
  assert.deepEqual(trace.finish(), { steps: {}, total: 20 });
});

test('spans are rounded to the millisecond', () => {
  assert.deepEqual(spansByStart(new Map([['x', [1.4, 2.6]]])), { x: [1, 3] });
});
