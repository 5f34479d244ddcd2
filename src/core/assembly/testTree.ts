/**
 * Tests of a speculative merge run in a tree of their own: a detached throwaway worktree of the
 * merge commit (src/core/git/throwaway.ts) with the integration worktree's installed dependencies
 * hard-linked in, so the integration worktree can go on to the next merge meanwhile. The tree is
 * removed afterwards, whatever the tests left in it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createThrowawayTree, removeThrowawayTree } from '../git';
import { provideDependencies } from '../stack/dependencyStore';
import type { PipelineContext } from '../stages/context';
import { runTests, type TestRunOptions, type TestsOutcome } from './mergeTests';
import type { TestRun } from './testSelection';

export async function testInOwnTree(ctx: PipelineContext, module: string, commit: string, runs: readonly TestRun[], options: TestRunOptions = {}): Promise<TestsOutcome> {
  const tree = path.join(ctx.store.paths.worktrees, `assembly-test-${module}`);
  // A tree left by a run that was killed mid-test.
  if (fs.existsSync(tree)) await removeThrowawayTree(ctx.repoRoot, tree).catch(() => fs.rmSync(tree, { recursive: true, force: true }));
  const root = await createThrowawayTree(ctx.repoRoot, tree, commit);
  try {
    await provideDependencies(ctx.store.paths.integrationWorktree, root);
    return await runTests(ctx, root, runs, options);
  } finally {
    await removeThrowawayTree(ctx.repoRoot, root).catch((e: Error) => ctx.store.emit({ type: 'log', level: 'warn', message: `could not remove ${root}: ${e.message}` }));
  }
}
