/**
 * Assembly (M8): every QC-passed module branch is merged into the integration branch, one at a
 * time, `--no-ff`, in `assembly_order`, with tests after every merge (what runs: testSelection.ts).
 * A merge whose tests go red is rolled back and its module goes back to its builder; when the red
 * run was the full suite, the first red merge is found first (walking back merge by merge), and
 * everything from it on is rolled back and merged and tested again afterwards. So every merge
 * commit left on the integration branch was tested green, and the final head passed the full suite.
 * Module code is never edited by the engine to make tests pass.
 */
import * as path from 'node:path';
import { abortMerge, commitMerge, headCommit, mergeNoFf, resetHard, resolveCommit, resolveTrivialConflicts } from '../git';
import { writeFileAtomic } from '../run/runDir';
import { ENGINE_AUTHOR, type PipelineContext, type StageResult } from '../stages/context';
import { developModule } from '../stages/build';
import { builderWritablePaths } from '../stages/builder';
import { integrationTestCommand, moduleDir, moduleTestCommand } from '../stages/moduleTestCommand';
import { projectCommands } from '../stack/commands';
import { isAncestor, mergeThatBrought, pathsChangedByMerge } from './mergeHistory';
import { runTests, type TestsOutcome } from './mergeTests';
import { selectTests, type TestSelection } from './testSelection';
import { recordMerge, writeAssemblyReport, writeConflictReport } from './assemblyReport';

type MergeStep =
  | { kind: 'merged'; commit: string }
  | { kind: 'conflict'; reason: string }
  /** Tests went red; `culprit` is the first red merge (the module just merged, or an earlier one). */
  | { kind: 'red'; culprit: string; tests: TestsOutcome; command: string };

export async function assembleModules(ctx: PipelineContext): Promise<StageResult> {
  const order = ctx.contracts().manifest.assembly_order;
  for (;;) {
    if (ctx.signal.aborted) return halt(ctx, String(ctx.signal.reason ?? 'run stopped'));
    const index = order.findIndex((n) => ctx.store.module(n).status !== 'merged');
    if (index < 0) break;
    const name = order[index]!;
    const mod = ctx.store.module(name);
    if (mod.status !== 'passed') return halt(ctx, `module ${name} is ${mod.status}, not passed; assembly stops before it`);

    const step = await mergeAndTest(ctx, order, index);
    if (step.kind === 'conflict') return halt(ctx, step.reason);
    if (step.kind === 'merged') {
      ctx.store.update((s) => {
        const m = s.modules.find((x) => x.name === name)!;
        m.status = 'merged';
        m.mergeCommit = step.commit;
      });
      ctx.store.emit({ type: 'module-status', module: name, status: 'merged' });
      continue;
    }
    const sentBack = await sendBack(ctx, step);
    if (sentBack) return sentBack;
  }
  writeAssemblyReport(ctx);
  return { status: 'done', detail: `${order.length} modules merged` };
}

async function mergeAndTest(ctx: PipelineContext, order: readonly string[], index: number): Promise<MergeStep> {
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
  const tests = await runTests(ctx, wt, selection.runs);
  const ran = selection.runs.slice(0, tests.ok ? undefined : selection.runs.indexOf(tests.failed!) + 1).map((r) => r.command);
  if (tests.ok) {
    recordMerge(ctx, name, { merge: mergeKind, tests: 'pass', status: 'MERGED', commit: after, selection, ran });
    return { kind: 'merged', commit: after };
  }
  recordMerge(ctx, name, { merge: mergeKind, tests: 'fail', status: 'FAILED', selection, ran });
  await resetHard(wt, before);
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
    if (later !== order[index]) {
      recordMerge(ctx, later, {
        merge: 'clean',
        tests: later === culprit ? 'fail' : 'not-run',
        status: later === culprit ? 'FAILED' : 'SKIPPED',
        reason: later === culprit ? `the full suite after merging ${order[index]} was red, and first red on this merge` : `rolled back with the merges after ${culprit}, whose merge first turned the full suite red`,
      });
      ctx.store.emit({ type: 'module-status', module: later, status: 'passed', detail: 'merge rolled back; merged again after ' + culprit });
    }
  }
  if (culprit !== order[index]) ctx.store.emit({ type: 'log', level: 'warn', message: `the full suite was first red after merging ${culprit}; rolled back to before it` });
  return { kind: 'red', culprit, tests, command: full };
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
  const status = await developModule(ctx, spec, integrationFindings(name, step.command, outcome, step.tests.output));
  if (status !== 'passed') return halt(ctx, `${name} was sent back after breaking the integration tests and is now ${status}; details in ${report}`);
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

function halt(ctx: PipelineContext, reason: string): StageResult {
  writeAssemblyReport(ctx);
  return { status: 'halted', reason };
}
