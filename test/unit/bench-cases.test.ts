import * as assert from 'node:assert/strict';
import { parseBenchCases } from '../../bench/run';

describe('bench case selector (BENCH_CASES)', () => {
  it('runs just the named cases, in the order given', () => {
    assert.deepEqual(parseBenchCases('200/diamond, 8/wide'), [
      { modules: 200, shape: 'diamond' },
      { modules: 8, shape: 'wide' },
    ]);
  });

  it('unset or empty means the default list', () => {
    assert.equal(parseBenchCases(undefined), undefined);
    assert.equal(parseBenchCases('  '), undefined);
  });

  it('refuses anything else with the expected form, rather than running a default', () => {
    for (const bad of ['200', '200/chain', 'diamond/200', '0/wide', '501/wide', '8/wide,,']) {
      assert.throws(() => parseBenchCases(bad), /BENCH_CASES: ".*" is not <modules 1-500>\/<diamond\|wide>, e\.g\. BENCH_CASES=200\/diamond,8\/wide/, bad);
    }
  });
});
