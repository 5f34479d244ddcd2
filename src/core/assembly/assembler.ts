/**
 * Assembly (M8): every QC-passed module branch is merged into the integration branch, one at a
 * time, `--no-ff`, in `assembly_order`, with tests after every merge (what runs: testSelection.ts).
 * A merge whose tests go red is rolled back and its module goes back to its builder; when the red
 * run was the full suite, the first red merge is found first (walking back merge by merge), and
 * everything from it on is rolled back and merged and tested again afterwards. So every merge
 * commit left on the integration branch was tested green, and the final head passed the full suite.
 * Module code is never edited by the engine to make tests pass.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { abortMerge, commitMerge, headCommit, mergeNoFf, resetHard, resolveCommit, resolveTrivialConflicts } from '../git';
import { writeFileAtomic } from '../run/runDir';
import { ENGINE_AUTHOR, type PipelineContext, type StageResult } from '../stages/context';
import { developModule } from '../stages/build';
import { SENT_BY } from '../stages/fixRequest';
import { builderWritablePaths } from '../stages/builder';
import { integrationTestCommand, moduleDir, moduleTestCommand } from '../stages/moduleTestCommand';
import { projectCommands } from '../stack/commands';
import { isAncestor, mergeThatBrought, pathsChangedByMerge } from './mergeHistory';
import { runTests, type TestsOutcome } from './mergeTests';
import { discardLeftTestTrees, testInOwnTree } from './testTree';
import { finalSuiteAheadSettled, finalSuiteTestedAhead, testFinalHeadAhead } from './finalSuiteAhead';
import { selectTests, type TestSelection } from './testSelection';
import { recordMerge, writeAssemblyReport, writeConflictReport } from './assemblyReport';
import { withIntegrationTree } from './integrationLock';
import type { AssemblyQueue } from './queue';

export type MergeStep =
  | { kind: 'merged'; commit: string }
  /** A non-trivial merge conflict, or the run was stopped mid-step (the branch is back where the step began). */
  | { kind: 'conflict'; reason: string }
  | { kind: 'stopped'; reason: string }
  /** Tests went red; `culprit` is the first red merge (the module just merged, or an earlier one). */
  | { kind: 'red'; culprit: string; tests: TestsOutcome; command: string };

/**
 * Merges every module of `assembly_order`. With a queue (streaming from the build), a module that
 * has not passed QC yet is waited for while the build runs; without one, or once the build has
 * ended, assembly stops before it.
 */
export async function assembleModules(ctx: PipelineContext, queue?: AssemblyQueue): Promise<StageResult> {
  try {
    return await assembleInOrder(ctx, queue);
  } finally {
    await finalSuiteAheadSettled(ctx);
  }
}

async function assembleInOrder(ctx: PipelineContext, queue?: AssemblyQueue): Promise<StageResult> {
  const order = ctx.contracts().manifest.assembly_order;
  const wt = ctx.store.paths.integrationWorktree;
  await withIntegrationTree(wt, () => forgetDroppedMerges(ctx, wt, order));
  await discardLeftTestTrees(ctx);
  for (;;) {
    if (ctx.signal.aborted) return halt(ctx, String(ctx.signal.reason ?? 'run stopped'));
    const index = order.findIndex((n) => ctx.store.module(n).status !== 'merged');
    if (index < 0) break;
    const name = order[index]!;
    const mod = ctx.store.module(name);
    if (mod.status !== 'passed') {
      if (queue?.building) {
        // Everything before the last module is merged and it is in QC: its final head's suite starts now.
        if (index === order.length - 1) testFinalHeadAhead(ctx, name);
        await queue.changed(ctx.signal);
        continue;
      }
      if (!queue && buildStageDone(ctx)) {
        const stop = await developAgain(ctx, name);
        if (stop) return stop;
        continue;
      }
      // Streaming, the build has ended without this module passing: the build's halt is the reason.
      return halt(ctx, `module ${name} is ${mod.status}, not passed; assembly stops before it`, queue !== undefined);
    }

    const depth = ctx.config.assemblyQueueDepth;
    const step = await withIntegrationTree(wt, () => (depth > 1 ? speculate(ctx, order, depth) : mergeAndTest(ctx, order, index)));
    if (step.kind === 'conflict' || step.kind === 'stopped') return halt(ctx, step.reason);
    if (step.kind === 'merged') {
      if (depth === 1) markMerged(ctx, name, step.commit); // the queue marks each merge as it judges it
      continue;
    }
    const sentBack = await sendBack(ctx, step);
    if (sentBack) return sentBack;
  }
  writeAssemblyReport(ctx);
  return { status: 'done', detail: `${order.length} modules merged` };
}

