/**
 * The final head's full suite, run while the last module of `assembly_order` is in QC. The last merge
 * always gets the full suite (testSelection.ts), and it was the run's last wait: the module passed,
 * then its merge, then the whole suite, with nothing else left to do. But once its builder has handed
 * it over to QC, and every other module is merged, the final head is known but for the verdict: the
 * merge of the integration head and the module's branch. So that merge is made now as a commit no ref
 * points to (objects only, built by path), and the full suite runs on it in a tree of its own while
 * QC works.
 *
 * When the module has passed and is merged for real, the result is used only for the very tree it
 * tested, and only when it was green: "every merge commit on the integration branch was tested green"
 * stays true, since a test run depends on the tree and not on the commit's name or date. A run on a
 * build that fails QC is stopped (the fixed build is handed over again and gets a run of its own);
 * a run for another tree, or a red one, is not used, and the suite runs after the merge as before.
 */
import { branchCommits, engineWorktreeFacts, identityConfig } from '../git';
import { git } from '../git/run';
import { mergeByPaths } from '../git/pathMerge';
import { ENGINE_AUTHOR, type PipelineContext } from '../stages/context';
import { perRun } from '../run/perRun';
import { integrationTestCommand } from '../stages/moduleTestCommand';
import { countSuiteAhead, countTestProcess, type TestsOutcome } from './mergeTests';
import { testInOwnTree } from './testTree';
import type { TestRun } from './testSelection';

interface Tested {
  /** The tree of the merge made ahead. */
  tree: string;
  commands: string[];
  /** The full suite's outcome on it; never rejects (undefined: it could not run, or was stopped). */
  tests: Promise<TestsOutcome | undefined>;
}

interface Ahead {
  /** The module's commit handed over (its engine head then): one run per hand-over. */
  handedOver: string | undefined;
  /** Stops this run alone (its build failed QC, its result is not wanted, assembly ended). */
  stop: AbortController;
  /** Settles once the merge is made (undefined when there is none to test); never rejects. */
  made: Promise<Tested | undefined>;
}

interface RunAhead {
  /** The run ahead for the last module, until its merge takes it. */
  current: Map<string, Ahead>;
  /** Runs no merge will use, stopped and waited for at assembly's end. */
  unused: Set<Ahead>;
}

const aheadOf = perRun<RunAhead>(() => ({ current: new Map(), unused: new Set() }));

/**
 * `module` is in QC: when assembly is running, `module` is the last of `assembly_order` and every
 * other module is merged, the final head's full suite starts now, in the background. Asked at the
 * hand-over and by assembly once the last other module is merged, whichever comes last; once per
 * hand-over.
 */
export function testFinalHeadAhead(ctx: PipelineContext, module: string): void {
  const order = ctx.contracts().manifest.assembly_order;
  if (order[order.length - 1] !== module || ctx.signal.aborted) return;
  // After assembly (harden or ship sending the module back) the caller runs the suite itself.
  if (ctx.store.state.stages.find((s) => s.id === 'assemble')?.status !== 'running') return;
  const state = ctx.store.module(module);
  if (state.status !== 'qc' || !order.slice(0, -1).every((n) => ctx.store.module(n).status === 'merged')) return;
  const run = aheadOf(ctx);
  const earlier = run.current.get(module);
  if (earlier && earlier.handedOver === state.engineHead) return;
  if (earlier) dropRun(run, module, earlier);
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  // One full suite ahead at a time: a new hand-over's run starts once the stopped one has ended.
  const before = earlier ? earlier.made.then((t) => t?.tests) : Promise.resolve(undefined);
  run.current.set(module, { handedOver: state.engineHead, stop, made: before.then(() => mergeAhead(ctx, module, signal)).catch(() => undefined) });
}

/** QC did not pass `module`: its run ahead tested a build that will not be merged. */
export function finalSuiteAheadVoided(ctx: PipelineContext, module: string): void {
  const run = aheadOf(ctx);
  const ahead = run.current.get(module);
  if (ahead) dropRun(run, module, ahead);
}

function dropRun(run: RunAhead, module: string, ahead: Ahead): void {
  ahead.stop.abort();
  run.current.delete(module);
  run.unused.add(ahead);
}

async function mergeAhead(ctx: PipelineContext, module: string, signal: AbortSignal): Promise<Tested | undefined> {
  if (signal.aborted) return undefined;
  const facts = await engineWorktreeFacts(ctx.store.paths.integrationWorktree);
  const [theirs] = await branchCommits(facts.root, [ctx.store.module(module).branch]);
  if (!facts.head || !theirs || signal.aborted) return undefined;
  const merged = await mergeByPaths(facts.root, facts.gitDir, facts.head, theirs, `integrate: merge ${module} module (tested ahead)`, identityConfig(ENGINE_AUTHOR));
  // Up to date, or a merge only `git merge` makes (in the integration worktree): nothing to test ahead.
  if (merged.kind !== 'commit' || signal.aborted) return undefined;
  const runs: TestRun[] = [{ kind: 'full', command: integrationTestCommand(ctx) }];
  ctx.store.emit({ type: 'log', level: 'info', message: `assembly: the final head's full suite runs while ${module} is in QC (its merge made ahead, tree ${merged.tree.slice(0, 12)})` });
  const tests = testInOwnTree(ctx, `${module}.final-suite`, merged.commit, runs, { counted: false, signal })
    .then((t) => {
      if (signal.aborted) return undefined;
      countSuiteAhead(ctx);
      return t;
    })
    .catch(() => undefined);
  return { tree: merged.tree, commands: runs.map((r) => r.command), tests };
}

/**
 * The real merge of `module` is `commit`, to be tested with `runs`: the outcome of the run made ahead
 * when it tested this very tree with these very commands and was green (waiting for it if it is still
 * running); undefined otherwise, and the caller runs the tests.
 */
export async function finalSuiteTestedAhead(ctx: PipelineContext, module: string, commit: string, runs: readonly TestRun[]): Promise<TestsOutcome | undefined> {
  const run = aheadOf(ctx);
  const ahead = run.current.get(module);
  if (!ahead) return undefined;
  run.current.delete(module);
  const [tree, tested] = await Promise.all([git(ctx.store.paths.integrationWorktree, ['rev-parse', `${commit}^{tree}`]).then((t: string) => t.trim(), () => undefined), ahead.made]);
  if (!tested || tested.tree !== tree || tested.commands.join('\0') !== runs.map((r) => r.command).join('\0')) {
    // Another tree (another head) or other commands: not waited for, stopped.
    dropRun(run, module, ahead);
    return undefined;
  }
  const tests = await tested.tests;
  if (!tests?.ok) return undefined;
  // Used: it is this merge's full suite, counted as assembly's test work like one run after the merge.
  countTestProcess(ctx, true, tests.durationMs);
  ctx.store.emit({ type: 'log', level: 'info', message: `assembly: the merge of ${module} is the tree its full suite ran on while it was in QC (green): not run again` });
  return tests;
}

/** Assembly's end: runs ahead nothing will use are stopped and waited for (their trees removed). */
export async function finalSuiteAheadSettled(ctx: PipelineContext): Promise<void> {
  const run = aheadOf(ctx);
  for (const [module, ahead] of [...run.current]) dropRun(run, module, ahead);
  const left = [...run.unused];
  run.unused.clear();
  await Promise.all(left.map((a) => a.made.then((t) => t?.tests)));
}
