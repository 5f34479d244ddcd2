// The 03-scale e2e suite's probe (issue #10): which row change drew which journaled status change,
// and where the time went. Pure functions, checked on hand-made timelines.
import * as assert from 'node:assert/strict';
import { breakdown, figures, folderUpdates, pairUp, rowStatus, type RowChange, type StatusEvent } from '../../test/e2e/scaleLatency';

const at = (ms: number) => new Date(ms).toISOString();
const ev = (t: number, module: string, status: string): StatusEvent => ({ at: at(t), module, status });
const row = (t: number, name: string, desc: string): RowChange => ({ t, name, desc });

describe('03-scale probe: journaled status change → the row change that drew it', () => {
  it('reads the status from the first part of the row description', () => {
    assert.equal(rowStatus('qc · worktree open · ≈$0.01'), 'qc');
    assert.equal(rowStatus('passed'), 'passed');
  });

  it('skips changes of the cost or the worktree note and pairs the change that shows the new status', () => {
    const samples = pairUp([ev(1000, 'm1', 'building')], [row(500, 'm1', 'pending'), row(1100, 'm1', 'pending · ≈$0.01'), row(1300, 'm1', 'building · ≈$0.01')]);
    assert.deepEqual(
      samples.map((s) => s.shown - s.at),
      [300],
    );
  });

  it('gives no sample for a status replaced before it was drawn, nor for one the row already showed', () => {
    const events = [ev(1000, 'm1', 'qc'), ev(1050, 'm1', 'fixing'), ev(2000, 'm1', 'fixing')];
    const samples = pairUp(events, [row(500, 'm1', 'building'), row(1200, 'm1', 'fixing')]);
    assert.deepEqual(
      samples.map((s) => [s.status, s.shown - s.at]),
      [['fixing', 150]],
      'qc was never drawn; the second "fixing" changed nothing on screen',
    );
  });

  it('never pairs a status with a later return to it (qc → fixing → qc)', () => {
    const events = [ev(1000, 'm1', 'qc'), ev(2000, 'm1', 'fixing'), ev(3000, 'm1', 'qc')];
    const samples = pairUp(events, [row(500, 'm1', 'building'), row(2100, 'm1', 'fixing'), row(3100, 'm1', 'qc')]);
    assert.deepEqual(
      samples.map((s) => [s.status, s.at, s.shown]),
      [
        ['fixing', 2000, 2100],
        ['qc', 3000, 3100],
      ],
    );
  });

  it('splits a sample into coalescer, extension host and renderer time', () => {
    const samples = pairUp([ev(1000, 'm1', 'qc')], [row(500, 'm1', 'building'), row(1900, 'm1', 'qc')]);
    const marks = [
      { t: 1030, k: 'fire', view: 'stages' },
      { t: 1050, k: 'fire', view: 'modules', nodes: 1 },
      { t: 1400, k: 'item', view: 'modules', label: 'm1', desc: 'qc · worktree open' },
    ];
    const where = breakdown(samples, marks);
    assert.equal(where['event → refresh fired']!.medianMs, 50);
    assert.equal(where['event → tree item asked for']!.medianMs, 400);
    assert.equal(where['tree item → row drawn']!.medianMs, 500);
  });

  it('figures: median, p95 and max; folder updates timed from start to confirmation', () => {
    assert.deepEqual(figures([5, 1, 3, 2, 4]), { samples: 5, medianMs: 3, p95Ms: 5, maxMs: 5 });
    const f = folderUpdates([
      { t: 0, k: 'folders-start' },
      { t: 400, k: 'folders-done' },
      { t: 500, k: 'folders-start' },
      { t: 1500, k: 'folders-done' },
    ]);
    assert.equal(f.count, 2);
    assert.equal(f.maxMs, 1000);
  });
});
