// Builder worktrees as workspace folders in batches (issue #10): what piled up while VS Code confirmed
// the previous update goes in as few updateWorkspaceFolders calls as the API allows.
import * as assert from 'node:assert/strict';
import { planFolderUpdates, type FolderUpdate } from '../../src/extension/models/folderPlan';

const add = (p: string) => ({ path: p, name: `⚙ ${p}` });

/** Applies the plan the way VS Code does (splice), so each test checks the resulting folder list too. */
function apply(current: string[], plan: FolderUpdate[]): string[] {
  const out = [...current];
  for (const u of plan) out.splice(u.start, u.deleteCount, ...u.add.map((a) => a.path));
  return out;
}

describe('planFolderUpdates: a batch of worktree folders in as few calls as possible', () => {
  it('adds every new worktree in one call, after the existing folders', () => {
    const current = ['/repo', '/runs'];
    const plan = planFolderUpdates(current, [add('/w/a'), add('/w/b'), add('/w/c')], new Set());
    assert.deepEqual(plan.map((u) => [u.start, u.deleteCount, u.add.length]), [[2, 0, 3]]);
    assert.deepEqual(apply(current, plan), ['/repo', '/runs', '/w/a', '/w/b', '/w/c']);
  });

  it('removes a contiguous run in one call, highest run first so lower indices stay valid', () => {
    const current = ['/repo', '/runs', '/w/a', '/w/b', '/user', '/w/c', '/w/d'];
    const plan = planFolderUpdates(current, [], new Set(['/w/a', '/w/b', '/w/d']));
    assert.deepEqual(plan.map((u) => [u.start, u.deleteCount]), [[6, 1], [2, 2]]);
    assert.deepEqual(apply(current, plan), ['/repo', '/runs', '/user', '/w/c']);
  });

  it('merges the additions into the removal that ends the list: one call for both', () => {
    const current = ['/repo', '/runs', '/w/a', '/w/b'];
    const plan = planFolderUpdates(current, [add('/w/c'), add('/w/d')], new Set(['/w/b']));
    assert.equal(plan.length, 1);
    assert.deepEqual(apply(current, plan), ['/repo', '/runs', '/w/a', '/w/c', '/w/d']);
  });

  it('adds after removals in the middle, at the index the list has once they are done', () => {
    const current = ['/repo', '/runs', '/w/a', '/user'];
    const plan = planFolderUpdates(current, [add('/w/c')], new Set(['/w/a']));
    assert.deepEqual(plan.map((u) => [u.start, u.deleteCount, u.add.length]), [[2, 1, 0], [3, 0, 1]]);
    assert.deepEqual(apply(current, plan), ['/repo', '/runs', '/user', '/w/c']);
  });

  it('never touches the first folder, skips folders already there or gone, and adds nothing to an empty window', () => {
    assert.deepEqual(planFolderUpdates(['/repo', '/w/a'], [add('/w/a'), add('/w/a')], new Set(['/repo', '/w/gone'])), []);
    assert.deepEqual(planFolderUpdates([], [add('/w/a')], new Set()), []);
    const plan = planFolderUpdates(['/repo'], [add('/w/a'), add('/w/a')], new Set());
    assert.deepEqual(apply(['/repo'], plan), ['/repo', '/w/a'], 'a worktree asked for twice is added once');
  });
});
