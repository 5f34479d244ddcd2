/**
 * A module's worktree: branch `orchestration/<run>/<module>` from the scaffold commit, with the
 * branches of its direct dependencies merged in (they have passed QC by then), so the builder can
 * run its tests against the real code it depends on. The worktree itself is usually checked out
 * ahead, while a dependency builds (worktreesAhead.ts), its merges made as the dependencies are
 * handed over to QC (mergesAhead.ts), and the whole of it prepared while the last one is in QC
 * (preparedAhead.ts); here, once the module is ready, that is taken, or the merges are made and
 * checked out.
 * Resuming reuses the branch and its commits.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModuleSpec } from '../contracts/schemas';
import { assertSafeModuleName } from '../contracts/names';
import { addWorktreeForBranch, branchExists, createWorktree, headCommit, mergeAllNoFf, abortMerge } from '../git';
import { provideDependencies } from '../stack/dependencyStore';
import type { PipelineContext } from './context';
import { preparationStarted } from './preparations';
import { dependencyMergeMessage, dependencyMergeOrder } from './mergesAhead';
import { discardUnprepared, moduleWorktreePath, takeWorktreeMadeAhead } from './worktreesAhead';
import { takePreparedAhead } from './preparedAhead';
import { ENGINE_AUTHOR } from './context';

export async function prepareModuleWorktree(ctx: PipelineContext, spec: ModuleSpec): Promise<string> {
  assertSafeModuleName(spec.name);
  const ended = preparationStarted(ctx);
  try {
    return await prepare(ctx, spec);
  } finally {
    ended();
  }
}

async function prepare(ctx: PipelineContext, spec: ModuleSpec): Promise<string> {
  const state = ctx.store.module(spec.name);
  const wt = moduleWorktreePath(ctx, spec.name);
  const scaffold = ctx.store.state.scaffoldCommit;
  if (!scaffold) throw new Error('no scaffold commit recorded; the scaffold stage has not completed');

  const order = dependencyMergeOrder(ctx, spec);
  // Prepared while the last dependency was in QC, with what passed: taken as it is.
  const ahead = await takePreparedAhead(ctx, spec.name, order);
  if (ahead.kind === 'discard') {
    ctx.store.emit({ type: 'log', level: 'info', message: `${spec.name}: the worktree prepared while its last dependency was in QC is made again: ${ahead.why}` });
    await discardUnprepared(ctx, spec.name);
  }
  const head = ahead.kind === 'ready' ? ahead.head : await worktreeWithDependencies(ctx, spec, wt, scaffold, order);
  // Installed dependencies come from the integration worktree, where the scaffold ran `install`.
  const deps = await provideDependencies(ctx.store.paths.integrationWorktree, wt);
  if (deps.dirs.length) {
    ctx.store.emit({ type: 'log', level: 'info', message: `dependencies for ${spec.name}: ${deps.dirs.join(', ')} (${deps.files} files hard-linked) in ${deps.ms} ms` });
  }
  const base = state.baseCommit ?? head ?? (await headCommit(wt));
  ctx.store.update((s) => {
    const m = s.modules.find((x) => x.name === spec.name)!;
    m.worktree = wt;
    m.baseCommit = base;
  });
  ctx.store.emit({ type: 'worktree-added', module: spec.name, path: wt, branch: state.branch, ...(ahead.kind === 'ready' ? { preparedAhead: true as const } : {}) });
  return wt;
}

/**
 * The module's worktree, made (here or ahead, at the scaffold commit) with every dependency merged
 * in, or reused as a resumed run left it; returns the last merge when it made them.
 */
async function worktreeWithDependencies(ctx: PipelineContext, spec: ModuleSpec, wt: string, scaffold: string, order: readonly string[]): Promise<string | undefined> {
  const state = ctx.store.module(spec.name);
  let fresh = await takeWorktreeMadeAhead(ctx, spec.name);
  if (!fresh) {
    // No base commit recorded means this preparation never completed (the run was stopped while the
    // worktree was made or merged into, here or ahead): no builder has worked there, so it is made
    // again rather than trusted with dependencies missing.
    let hasBranch = await branchExists(ctx.repoRoot, state.branch);
    if (!state.baseCommit && (fs.existsSync(wt) || hasBranch)) {
      await discardUnprepared(ctx, spec.name);
      hasBranch = false;
    }
    if (fs.existsSync(path.join(wt, '.git'))) {
      // Resumed: the worktree and whatever the builder left in it are still there.
    } else if (hasBranch) {
      await addWorktreeForBranch(ctx.repoRoot, wt, state.branch);
    } else {
      await createWorktree(ctx.repoRoot, wt, state.branch, scaffold);
      fresh = true;
    }
  }
  // A reused worktree's HEAD is asked by the caller.
  if (!fresh) return undefined;
  // One `--no-ff` merge per dependency, as before, with the worktree checked once for all of them.
  // In the merge rule's order: the merges of all but the last were made as they were handed over (mergesAhead.ts).
  const deps = order.map((dep) => ({ dep, branch: ctx.store.module(dep).branch, message: dependencyMergeMessage(spec.name, dep) }));
  const merged = await mergeAllNoFf(wt, deps, ENGINE_AUTHOR);
  if (merged.status === 'conflict') {
    await abortMerge(wt);
    const dep = deps.find((d) => d.branch === merged.branch)?.dep ?? merged.branch;
    throw new Error(`could not bring dependency ${dep} into ${spec.name}: conflicts in ${merged.files.map((f) => f.path).join(', ')}`);
  }
  return merged.commit;
}
