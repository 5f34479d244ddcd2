import * as assert from 'node:assert/strict';
import { DEFAULT_TIER_MODELS } from '../../src/core/config';
import { estimateUsd, rateFor } from '../../src/core/pricing';

const million = (part: 'input' | 'output' | 'cacheRead' | 'cacheWrite') => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, calls: 1, [part]: 1_000_000 });

describe('pricing: the dollar estimate behind the budget and the live cost', () => {
  it('prices the default tier models at their own rates (cache reads at 5% of input on Opus 5.5, not 10%)', () => {
    const per = (model: string) => (['input', 'output', 'cacheRead', 'cacheWrite'] as const).map((p) => Number(estimateUsd(million(p), model).toFixed(4)));
    assert.deepEqual(per(DEFAULT_TIER_MODELS.opus), [4, 20, 0.2, 5]);
    assert.deepEqual(per(DEFAULT_TIER_MODELS.sonnet), [2, 10, 0.2, 2.5]);
    assert.deepEqual(per(DEFAULT_TIER_MODELS.haiku), [0.1, 0.5, 0.01, 0.125]);
  });

  it('keeps older models at theirs, dated ids included, and prices an unknown id by the tier in its name', () => {
    assert.equal(rateFor('claude-opus-4-1-20250805').input, 15);
    assert.equal(rateFor('claude-opus-4-6').input, 5);
    assert.equal(rateFor('claude-sonnet-4-5-20250929').output, 15);
    assert.equal(rateFor('claude-haiku-4-5').input, 1);
    assert.deepEqual(rateFor('claude-opus-9'), rateFor(DEFAULT_TIER_MODELS.opus));
    assert.deepEqual(rateFor('some-new-haiku'), rateFor(DEFAULT_TIER_MODELS.haiku));
    assert.deepEqual(rateFor(undefined), rateFor(DEFAULT_TIER_MODELS.sonnet));
  });
});
