// A module's worktree folder is named by the architect's output: a hostile name never becomes a path.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { moduleWorktreePath } from '../../src/core/stages/worktreesAhead';
import { testTreePath } from '../../src/core/assembly/testTree';
import type { PipelineContext } from '../../src/core/stages/context';

describe('module worktree path', () => {
  const ctx = { store: { paths: { worktrees: path.join('/runs', 'r1', 'worktrees') } } } as unknown as PipelineContext;

  it('is the module folder under the run’s worktrees', () => {
    assert.equal(moduleWorktreePath(ctx, 'greeter'), path.join('/runs', 'r1', 'worktrees', 'greeter'));
  });

  it('refuses names that would leave the folder or are not module names', () => {
    for (const name of ['../escape', 'a/b', '..', '', '/abs', 'x\ny', 'integration']) {
      assert.throws(() => moduleWorktreePath(ctx, name), Error, JSON.stringify(name));
    }
  });

  it("never shares a path with assembly's test trees, whatever the modules are called", () => {
    // Test trees are named by a module (its merge's tests) or a module plus a suffix (its final suite run ahead).
    const names = ['greeter', 'assembly-test-greeter', 'greeter-ahead', 'greeter-final-suite', 'assembly'];
    const worktrees = new Set(names.map((n) => moduleWorktreePath(ctx, n)));
    const testTrees = names.flatMap((n) => [testTreePath(ctx, n), testTreePath(ctx, `${n}.final-suite`)]);
    for (const tree of testTrees) {
      assert.ok(!worktrees.has(tree), tree);
      for (const wt of worktrees) assert.ok(!tree.startsWith(wt + path.sep) && !wt.startsWith(tree + path.sep), `${tree} / ${wt}`);
    }
  });
});
