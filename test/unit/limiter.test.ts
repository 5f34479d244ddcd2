import * as assert from 'node:assert/strict';
import { TierLimiter } from '../../src/core/limiter';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('wave limiter', () => {
  it('never runs more agents of a tier than its limit, and uses the whole limit', async () => {
    const limiter = new TierLimiter({ opus: 2, sonnet: 3, haiku: 1 });
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        limiter.run('sonnet', undefined, async () => {
          running++;
          peak = Math.max(peak, running);
          await tick(5);
          running--;
        }),
      ),
    );
    assert.equal(peak, 3);
    assert.equal(limiter.peaks().sonnet, 3);
    assert.equal(limiter.peaks().opus, 0);
  });

  it('counts tiers separately', async () => {
    const limiter = new TierLimiter({ opus: 1, sonnet: 1, haiku: 1 });
    const order: string[] = [];
    await Promise.all(
      (['opus', 'sonnet', 'haiku'] as const).map((tier) =>
        limiter.run(tier, undefined, async () => {
          order.push(`start-${tier}`);
          await tick(10);
          order.push(`end-${tier}`);
        }),
      ),
    );
    // All three started before any ended: different tiers do not block each other.
    assert.deepEqual(order.slice(0, 3).sort(), ['start-haiku', 'start-opus', 'start-sonnet']);
  });

  it('serves waiters in arrival order', async () => {
    const limiter = new TierLimiter({ opus: 1, sonnet: 1, haiku: 1 });
    const seen: number[] = [];
    await Promise.all([1, 2, 3, 4].map((i) => limiter.run('opus', undefined, async () => { seen.push(i); await tick(1); })));
    assert.deepEqual(seen, [1, 2, 3, 4]);
  });

  it('serves a higher priority first, arrival order among equals; a running agent is never preempted', async () => {
    const limiter = new TierLimiter({ opus: 1, sonnet: 1, haiku: 1 });
    const first = await limiter.acquire('sonnet', undefined, 0);
    const seen: string[] = [];
    const wait = (name: string, priority: number) => limiter.run('sonnet', undefined, async () => { seen.push(name); await tick(1); }, priority);
    const all = Promise.all([wait('build-a', 0), wait('qc-a', 1), wait('build-root', 4), wait('build-b', 0), wait('qc-b', 1)]);
    await tick(2);
    assert.deepEqual(seen, [], 'the slot stays with the agent that holds it');
    first();
    await all;
    assert.deepEqual(seen, ['build-root', 'qc-a', 'qc-b', 'build-a', 'build-b']);
  });

  it('a cancelled waiter leaves the queue without taking a slot', async () => {
    const limiter = new TierLimiter({ opus: 1, sonnet: 1, haiku: 1 });
    const release = await limiter.acquire('opus');
    const ac = new AbortController();
    const waiting = limiter.acquire('opus', ac.signal);
    ac.abort(new Error('stop'));
    await assert.rejects(waiting, /stop/);
    release();
    const again = await limiter.acquire('opus');
    assert.equal(limiter.running().opus, 1);
    again();
    assert.equal(limiter.running().opus, 0);
  });

  it('releasing twice does not free two slots', async () => {
    const limiter = new TierLimiter({ opus: 1, sonnet: 1, haiku: 1 });
    const r = await limiter.acquire('haiku');
    r();
    r();
    assert.equal(limiter.running().haiku, 0);
    const a = await limiter.acquire('haiku');
    let second = false;
    const b = limiter.acquire('haiku').then((rel) => { second = true; rel(); });
    await tick(5);
    assert.equal(second, false);
    a();
    await b;
    assert.equal(second, true);
  });
});