function markMerged(ctx: PipelineContext, name: string, commit: string): void {
  ctx.store.update((s) => {
    const m = s.modules.find((x) => x.name === name)!;
    m.status = 'merged';
    m.mergeCommit = commit;
  });
  ctx.store.emit({ type: 'module-status', module: name, status: 'merged' });
}

interface InFlight {
  index: number;
  made: MadeMerge;
  tests: Promise<TestsOutcome>;
}

/**
 * The speculative merge queue (`assemblyQueueDepth` > 1): up to `depth` merges are made one after
 * the other, each tested in its own tree while the next is made; they are judged oldest first. The
 * first red one rolls the branch back to before it, so every merge after it is dropped (their tests
 * are waited for and ignored) and made and tested again later. Returns when the queue is empty: with
 * the last merge judged green ('merged'), or at the first red merge, conflict or stop.
 */
async function speculate(ctx: PipelineContext, order: readonly string[], depth: number): Promise<MergeStep> {
  const inFlight: InFlight[] = [];
  let last: MergeStep | undefined;
  for (;;) {
    const next = order.findIndex((n, i) => ctx.store.module(n).status !== 'merged' && !inFlight.some((f) => f.index === i));
    if (!ctx.signal.aborted && next >= 0 && inFlight.length < depth && ctx.store.module(order[next]!).status === 'passed') {
      const made = await mergeOnly(ctx, order, next);
      if (made.kind === 'made') {
        const name = order[next]!;
        const tests = finalSuiteTestedAhead(ctx, name, made.after, made.selection.runs).then((ahead) => ahead ?? testInOwnTree(ctx, name, made.after, made.selection.runs));
        inFlight.push({ index: next, made, tests });
        continue;
      }
      // A conflict ends the queue: what is in flight is still judged first (the merge was aborted).
      const judged = await drain(ctx, order, inFlight);
      return judged ?? made;
    }
    const oldest = inFlight.shift();
    if (!oldest) return last ?? { kind: 'stopped', reason: String(ctx.signal.reason ?? 'run stopped') };
    const tests = await oldest.tests;
    if (!tests.ok) await dropAfter(ctx, order, oldest, inFlight.splice(0));
    const step = await judge(ctx, order, oldest.index, oldest.made, tests);
    if (step.kind !== 'merged') return step;
    markMerged(ctx, order[oldest.index]!, step.commit);
    last = step;
    if (inFlight.length === 0 && (ctx.signal.aborted || order.every((n) => ctx.store.module(n).status === 'merged'))) return last;
  }
}

/** Judges what is in flight, oldest first; undefined when all of it was green. */
async function drain(ctx: PipelineContext, order: readonly string[], inFlight: InFlight[]): Promise<MergeStep | undefined> {
  while (inFlight.length) {
    const oldest = inFlight.shift()!;
    const tests = await oldest.tests;
    if (!tests.ok) await dropAfter(ctx, order, oldest, inFlight.splice(0));
    const step = await judge(ctx, order, oldest.index, oldest.made, tests);
    if (step.kind !== 'merged') return step;
    markMerged(ctx, order[oldest.index]!, step.commit);
  }
  return undefined;
}

/** The merges after a red one are dropped with it: their tests are waited for (their trees removed) and ignored. */
async function dropAfter(ctx: PipelineContext, order: readonly string[], red: InFlight, dropped: InFlight[]): Promise<void> {
  for (const d of dropped) {
    await d.tests;
    const name = order[d.index]!;
    recordMerge(ctx, name, { merge: d.made.mergeKind, tests: 'not-run', status: 'SKIPPED', reason: `rolled back with the red merge of ${order[red.index]} before it; merged and tested again after it` });
  }
  if (dropped.length) ctx.store.emit({ type: 'log', level: 'warn', message: `merge of ${order[red.index]} was red: rolled back with ${dropped.map((d) => order[d.index]).join(', ')} after it, to be merged and tested again` });
}

