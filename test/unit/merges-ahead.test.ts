/**
 * The order a module's dependencies are merged in (stages/mergesAhead.ts): as they were handed over
 * to QC, those that passed before this process (a resumed run) first in the contract's order, so every
 * prefix of the order is known before the last dependency passes.
 */
import * as assert from 'node:assert/strict';
import type { ModuleSpec } from '../../src/core/contracts/schemas';
import { dependencyMergeMessage, dependencyMergeOrder, moduleHandedOver } from '../../src/core/stages/mergesAhead';
import type { PipelineContext } from '../../src/core/stages/context';

/** Just what the order needs: no scaffold commit, so nothing is merged ahead. */
function fakeRun(): PipelineContext {
  return { store: { state: {} }, signal: new AbortController().signal } as unknown as PipelineContext;
}

const spec = (name: string, depends_on: string[]) => ({ name, depends_on }) as unknown as ModuleSpec;

describe('dependency merge order', () => {
  it('is the contract’s order while nothing was handed over in this process', () => {
    assert.deepEqual(dependencyMergeOrder(fakeRun(), spec('z', ['c', 'a', 'b'])), ['c', 'a', 'b']);
  });

  it('puts dependencies in the order they were handed over to QC, after those that passed before this process', () => {
    const run = fakeRun();
    const z = spec('z', ['a', 'b', 'c', 'd']);
    moduleHandedOver(run, [z], 'd');
    moduleHandedOver(run, [z], 'a');
    // b and c passed before a resume: first, as the contract lists them; then d and a as they were handed over.
    assert.deepEqual(dependencyMergeOrder(run, z), ['b', 'c', 'd', 'a']);
    // Another run keeps its own order.
    assert.deepEqual(dependencyMergeOrder(fakeRun(), z), ['a', 'b', 'c', 'd']);
  });

  it('moves a dependency handed over again (a fix cycle after a FAIL) to its new place', () => {
    const run = fakeRun();
    const z = spec('z', ['a', 'b']);
    moduleHandedOver(run, [z], 'a');
    moduleHandedOver(run, [z], 'b');
    moduleHandedOver(run, [z], 'a');
    assert.deepEqual(dependencyMergeOrder(run, z), ['b', 'a']);
  });

  it('names the merge the same whether it is made ahead or when the module is ready', () => {
    assert.equal(dependencyMergeMessage('mod-04', 'mod-02'), 'build(mod-04): bring in dependency mod-02');
  });
});
