import * as assert from 'node:assert/strict';
import { DEFAULT_TIER_MODELS } from '../../src/core/config';
import { estimateUsd, rateFor } from '../../src/core/pricing';

// Summed over many replies, as the trees show it (one long Haiku 5.5 reply is priced higher: below).
const million = (part: 'input' | 'output' | 'cacheRead' | 'cacheWrite') => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, calls: 100, [part]: 1_000_000 });

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

  it('prices one Haiku 5.5 reply with a prompt over 100,000 tokens at five times the rate, every token of it', () => {
    const reply = (input: number) => ({ input, output: 1000, cacheRead: 0, cacheWrite: 0, calls: 1 });
    const usd = (u: ReturnType<typeof reply>) => estimateUsd(u, DEFAULT_TIER_MODELS.haiku);
    assert.equal(Number(usd(reply(100_000)).toFixed(6)), Number(((100_000 * 0.1 + 1000 * 0.5) / 1e6).toFixed(6)));
    assert.equal(Number(usd(reply(100_001)).toFixed(6)), Number((((100_001 * 0.1 + 1000 * 0.5) / 1e6) * 5).toFixed(6)));
  });
});
