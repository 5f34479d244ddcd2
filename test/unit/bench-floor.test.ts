import * as assert from 'node:assert/strict';
import { floorBound, idealBound, perModule, sequentialModelMs, type ModuleWork } from '../../bench/floor';

// A diamond: a → (b, c) → d. Model time 1000 per module, CPU (tests + git) 300 per module.
const diamond: ModuleWork[] = [
  { name: 'a', dependsOn: [], modelMs: 1000, cpuMs: 300 },
  { name: 'b', dependsOn: ['a'], modelMs: 1000, cpuMs: 300 },
  { name: 'c', dependsOn: ['a'], modelMs: 1000, cpuMs: 300 },
  { name: 'd', dependsOn: ['b', 'c'], modelMs: 1000, cpuMs: 300 },
];

describe('bench bounds: model-only ideal and the machine floor', () => {
  it('the ideal is the sequential stages plus the longer of the critical path and the work over the wave limit', () => {
    assert.deepEqual(idealBound(diamond, 500, 8), { totalMs: 3500, buildMs: 3000, criticalPathMs: 3000 });
    // One agent at a time: the throughput bound (4000) wins over the critical path (3000).
    assert.deepEqual(idealBound(diamond, 500, 1), { totalMs: 4500, buildMs: 4000, criticalPathMs: 3000 });
  });

  it('a module that cannot start before T leaves its work for after T: a wide project waits for its root, then shares the limit', () => {
    const wide: ModuleWork[] = [{ name: 'root', dependsOn: [], modelMs: 1000, cpuMs: 0 }, ...Array.from({ length: 15 }, (_, i) => ({ name: `m${i}`, dependsOn: ['root'], modelMs: 1000, cpuMs: 0 }))];
    // From time 0 the work over the limit is 16000 / 8 = 2000, the critical path 2000; but the 15 leaves
    // start at 1000 at the earliest and need 15000 / 8 = 1875 after that.
    assert.deepEqual(idealBound(wide, 0, 8), { totalMs: 2875, buildMs: 2875, criticalPathMs: 2000 });
    assert.equal(idealBound(wide, 0, 100).buildMs, 2000, 'with slots for all, the critical path is the bound');
    assert.ok(floorBound(wide, 0, 8, 2).buildMs >= 2875, 'the floor is never below the ideal');
  });

  it('with limits per tier, each tier\'s work shares its own slots and the busiest tier bounds', () => {
    // 16 leaves after a root: each leaf's builder (600 ms) on its own tier, half sonnet and half haiku,
    // and its QC (400 ms) on sonnet. Sonnet has 4 slots, haiku 2.
    const leaf = (i: number): ModuleWork => {
      const builderTier = i % 2 === 0 ? 'sonnet' : 'haiku';
      const byTier: Record<string, number> = { sonnet: 400 };
      byTier[builderTier] = (byTier[builderTier] ?? 0) + 600;
      return { name: `m${i}`, dependsOn: ['root'], modelMs: 1000, cpuMs: 0, modelMsByTier: byTier };
    };
    const tiered: ModuleWork[] = [{ name: 'root', dependsOn: [], modelMs: 1000, cpuMs: 0, modelMsByTier: { sonnet: 1000 } }, ...Array.from({ length: 16 }, (_, i) => leaf(i))];
    const limits = { sonnet: 4, haiku: 2 };
    // After the root: sonnet 8 × 600 + 16 × 400 = 11200 ms over 4 slots = 2800; haiku 8 × 600 = 4800 over 2 = 2400.
    assert.equal(idealBound(tiered, 0, limits).buildMs, 1000 + 2800);
    // One limit for everything would have been 16000 / 4 = 4000 after the root, above what the tiers allow together.
    assert.equal(idealBound(tiered, 0, 4).buildMs, 1000 + 4000);
    assert.ok(floorBound(tiered, 0, limits, 2).buildMs >= 3800, 'the floor is never below the ideal');
    assert.throws(() => idealBound([{ name: 'x', dependsOn: [], modelMs: 1, cpuMs: 0 }], 0, limits), /by tier/);
  });

  it('the floor adds each module\'s CPU work to its path and shares that work among the cores', () => {
    assert.deepEqual(floorBound(diamond, 500, 8, 2), { totalMs: 500 + 3900, buildMs: 3900, criticalPathMs: 3900 });
    // Wide and CPU-heavy: 16 independent modules with 1000 ms of CPU each on 2 cores → 8000 ms of CPU time.
    const wide: ModuleWork[] = Array.from({ length: 16 }, (_, i) => ({ name: `m${i}`, dependsOn: [], modelMs: 100, cpuMs: 1000 }));
    assert.equal(floorBound(wide, 0, 8, 2).buildMs, 8000);
    assert.equal(floorBound(wide, 0, 8, 16).buildMs, 1100, 'with enough cores the path (model + cpu) is the bound');
    assert.equal(floorBound(wide, 0, 8, 2, 250).totalMs, 8250, 'sequential CPU work (the final full suite) comes on top');
    assert.equal(floorBound(wide, 0, 8, 2, 0, 2000).buildMs, 9000, 'CPU work alongside the build (assembly tests) shares the cores');
    assert.equal(floorBound(diamond, 0, 8, 2, 0, 100).buildMs, 3900, 'a little of it hides behind the critical path');
  });

  it('the floor is never below the ideal; dependencies outside the list count as done; a cycle is an error', () => {
    for (const cores of [1, 2, 4]) assert.ok(floorBound(diamond, 0, 8, cores).totalMs >= idealBound(diamond, 0, 8).totalMs);
    assert.equal(idealBound([{ name: 'x', dependsOn: ['elsewhere'], modelMs: 10, cpuMs: 0 }], 0, 1).criticalPathMs, 10);
    assert.throws(
      () => idealBound([{ name: 'x', dependsOn: ['y'], modelMs: 1, cpuMs: 0 }, { name: 'y', dependsOn: ['x'], modelMs: 1, cpuMs: 0 }], 0, 1),
      /cycle/,
    );
  });

  it('bytes per module divides, and says 0 for an empty run', () => {
    assert.equal(perModule(6400, 32), 200);
    assert.equal(perModule(100, 0), 0);
  });

  it('stages around the build: agents that run side by side cost their longest or their share of the limit, the rest add up', () => {
    const agents = [
      { stage: 'architect', role: 'architect', calls: 10 },
      { stage: 'harden', role: 'audit-planner', calls: 4 },
      ...Array.from({ length: 8 }, (_, i) => ({ stage: 'harden', role: 'audit-worker', calls: i === 0 ? 5 : 3 })),
      { stage: 'harden', role: 'audit-coordinator', calls: 2 },
      { stage: 'harden', role: 'audit-coordinator', calls: 3 },
    ];
    // Alone: 10 + 4 = 14. Workers, 4 at a time: max(5, 26 / 4 = 6.5). Coordinators, no limit: max(2, 3) = 3.
    assert.equal(sequentialModelMs(agents, 100, { 'audit-worker': 4, 'audit-coordinator': Infinity }), (14 + 6.5 + 3) * 100);
    // Workers one at a time: all 26 calls; 100 at a time: the longest worker (5).
    assert.equal(sequentialModelMs(agents, 100, { 'audit-worker': 1, 'audit-coordinator': Infinity }), (14 + 26 + 3) * 100);
    assert.equal(sequentialModelMs(agents, 100, { 'audit-worker': 100, 'audit-coordinator': Infinity }), (14 + 5 + 3) * 100);
    // With no role running side by side every call counts, as the bench did before.
    assert.equal(sequentialModelMs(agents, 100, {}), (10 + 4 + 26 + 5) * 100);
    // The same role in two stages is two groups (harden's workers never overlap an audit's).
    assert.equal(sequentialModelMs([{ stage: 'a', role: 'w', calls: 4 }, { stage: 'b', role: 'w', calls: 4 }], 1, { w: 8 }), 8);
  });
});
