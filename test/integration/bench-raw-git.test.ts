import * as assert from 'node:assert/strict';
import { medianRawGitBaseline } from '../../bench/rawGit';

// The bench's raw-git baseline on real git: a small diamond, run three times, the median run kept.
const diamond = [
  { name: 'a', dependsOn: [] },
  { name: 'b', dependsOn: ['a'] },
  { name: 'c', dependsOn: ['a'] },
  { name: 'd', dependsOn: ['b', 'c'] },
];

describe('bench: raw-git baseline', () => {
  it('runs the baseline as often as asked and reports the median run with every run beside it', async () => {
    const raw = await medianRawGitBaseline(diamond, 3);
    assert.equal(raw.runsMs.length, 3);
    const sorted = [...raw.runsMs].sort((x, y) => x - y);
    assert.equal(raw.totalMs, sorted[1], 'the median of the three runs');
    assert.deepEqual(Object.keys(raw.perModuleMs).sort(), ['a', 'b', 'c', 'd']);
    // The median run's per-module figures are its own: they add up to at most its total.
    const perModule = Object.values(raw.perModuleMs).reduce((n, x) => n + x, 0);
    assert.ok(perModule <= raw.totalMs, `${perModule} ms per module against a total of ${raw.totalMs} ms`);
  });

  it('one run: its own total, listed once', async () => {
    const raw = await medianRawGitBaseline(diamond.slice(0, 2), 1);
    assert.deepEqual(raw.runsMs, [raw.totalMs]);
  });
});
