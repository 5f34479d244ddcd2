// State kept per pipeline run (src/core/run/perRun.ts): one per run object, made on first use.
import * as assert from 'node:assert/strict';
import { perRun } from '../../src/core/run/perRun';

describe('perRun', () => {
  it('gives each run its own state, made once on first use', () => {
    let made = 0;
    const countsOf = perRun(() => ({ n: ++made }));
    const a = {};
    const b = {};
    assert.equal(made, 0, 'nothing is made before it is asked for');
    assert.equal(countsOf(a), countsOf(a));
    assert.notEqual(countsOf(a), countsOf(b));
    assert.deepEqual([countsOf(a).n, countsOf(b).n, made], [1, 2, 2]);
  });
});