async function mergeAndTest(ctx: PipelineContext, order: readonly string[], index: number): Promise<MergeStep> {
  const made = await mergeOnly(ctx, order, index);
  if (made.kind === 'conflict') return made;
  const name = order[index]!;
  const tests = (await finalSuiteTestedAhead(ctx, name, made.after, made.selection.runs)) ?? (await runTests(ctx, ctx.store.paths.integrationWorktree, made.selection.runs));
  return judge(ctx, order, index, made, tests);
}

/** A merge made and not yet judged: where the branch was before it, the commit, and what to test. */
export interface MadeMerge {
  kind: 'made';
  before: string;
  after: string;
  mergeKind: 'clean' | 'auto-resolved';
  selection: TestSelection;
}

/** Merges order[index] into the integration worktree (trivial conflicts resolved) and selects its tests. */
export async function mergeOnly(ctx: PipelineContext, order: readonly string[], index: number): Promise<MadeMerge | { kind: 'conflict'; reason: string }> {
  const wt = ctx.store.paths.integrationWorktree;
  const name = order[index]!;
  const mod = ctx.store.module(name);
  await forgetUnrecordedMerge(ctx, wt, name, mod.branch);
  const before = await headCommit(wt);
  const merged = await mergeNoFf(wt, mod.branch, `integrate: merge ${name} module`, ENGINE_AUTHOR);
  let mergeKind: 'clean' | 'auto-resolved' = 'clean';
  if (merged.status === 'conflict') {
    const resolution = await resolveTrivialConflicts(wt, merged.files);
    if (resolution.status === 'nonTrivial') {
      const unresolved = resolution.files.map((f) => `${f.path} (${f.hunks.map((h) => h.reason).join('; ')})`);
      const report = writeConflictReport(ctx, name, mod.branch, merged.files, unresolved);
      await abortMerge(wt);
      recordMerge(ctx, name, { merge: 'conflict', tests: 'not-run', status: 'FAILED' });
      return { kind: 'conflict', reason: `merge conflict in ${name} (${resolution.files.map((f) => f.path).join(', ')}); details in ${report}` };
    }
    await commitMerge(wt, ENGINE_AUTHOR);
    const resolved = resolution.files.map((f) => `${f.path}: ${f.hunks.map((h) => `line ${h.startLine} ${h.rule}`).join(', ')}`);
    writeConflictReport(ctx, name, mod.branch, merged.files, [], resolved);
    mergeKind = 'auto-resolved';
  }
  const after = await headCommit(wt);
  const selection = selectionFor(ctx, name, await pathsChangedByMerge(wt, before, after), index === order.length - 1);
  if (selection.outside.length) ctx.store.emit({ type: 'log', level: 'warn', message: `${selection.reason}; running the full suite` });
  return { kind: 'made', before, after, mergeKind, selection };
}

/**
 * The tests of a made merge decide: green records it; red rolls the integration branch back to
 * before it (and everything after it) and names the culprit, tracing a red full suite back first.
 */
export async function judge(ctx: PipelineContext, order: readonly string[], index: number, made: MadeMerge, tests: TestsOutcome): Promise<MergeStep> {
  const wt = ctx.store.paths.integrationWorktree;
  const name = order[index]!;
  const { selection, mergeKind, before, after } = made;
  const ran = selection.runs.slice(0, tests.ok ? undefined : selection.runs.indexOf(tests.failed!) + 1).map((r) => r.command);
  if (tests.ok) {
    recordMerge(ctx, name, { merge: mergeKind, tests: 'pass', status: 'MERGED', commit: after, selection, ran });
    return { kind: 'merged', commit: after };
  }
  await resetHard(wt, before);
  // Stopped mid-test: the red result says nothing about the merge; it is made and tested again on resume.
  if (ctx.signal.aborted) return { kind: 'stopped', reason: String(ctx.signal.reason ?? 'run stopped') };
  recordMerge(ctx, name, { merge: mergeKind, tests: 'fail', status: 'FAILED', selection, ran });
  if (selection.scope === 'selected') return { kind: 'red', culprit: name, tests, command: tests.failed!.command };
  // The full suite was red: an earlier merge may be the one that broke it (its own selection did not
  // cover the broken test). Walk back until the full suite is green; the merge after that is the culprit.
  return findFirstRedMerge(ctx, wt, order, index, tests);
}

