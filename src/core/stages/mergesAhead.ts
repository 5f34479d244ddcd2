/**
 * Dependency merges made ahead. A module becomes ready when its last dependency passes QC, and its
 * preparation (moduleWorktree.ts) then merges every dependency into its worktree, one `--no-ff`
 * merge each. In a diamond the six modules of a layer merge the same six dependencies at that very
 * moment, on two cores: most of a second before their builders could start, once per layer, on the
 * critical path. But a dependency's branch is final the moment its builder hands it over to QC, if
 * it passes (only a fix gives it new commits, and new ids: a FAIL and its fix cycle, or assembly
 * sending it back), and a merge depends only on the branches: so the module's merges of the
 * dependencies handed over so far are made as they are handed over, while the others still build,
 * as commits no ref points to yet (git/pathMerge.ts keeps them by parents, tree, message and
 * identity, and finds each merged tree once for all the siblings). When the last dependency is
 * handed over, the module's whole preparation is made ahead, in its worktree (preparedAhead.ts), while
 * that dependency is in QC; what is taken from there is checked against the branches first.
 *
 * For that the dependencies are merged in the order they were (last) handed over to QC: those that
 * passed before this process started (a resumed run) first, in the contract's order, then the others
 * in their hand-over order. Every prefix of that order is known before the last dependency passes,
 * whichever it is; a dependency that fails QC goes to the end when it is handed over again. The order
 * changes only the merge commits' order on the module branch, not what is merged.
 */
import { passedQc, type ModuleSpec } from '../contracts/schemas';
import { branchCommits, engineWorktreeFacts, identityConfig } from '../git';
import { mergeCommitsAhead } from '../git/pathMerge';
import { ENGINE_AUTHOR, type PipelineContext } from './context';
import { prepareAhead } from './preparedAhead';
import { perRun } from '../run/perRun';

interface RunMerges {
  /** When each module was last handed over to QC in this process (a count, not a time: ties cannot happen). */
  handedOver: Map<string, number>;
  next: number;
  /** Modules handed over whose QC has not failed them (yet): their branches are final if they pass. */
  inQc: Set<string>;
  /** Each module's branch commit, read once after its hand-over (for all its dependents). */
  commitAtHandOver: Map<string, Promise<string>>;
  /** Where the merges ahead run: the integration worktree (read once per run). */
  where?: Promise<{ root: string; gitDir: string }>;
  /** The merges being made ahead now; the build round's end waits for them. */
  making: Set<Promise<void>>;
}

const mergesOf = perRun<RunMerges>(() => ({ handedOver: new Map(), next: 0, inQc: new Set(), commitAtHandOver: new Map(), making: new Set() }));

/** The message of the merge that brings `dependency` into `module`'s branch (made ahead and when ready alike). */
export function dependencyMergeMessage(module: string, dependency: string): string {
  return `build(${module}): bring in dependency ${dependency}`;
}

/** A module's dependencies in the order their merges are made: as they were handed over to QC (see the top). */
export function dependencyMergeOrder(ctx: PipelineContext, spec: ModuleSpec): string[] {
  const handedOver = mergesOf(ctx).handedOver;
  // Array.prototype.sort is stable: equal keys (passed before this process) keep the contract's order.
  return [...spec.depends_on].sort((a, b) => (handedOver.get(a) ?? -1) - (handedOver.get(b) ?? -1));
}

/**
 * `module`'s builder handed it over to QC (outcome done, its work committed). For each dependent not
 * started yet: when every dependency is now passed or in QC, its whole preparation is made ahead
 * (preparedAhead.ts); otherwise its merges of the dependencies passed or in QC are made, in the
 * background. Nothing is written but git objects (and each merge's own index file in the integration
 * worktree's git dir, removed after it), or the dependent's own worktree made ahead.
 */
export function moduleHandedOver(ctx: PipelineContext, modules: readonly ModuleSpec[], module: string): void {
  const run = mergesOf(ctx);
  run.handedOver.set(module, run.next++);
  run.inQc.add(module);
  run.commitAtHandOver.delete(module);
  const scaffold = ctx.store.state.scaffoldCommit;
  if (!scaffold || ctx.signal.aborted) return;
  for (const spec of modules) {
    if (!spec.depends_on.includes(module)) continue;
    const state = ctx.store.module(spec.name);
    if (state.status !== 'pending' || state.baseCommit) continue;
    const final = dependencyMergeOrder(ctx, spec).filter((dep) => run.inQc.has(dep) || passedQc(ctx.store.module(dep).status));
    if (final.length === spec.depends_on.length) {
      prepareAhead(ctx, spec.name, final.map((dep) => ({ dep, message: dependencyMergeMessage(spec.name, dep) })));
      continue;
    }
    const making = makeMerges(ctx, scaffold, spec.name, final).finally(() => run.making.delete(making));
    run.making.add(making);
  }
}

/** QC graded `module` and it did not pass: its branch will change (or it failed), so nothing ahead may assume it. */
export function handOverVoided(ctx: PipelineContext, module: string): void {
  const run = mergesOf(ctx);
  run.inQc.delete(module);
  run.commitAtHandOver.delete(module);
}

async function makeMerges(ctx: PipelineContext, scaffold: string, module: string, dependencies: readonly string[]): Promise<void> {
  try {
    const { root, gitDir } = await mergesRunIn(ctx);
    const commits = await Promise.all(dependencies.map((dep) => commitAtHandOver(ctx, root, dep)));
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

/** A handed-over module's branch commit, read once after its hand-over; a failure is not kept. */
function commitAtHandOver(ctx: PipelineContext, root: string, module: string): Promise<string> {
  const kept = mergesOf(ctx).commitAtHandOver;
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
