import * as assert from 'node:assert/strict';
import { medianRun, rawGitAround, rawGitBaselineRuns, rawGitSides, type RawGitResult } from '../../bench/rawGit';

// The bench's raw-git baseline on real git: a small diamond, run in a process of its own.
const diamond = [
  { name: 'a', dependsOn: [] },
  { name: 'b', dependsOn: ['a'] },
  { name: 'c', dependsOn: ['a'] },
  { name: 'd', dependsOn: ['b', 'c'] },
];

const run = (totalMs: number, a: number): RawGitResult => ({ totalMs, runsMs: [totalMs], perModuleMs: { a, b: totalMs - a } });

describe('bench: raw-git baseline', () => {
  it('runs the baseline in a process of its own as often as asked, each run timing every module', async () => {
    const runs = await rawGitBaselineRuns(diamond, 2);
    assert.equal(runs.length, 2);
    for (const r of runs) {
      assert.deepEqual(Object.keys(r.perModuleMs).sort(), ['a', 'b', 'c', 'd']);
      // A run's per-module figures are its own: they add up to at most its total.
      const perModule = Object.values(r.perModuleMs).reduce((n, x) => n + x, 0);
      assert.ok(r.totalMs > 0 && perModule <= r.totalMs, `${perModule} ms per module against a total of ${r.totalMs} ms`);
    }
  });

  it('a DAG git cannot build ends the baseline process with an error, not a figure', async () => {
    // A dependency that no module builds: its branch does not exist, so the merge into b fails.
    await assert.rejects(rawGitBaselineRuns([{ name: 'b', dependsOn: ['missing'] }], 1), /raw-git baseline process exited 1: .*orchestration\/raw\/missing does not exist/);
  });

  it('measures on both sides of the work, keeps the sides apart and takes the median over all runs', async () => {
    const order: string[] = [];
    const { result, raw } = await rawGitAround(diamond.slice(0, 2), 1, async () => {
      order.push('work');
      return 42;
    });
    assert.equal(result, 42);
    assert.deepEqual(order, ['work']);
    assert.equal(raw.beforeMs.length, 1);
    assert.equal(raw.afterMs.length, 1);
    assert.deepEqual(raw.runsMs, [...raw.beforeMs, ...raw.afterMs]);
    assert.equal(raw.totalMs, (raw.beforeMs[0]! + raw.afterMs[0]!) / 2, 'two runs: their mean');
  });

  it('the median: the middle run when odd, the mean of the middle two when even, per module too', () => {
    const odd = medianRun([run(900, 100), run(300, 100), run(500, 200)]);
    assert.equal(odd.totalMs, 500);
    assert.deepEqual(odd.perModuleMs, { a: 200, b: 300 });
    assert.deepEqual(odd.runsMs, [900, 300, 500], 'every run, in the order run');
    const even = medianRun([run(1000, 100), run(400, 100), run(600, 300), run(100, 50)]);
    assert.equal(even.totalMs, 500);
    assert.deepEqual(even.perModuleMs, { a: 200, b: 300 });
    assert.throws(() => medianRun([]), /no run/);
  });

  it('prints both sides, and warns only when they differ by more than 1.2× and half a second', () => {
    assert.equal(rawGitSides([3200, 3100], [3500, 3700]), ' (median of 4: before the case 3.2, 3.1 s, after it 3.5, 3.7 s)');
    assert.doesNotMatch(rawGitSides([600, 600], [700, 700]), /moved/, '1.17× and 0.1 s: noise');
    assert.doesNotMatch(rawGitSides([600], [800]), /moved/, '1.33× but 0.2 s: noise on a baseline this short');
    assert.match(rawGitSides([4000, 4200], [5600, 5400]), /the machine's git speed moved 1\.34× during the case/);
    assert.match(rawGitSides([8000], [5000]), /moved 1\.60×/, 'faster after as well as slower');
  });
});
