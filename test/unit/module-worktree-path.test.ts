// A module's worktree folder is named by the architect's output: a hostile name never becomes a path.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { moduleWorktreePath } from '../../src/core/stages/worktreesAhead';
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
});
