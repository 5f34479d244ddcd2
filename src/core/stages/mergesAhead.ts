/**
 * Dependency merges found ahead. A module becomes ready when its last dependency passes QC, and its
 * preparation (moduleWorktree.ts) then merges every dependency into its worktree, one `--no-ff`
 * merge each. In a diamond the six modules of a layer merge the same six dependencies at that very
 * moment, on two cores: most of a second before their builders could start, once per layer, on the
 * critical path. But each dependency's branch is final the moment it passes (a fix cycle after that
 * gives it new commits, and new ids), and the merged trees depend only on the branches: so they are
 * found as the dependencies pass, while the others are still in QC, and kept (git/pathMerge.ts keeps
 * them by content). When the module is ready, its merges only make their commits.
 *
 * For that the dependencies are merged in the order they passed: those that passed before this
 * process started (a resumed run) first, in the contract's order, then the others as they passed.
 * Every prefix of that order is known before the last dependency passes, whichever it is. The order
 * changes only the merge commits' order on the module branch, not what is merged.
 */
import type { ModuleSpec } from '../contracts/schemas';
import { branchCommits, engineWorktreeFacts } from '../git';
import { mergeTreesAhead } from '../git/pathMerge';
import type { PipelineContext } from './context';

interface RunMerges {
  /** When each module passed QC in this process (a count, not a time: ties cannot happen). */
  passed: Map<string, number>;
  next: number;
  /** The merges being found now; the build round's end waits for them. */
  finding: Set<Promise<void>>;
}

const byRun = new WeakMap<object, RunMerges>();

function mergesOf(ctx: PipelineContext): RunMerges {
  let run = byRun.get(ctx);
  if (!run) byRun.set(ctx, (run = { passed: new Map(), next: 0, finding: new Set() }));
  return run;
}

/** A module's dependencies in the order their merges are made: as they passed QC (see the top). */
export function dependencyMergeOrder(ctx: PipelineContext, spec: ModuleSpec): string[] {
  const passed = mergesOf(ctx).passed;
  // Array.prototype.sort is stable: equal keys (passed before this process) keep the contract's order.
  return [...spec.depends_on].sort((a, b) => (passed.get(a) ?? -1) - (passed.get(b) ?? -1));
}

const hasPassed = (ctx: PipelineContext, module: string) => ['passed', 'merged'].includes(ctx.store.module(module).status);

/**
 * `module` passed QC: for each dependent not started yet, the trees of its merges of the
 * dependencies passed so far are found now, in the background. Nothing is written but git objects.
 */
export function modulePassed(ctx: PipelineContext, modules: readonly ModuleSpec[], module: string): void {
  const run = mergesOf(ctx);
  run.passed.set(module, run.next++);
  const scaffold = ctx.store.state.scaffoldCommit;
  if (!scaffold || ctx.signal.aborted) return;
  // Siblings with the same dependencies ask the same: found once (pathMerge keeps it by content).
  const orders = new Map<string, string[]>();
  for (const spec of modules) {
    if (!spec.depends_on.includes(module)) continue;
    const state = ctx.store.module(spec.name);
    if (state.status !== 'pending' || state.baseCommit) continue;
    const ready = dependencyMergeOrder(ctx, spec).filter((dep) => hasPassed(ctx, dep));
    // A module ready now is being prepared: its preparation asks for itself.
    if (ready.length < spec.depends_on.length) orders.set(ready.join('\n'), ready);
  }
  for (const order of orders.values()) {
    const finding = findTrees(ctx, scaffold, order).finally(() => run.finding.delete(finding));
    run.finding.add(finding);
  }
}

async function findTrees(ctx: PipelineContext, scaffold: string, dependencies: readonly string[]): Promise<void> {
  try {
    const integration = ctx.store.paths.integrationWorktree;
    const facts = await engineWorktreeFacts(integration);
    const commits = await branchCommits(facts.root, dependencies.map((dep) => ctx.store.module(dep).branch));
    await mergeTreesAhead(facts.root, facts.gitDir, scaffold, commits);
  } catch {
    // Only a head start: the preparation makes every merge itself and reports what fails.
  }
}

/** The end of a build round: no git process of this file is left running. */
export async function mergesAheadSettled(ctx: PipelineContext): Promise<void> {
  await Promise.all([...mergesOf(ctx).finding]);
}
