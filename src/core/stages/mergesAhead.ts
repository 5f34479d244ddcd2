/**
 * Dependency merges made ahead. A module becomes ready when its last dependency passes QC, and its
 * preparation (moduleWorktree.ts) then merges every dependency into its worktree, one `--no-ff`
 * merge each. In a diamond the six modules of a layer merge the same six dependencies at that very
 * moment, on two cores: most of a second before their builders could start, once per layer, on the
 * critical path. But each dependency's branch is final the moment it passes (a fix cycle after that
 * gives it new commits, and new ids), and a merge depends only on the branches: so the module's merges
 * of the dependencies passed so far are made as they pass, while the others are still in QC, as commits
 * no ref points to yet (git/pathMerge.ts keeps them by parents, tree, message and identity, and finds
 * each merged tree once for all the siblings). When the module is ready, its preparation makes the
 * same merges, takes those commits, merges the last dependency and checks the worktree out once.
 *
 * For that the dependencies are merged in the order they passed: those that passed before this
 * process started (a resumed run) first, in the contract's order, then the others as they passed.
 * Every prefix of that order is known before the last dependency passes, whichever it is. The order
 * changes only the merge commits' order on the module branch, not what is merged.
 */
import { passedQc, type ModuleSpec } from '../contracts/schemas';
import { branchCommits, engineWorktreeFacts, identityConfig } from '../git';
import { mergeCommitsAhead } from '../git/pathMerge';
import { ENGINE_AUTHOR, type PipelineContext } from './context';

interface RunMerges {
  /** When each module passed QC in this process (a count, not a time: ties cannot happen). */
  passed: Map<string, number>;
  next: number;
  /** Each module's branch commit, read once when it passed (for all its dependents). */
  commitAtPass: Map<string, Promise<string>>;
  /** Where the merges ahead run: the integration worktree (read once per run). */
  where?: Promise<{ root: string; gitDir: string }>;
  /** The merges being made ahead now; the build round's end waits for them. */
  making: Set<Promise<void>>;
}

const byRun = new WeakMap<object, RunMerges>();

function mergesOf(ctx: PipelineContext): RunMerges {
  let run = byRun.get(ctx);
  if (!run) byRun.set(ctx, (run = { passed: new Map(), next: 0, commitAtPass: new Map(), making: new Set() }));
  return run;
}

/** The message of the merge that brings `dependency` into `module`'s branch (made ahead and when ready alike). */
export function dependencyMergeMessage(module: string, dependency: string): string {
  return `build(${module}): bring in dependency ${dependency}`;
}

/** A module's dependencies in the order their merges are made: as they passed QC (see the top). */
export function dependencyMergeOrder(ctx: PipelineContext, spec: ModuleSpec): string[] {
  const passed = mergesOf(ctx).passed;
  // Array.prototype.sort is stable: equal keys (passed before this process) keep the contract's order.
  return [...spec.depends_on].sort((a, b) => (passed.get(a) ?? -1) - (passed.get(b) ?? -1));
}

/**
 * `module` passed QC: for each dependent not started yet, its merges of the dependencies passed so far
 * are made now, in the background. Nothing is written but git objects (and each merge's own index
 * file in the integration worktree's git dir, removed after it).
 */
export function modulePassed(ctx: PipelineContext, modules: readonly ModuleSpec[], module: string): void {
  const run = mergesOf(ctx);
  run.passed.set(module, run.next++);
  run.commitAtPass.delete(module);
  const scaffold = ctx.store.state.scaffoldCommit;
  if (!scaffold || ctx.signal.aborted) return;
  for (const spec of modules) {
    if (!spec.depends_on.includes(module)) continue;
    const state = ctx.store.module(spec.name);
    if (state.status !== 'pending' || state.baseCommit) continue;
    const passed = dependencyMergeOrder(ctx, spec).filter((dep) => passedQc(ctx.store.module(dep).status));
    // A module ready now is being prepared: its preparation makes its merges itself.
    if (passed.length === spec.depends_on.length) continue;
    const making = makeMerges(ctx, scaffold, spec.name, passed).finally(() => run.making.delete(making));
    run.making.add(making);
  }
}

async function makeMerges(ctx: PipelineContext, scaffold: string, module: string, dependencies: readonly string[]): Promise<void> {
  try {
    const { root, gitDir } = await mergesRunIn(ctx);
    const commits = await Promise.all(dependencies.map((dep) => commitAtPass(ctx, root, dep)));
    const merges = dependencies.map((dep, i) => ({ theirs: commits[i]!, message: dependencyMergeMessage(module, dep) }));
    await mergeCommitsAhead(root, gitDir, scaffold, merges, identityConfig(ENGINE_AUTHOR), () => ctx.signal.aborted);
  } catch {
    // Only a head start: the preparation makes every merge itself and reports what fails.
  }
}

/**
 * Any engine worktree of the run will do (only objects are written, and a merge's own index file in
 * its git dir): the module's own may not be checked out yet. Asked once per run; a failure is not kept.
 */
function mergesRunIn(ctx: PipelineContext): Promise<{ root: string; gitDir: string }> {
  const run = mergesOf(ctx);
  const where = (run.where ??= engineWorktreeFacts(ctx.store.paths.integrationWorktree));
  where.catch(() => run.where === where && (run.where = undefined));
  return where;
}

/** A passed module's branch commit, read once after it passed; a failure is not kept. */
function commitAtPass(ctx: PipelineContext, root: string, module: string): Promise<string> {
  const kept = mergesOf(ctx).commitAtPass;
  let commit = kept.get(module);
  if (!commit) {
    const reading = branchCommits(root, [ctx.store.module(module).branch]).then(([c]) => c!);
    reading.catch(() => kept.get(module) === reading && kept.delete(module));
    kept.set(module, (commit = reading));
  }
  return commit;
}

/**
 * The end of a build round: no git process started for merges ahead is left running (when the run
 * stops, they stop between two merges).
 */
export async function mergesAheadSettled(ctx: PipelineContext): Promise<void> {
  await Promise.all([...mergesOf(ctx).making]);
}