function selectionFor(ctx: PipelineContext, name: string, changedPaths: string[], finalHead: boolean): TestSelection {
  const project = projectCommands(ctx.config, ctx.contracts().manifest).projectTest;
  return selectTests({
    module: name,
    ownPaths: builderWritablePaths(name, moduleDir(ctx, name)),
    changedPaths,
    finalHead,
    commands: { module: moduleTestCommand(ctx, name), ...(project !== undefined ? { project } : {}), full: integrationTestCommand(ctx) },
  });
}

async function findFirstRedMerge(ctx: PipelineContext, wt: string, order: readonly string[], index: number, red: TestsOutcome): Promise<MergeStep> {
  const full = integrationTestCommand(ctx);
  let at = index;
  let tests = red;
  while (at > 0) {
    const check = await runTests(ctx, wt, [{ kind: 'full', command: full }]);
    // Stopped half-way: the merges already reset away are found missing on resume (forgetDroppedMerges).
    if (ctx.signal.aborted) return { kind: 'stopped', reason: String(ctx.signal.reason ?? 'run stopped') };
    if (check.ok) break;
    at--;
    tests = check;
    const dropped = order[at]!;
    const mergeCommit = ctx.store.module(dropped).mergeCommit;
    const parent = mergeCommit ? await resolveCommit(wt, `${mergeCommit}^1`) : null;
    if (!parent) throw new Error(`cannot roll back the merge of ${dropped}: its merge commit is not recorded`);
    await resetHard(wt, parent);
  }
  const culprit = order[at]!;
  // Every merge from the culprit on was dropped with the reset: those modules are merged again after it.
  for (const later of order.slice(at, index + 1)) {
    ctx.store.update((s) => {
      const m = s.modules.find((x) => x.name === later)!;
      if (m.status === 'merged') m.status = 'passed';
      m.mergeCommit = undefined;
    });
    if (later === order[index] && later === culprit) continue; // recorded as FAILED by mergeAndTest
    const previous = ctx.store.state.merges.find((m) => m.module === later);
    const rolledBack = `rolled back: the full suite was first red after merging ${culprit}; merged again after it`;
    if (later === culprit) {
      recordMerge(ctx, later, { merge: 'clean', tests: 'fail', status: 'FAILED', reason: `the full suite after merging ${order[index]} was red, and was first red on this merge` });
    } else if (later === order[index]) {
      recordMerge(ctx, later, { merge: previous?.merge ?? 'clean', tests: 'fail', status: 'SKIPPED', ...(previous?.testsRun ? { ran: previous.testsRun } : {}), ...(previous?.testScope ? { scope: previous.testScope } : {}), reason: rolledBack });
    } else {
      recordMerge(ctx, later, { merge: previous?.merge ?? 'clean', tests: 'not-run', status: 'SKIPPED', reason: rolledBack });
    }
    ctx.store.emit({ type: 'module-status', module: later, status: 'passed', detail: rolledBack });
  }
  // A module merged again after a re-check (a changed contract) comes after modules later in the
  // order that had stayed merged: a reset to before the culprit took those merges too.
  if (at < index) await forgetDroppedMerges(ctx, wt, order);
  if (culprit !== order[index]) ctx.store.emit({ type: 'log', level: 'warn', message: `the full suite was first red after merging ${culprit}; rolled back to before it` });
  return { kind: 'red', culprit, tests, command: full };
}

/**
 * A run killed while a red full suite was being traced back (the branch already reset, the state not
 * yet written) records merges the branch no longer has: those modules are merged again.
 */
async function forgetDroppedMerges(ctx: PipelineContext, wt: string, order: readonly string[]): Promise<void> {
  for (const name of order) {
    const m = ctx.store.module(name);
    if (m.status !== 'merged' || !m.mergeCommit || (await isAncestor(wt, m.mergeCommit, 'HEAD'))) continue;
    ctx.store.update((s) => {
      const x = s.modules.find((y) => y.name === name)!;
      x.status = 'passed';
      x.mergeCommit = undefined;
    });
    ctx.store.emit({ type: 'module-status', module: name, status: 'passed', detail: 'its merge is no longer on the integration branch; merged again' });
  }
}

/**
 * A run killed after a merge but before its state was written finds the merge on the branch: it is
 * rolled back here and made again with its tests, so no module is merged twice or counted untested.
 */
