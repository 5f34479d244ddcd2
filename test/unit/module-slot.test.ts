import * as assert from 'node:assert/strict';
import { TierLimiter } from '../../src/core/limiter';
import { ModulesManifestSchema } from '../../src/core/contracts/schemas';
import { ModuleSlot } from '../../src/core/stages/moduleSlot';
import { modulePriority } from '../../src/core/stages/priority';
import type { PipelineContext } from '../../src/core/stages/context';

const manifest = ModulesManifestSchema.parse({
  project: 'p',
  toolchain: { runtime: 'node', install: 'npm ci', test: 'node --test {module_dir}', integration_test: 'npm test' },
  modules: [{ name: 'core', description: 'd', interface: 'interfaces/core.interface.md' }],
  build_order: ['core'],
  assembly_order: ['core'],
});

function context(builderTier: 'sonnet' | 'opus', limiter: TierLimiter, signal = new AbortController().signal): PipelineContext {
  return {
    limiter,
    signal,
    store: { module: () => ({ tier: builderTier }) },
    config: { roleTiers: { qc: 'sonnet' } },
    contracts: () => ({ manifest }),
  } as unknown as PipelineContext;
}

describe('a module holds one wave-limit slot from its builder through its QC', () => {
  it('builder and QC on one tier: one slot, taken once, counted as one agent, freed on release', async () => {
    const limiter = new TierLimiter({ opus: 1, sonnet: 2, haiku: 1 });
    const slot = new ModuleSlot(context('sonnet', limiter), 'core');
    const forBuilder = (await slot.forStep('build')).heldSlot;
    assert.ok(forBuilder);
    assert.equal(limiter.running().sonnet, 1);
    assert.deepEqual(await slot.forStep('qc'), { heldSlot: forBuilder }, 'the QC runs in the builder\'s slot, with no priority of its own');
    assert.deepEqual(await slot.forStep('fix'), { heldSlot: forBuilder });
    assert.equal(limiter.running().sonnet, 1);
    slot.release();
    slot.release();
    assert.equal(limiter.running().sonnet, 0, 'released once, however often release is called');
  });

  it('builder and QC on different tiers: no slot is held, each agent takes its own at its step\'s priority', async () => {
    const limiter = new TierLimiter({ opus: 1, sonnet: 1, haiku: 1 });
    const slot = new ModuleSlot(context('opus', limiter), 'core');
    for (const step of ['build', 'qc', 'fix'] as const) assert.deepEqual(await slot.forStep(step), { priority: modulePriority(manifest, 'core', step) });
    assert.deepEqual(limiter.running(), { opus: 0, sonnet: 0, haiku: 0 });
  });

  it('a cancelled run stops the wait for a slot', async () => {
    const limiter = new TierLimiter({ opus: 1, sonnet: 1, haiku: 1 });
    const other = await limiter.acquire('sonnet');
    const ac = new AbortController();
    const waiting = new ModuleSlot(context('sonnet', limiter, ac.signal), 'core').forStep('build');
    ac.abort(new Error('run stopped'));
    await assert.rejects(waiting, /run stopped/);
    other();
    assert.equal(limiter.running().sonnet, 0);
  });
});
