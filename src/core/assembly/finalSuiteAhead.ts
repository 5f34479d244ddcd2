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
 * stays true, since a test run depends on the tree and not on the commit's name or date. Anything
 * else (a FAIL and a fix, another head, a red or unfinished run) and the suite runs as before.
 */
import { branchCommits, engineWorktreeFacts, identityConfig } from '../git';
import { git } from '../git/run';
import { mergeByPaths } from '../git/pathMerge';
import { ENGINE_AUTHOR, type PipelineContext } from '../stages/context';
import { countTestProcess, type TestsOutcome } from './mergeTests';
import { testInOwnTree } from './testTree';
import type { TestRun } from './testSelection';
import { integrationTestCommand } from '../stages/moduleTestCommand';

interface Tested {
  /** The tree of the merge made ahead. */
  tree: string;
  commands: string[];
  /** The full suite's outcome on it; never rejects (undefined: it could not run). */
  tests: Promise<TestsOutcome | undefined>;
}

interface Ahead {
  /** The module's commit handed over (its engine head then): one run per hand-over. */
  handedOver: string | undefined;
  /** Settles once the merge is made (undefined when there is none to test); never rejects. */
  made: Promise<Tested | undefined>;
}

const byRun = new WeakMap<object, Map<string, Ahead>>();

function aheadOf(ctx: PipelineContext): Map<string, Ahead> {
  let run = byRun.get(ctx);
  if (!run) byRun.set(ctx, (run = new Map()));
  return run;
}

/**
 * `module` is in QC: when it is the last of `assembly_order` and every other module is merged, the
 * final head's full suite starts now, in the background. Asked at the hand-over and by assembly when
 * the last other module is merged, whichever comes last; once per hand-over. A later hand-over (a fix
 * cycle) starts it again for its own tree once the earlier run has ended.
 */
export function testFinalHeadAhead(ctx: PipelineContext, module: string): void {
  const order = ctx.contracts().manifest.assembly_order;
  if (order[order.length - 1] !== module || ctx.signal.aborted) return;
  const state = ctx.store.module(module);
  if (state.status !== 'qc' || !order.slice(0, -1).every((n) => ctx.store.module(n).status === 'merged')) return;
  const run = aheadOf(ctx);
  const earlier = run.get(module);
  if (earlier && earlier.handedOver === state.engineHead) return;
  // After the earlier run (a fix cycle's hand-over): one full suite ahead at a time.
  const before = earlier ? earlier.made.then((t) => t?.tests) : Promise.resolve(undefined);
  run.set(module, { handedOver: state.engineHead, made: before.then(() => mergeAhead(ctx, module)).catch(() => undefined) });
}

async function mergeAhead(ctx: PipelineContext, module: string): Promise<Tested | undefined> {
  if (ctx.signal.aborted) return undefined;
  const facts = await engineWorktreeFacts(ctx.store.paths.integrationWorktree);
  const [theirs] = await branchCommits(facts.root, [ctx.store.module(module).branch]);
  if (!facts.head || !theirs) return undefined;
  const merged = await mergeByPaths(facts.root, facts.gitDir, facts.head, theirs, `integrate: merge ${module} module (tested ahead)`, identityConfig(ENGINE_AUTHOR));
  // Up to date, or a merge only `git merge` makes (in the integration worktree): nothing to test ahead.
  if (merged.kind !== 'commit') return undefined;
  const runs: TestRun[] = [{ kind: 'full', command: integrationTestCommand(ctx) }];
  ctx.store.emit({ type: 'log', level: 'info', message: `assembly: the final head's full suite runs while ${module} is in QC (its merge made ahead, tree ${merged.tree.slice(0, 12)})` });
  const tests = testInOwnTree(ctx, `${module}-ahead`, merged.commit, runs, { counted: false }).then(
    (t) => {
      ctx.store.update((s) => {
        s.assembly ??= { testProcesses: 0, fullSuiteRuns: 0 };
        s.assembly.fullSuitesAhead = (s.assembly.fullSuitesAhead ?? 0) + 1;
      });
      return t;
    },
    () => undefined,
  );
  return { tree: merged.tree, commands: runs.map((r) => r.command), tests };
}

/**
 * The real merge of `module` is `commit`, to be tested with `runs`: the outcome of the run made ahead
 * when it tested this very tree with these very commands and was green (waiting for it if it is still
 * running); undefined otherwise, and the caller runs the tests.
 */
export async function finalSuiteTestedAhead(ctx: PipelineContext, module: string, commit: string, runs: readonly TestRun[]): Promise<TestsOutcome | undefined> {
  const run = aheadOf(ctx);
  const ahead = run.get(module);
  if (!ahead) return undefined;
  run.delete(module);
  const [tree, tested] = await Promise.all([git(ctx.store.paths.integrationWorktree, ['rev-parse', `${commit}^{tree}`]).then((t: string) => t.trim()), ahead.made]);
  // Another tree (another head, a fixed build) or other commands: not waited for; assembly's end waits.
  if (!tested || tested.tree !== tree || tested.commands.join('\0') !== runs.map((r) => r.command).join('\0')) {
    settling(ctx).add(ahead);
    return undefined;
  }
  const tests = await tested.tests;
  if (!tests?.ok) return undefined;
  // Used: it is this merge's full suite, counted as assembly's test work like one run after the merge.
  countTestProcess(ctx, true, tests.durationMs);
  ctx.store.emit({ type: 'log', level: 'info', message: `assembly: the merge of ${module} is the tree its full suite ran on while it was in QC (green): not run again` });
  return tests;
}

/** Runs ahead that were not used, still to be waited for at assembly's end. */
const unused = new WeakMap<object, Set<Ahead>>();

function settling(ctx: PipelineContext): Set<Ahead> {
  let set = unused.get(ctx);
  if (!set) unused.set(ctx, (set = new Set()));
  return set;
}

/** Assembly's end: no test run ahead is left running (a stopped run stops it; its tree is removed). */
export async function finalSuiteAheadSettled(ctx: PipelineContext): Promise<void> {
  const run = aheadOf(ctx);
  const left = [...run.values(), ...settling(ctx)];
  run.clear();
  settling(ctx).clear();
  await Promise.all(left.map((a) => a.made.then((t) => t?.tests)));
}