async function forgetUnrecordedMerge(ctx: PipelineContext, wt: string, name: string, branch: string): Promise<void> {
  const tip = await resolveCommit(wt, `refs/heads/${branch}`);
  if (!tip || !(await isAncestor(wt, tip, 'HEAD'))) return;
  const found = await mergeThatBrought(wt, tip);
  if (!found) return;
  await resetHard(wt, found.parent);
  ctx.store.emit({ type: 'log', level: 'warn', message: `found a merge of ${name} that the run state does not record (stopped mid-merge); rolled it back to merge and test it again` });
}

/** The culprit goes back to its builder with the failure (while it has fix cycles left); the loop then merges it again. */
async function sendBack(ctx: PipelineContext, step: Extract<MergeStep, { kind: 'red' }>): Promise<StageResult | undefined> {
  const name = step.culprit;
  const outcome = step.tests.outcome ?? 'failed';
  const report = path.join(ctx.store.paths.qc, `integration-${name}-qc.md`);
  writeFileAtomic(
    report,
    `# Integration test failure: ${name}\n\nAfter merging \`${ctx.store.module(name).branch}\` the tests (\`${step.command}\`) ` +
      `${outcome}. The merge was rolled back.\n\n\`\`\`\n${step.tests.output.slice(-20000)}\n\`\`\`\n<!-- DONE -->\n`,
  );
  if (ctx.store.module(name).fixCycles >= ctx.config.fixCycles || ctx.signal.aborted) {
    return halt(ctx, `integration tests failed after merging ${name}; the merge was rolled back; details in ${report}`);
  }
  ctx.store.emit({ type: 'log', level: 'warn', message: `integration tests failed after merging ${name}; sending it back to its builder` });
  ctx.store.update((s) => s.modules.find((x) => x.name === name)!.fixCycles++);
  const spec = ctx.contracts().manifest.modules.find((m) => m.name === name)!;
  const status = await developModule(ctx, spec, { from: SENT_BY.assembly, findings: integrationFindings(name, step.command, outcome, step.tests.output) });
  if (status !== 'passed') return halt(ctx, `${name} was sent back after breaking the integration tests and is now ${status}; details in ${report}`);
  return undefined;
}

function buildStageDone(ctx: PipelineContext): boolean {
  return ctx.store.state.stages.find((s) => s.id === 'build')?.status === 'done';
}

/**
 * A resumed assembly meets a module that is not passed although the build stage is done (every
 * module had passed QC): the run stopped while assembly had sent the module back to its builder, or
 * while a re-check held it. Only the build stage reset such a module, and a resume skips that stage,
 * so every resume stopped before it. Its fix cycle runs again, with the failure it was sent back for
 * (sendBack's report) when there is one.
 */
async function developAgain(ctx: PipelineContext, name: string): Promise<StageResult | undefined> {
  const was = ctx.store.module(name).status;
  const report = path.join(ctx.store.paths.qc, `integration-${name}-qc.md`);
  const failure = fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : undefined;
  ctx.store.emit({ type: 'log', level: 'warn', message: `${name} is ${was} (the run stopped while it was back with its builder); its fix cycle runs again` });
  const spec = ctx.contracts().manifest.modules.find((m) => m.name === name)!;
  const status = await developModule(ctx, spec, failure ? { from: SENT_BY.assembly, findings: integrationFindings(name, 'the integration tests', 'failed', failure) } : undefined);
  if (ctx.signal.aborted) return halt(ctx, String(ctx.signal.reason ?? 'run stopped'));
  if (status !== 'passed') return halt(ctx, `${name} was built again on resume and is now ${status}${failure ? `; the failure it was sent back for is in ${report}` : ''}`);
  return undefined;
}

/** The integration failure as a MAJOR finding, in the shape the builder's fix cycle expects. */
function integrationFindings(module: string, command: string, outcome: string, output: string): string {
  const finding = {
    severity: 'MAJOR',
    file: '',
    line: null,
    text:
      `After ${module} was merged into the integration branch, the project's tests (\`${command}\`) ${outcome}; ` +
      `the merge was rolled back. Fix the module so these tests pass. Output (end):\n${output.slice(-3000)}`,
  };
  return JSON.stringify([finding], null, 2);
}

function halt(ctx: PipelineContext, reason: string, upstream = false): StageResult {
  writeAssemblyReport(ctx);
  return { status: 'halted', reason, ...(upstream ? { upstream } : {}) };
}
