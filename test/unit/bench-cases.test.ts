import * as assert from 'node:assert/strict';
import { defaultCases, parseCases } from '../../bench/cases';

describe('bench cases: the default list and BENCH_CASES', () => {
  it('runs 8 diamond, 32 diamond and 32 wide by default, and the 200-module cases only when asked', () => {
    assert.deepEqual(
      defaultCases(false).map((c) => `${c.modules}:${c.shape}`),
      ['8:diamond', '32:diamond', '32:wide'],
    );
    assert.deepEqual(
      defaultCases(true).map((c) => `${c.modules}:${c.shape}`),
      ['8:diamond', '32:diamond', '32:wide', '200:diamond', '200:wide'],
    );
  });

  it('BENCH_CASES names exactly the cases to run, in its order; unset or blank means the defaults', () => {
    assert.deepEqual(parseCases('64:wide, 32:diamond'), [
      { modules: 64, shape: 'wide' },
      { modules: 32, shape: 'diamond' },
    ]);
    assert.equal(parseCases(undefined), undefined);
    assert.equal(parseCases('  '), undefined);
  });

  it('a malformed entry is an error that names it and shows the form', () => {
    for (const bad of ['32', '32:chain', 'x:diamond', '1:wide', '501:diamond', '32:diamond,,64:wide']) {
      assert.throws(() => parseCases(bad), /BENCH_CASES: ".*" is not <modules>:<diamond\|wide> with 2 to 500 modules/, bad);
    }
  });
});
