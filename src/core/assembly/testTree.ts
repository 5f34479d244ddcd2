/**
 * Tests of a speculative merge run in a tree of their own: a detached throwaway worktree of the
 * merge commit (src/core/git/throwaway.ts) with the integration worktree's installed dependencies
 * hard-linked in, so the integration worktree can go on to the next merge meanwhile. The tree is
 * removed afterwards, whatever the tests left in it.
 *
 * The trees live in `worktrees/.assembly/`: module names are `[a-z0-9-]` (contracts/schemas.ts), so
 * no module's worktree (`worktrees/<module>`) can ever share a path with a test tree, whatever names
 * the architect chose. (They once sat beside the module worktrees as `assembly-test-<module>`, where a
 * module named `assembly-test-<other>` had its worktree removed by the other's merge tests.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createThrowawayTree, GitError, removeThrowawayTree } from '../git';
import { provideDependencies } from '../stack/dependencyStore';
import type { PipelineContext } from '../stages/context';
import { runTests, type TestRunOptions, type TestsOutcome } from './mergeTests';
import type { TestRun } from './testSelection';

/** The folder of assembly's test trees. */
export function assemblyTestTrees(ctx: PipelineContext): string {
  return path.join(ctx.store.paths.worktrees, '.assembly');
}

/** A test tree's folder: `treeName` is a module name, or one plus a `.`-suffix (no module name has a dot). */
export function testTreePath(ctx: PipelineContext, treeName: string): string {
  return path.join(assemblyTestTrees(ctx), treeName);
}

/** Tests `commit` in a throwaway tree of its own (testTreePath). */
export async function testInOwnTree(ctx: PipelineContext, treeName: string, commit: string, runs: readonly TestRun[], options: TestRunOptions = {}): Promise<TestsOutcome> {
  const tree = testTreePath(ctx, treeName);
  // A tree left by a run that was killed mid-test (assembly's start removes those too, discardLeftTestTrees).
  if (fs.existsSync(tree)) await discardTestTree(ctx, tree);
  const root = await createThrowawayTree(ctx.repoRoot, tree, commit);
  try {
    await provideDependencies(ctx.store.paths.integrationWorktree, root);
    return await runTests(ctx, root, runs, options);
  } finally {
    await removeThrowawayTree(ctx.repoRoot, root).catch((e: Error) => ctx.store.emit({ type: 'log', level: 'warn', message: `could not remove ${root}: ${e.message}` }));
  }
}

/**
 * Removes every test tree a killed run left behind (a resumed run starts assembly with none running).
 * Only detached throwaway trees and folders git does not know are removed: a branch checked out in
 * there by hand is left alone, with a warning.
 */
export async function discardLeftTestTrees(ctx: PipelineContext): Promise<void> {
  const dir = assemblyTestTrees(ctx);
  let removed = 0;
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    await discardTestTree(ctx, path.join(dir, name)).then(
      () => removed++,
      (e: Error) => ctx.store.emit({ type: 'log', level: 'warn', message: `assembly: left ${path.join(dir, name)} where it is: ${e.message}` }),
    );
  }
  if (removed) ctx.store.emit({ type: 'log', level: 'info', message: `assembly: removed ${removed} test tree(s) left by an earlier process of this run` });
}

/** Removes a test tree: git's record of it, then whatever is left on disk (a tree cut short while it was being made). */
async function discardTestTree(ctx: PipelineContext, tree: string): Promise<void> {
  try {
    await removeThrowawayTree(ctx.repoRoot, tree);
  } catch (e) {
    // A branch checkout is someone's work: never deleted from disk.
    if (GitError.is(e, 'notEngineWorktree')) throw e;
  }
  fs.rmSync(tree, { recursive: true, force: true });
}
