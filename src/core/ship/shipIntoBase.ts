/**
 * The ship gate's wording and what happens after its approval, shared by the pipeline's Stage 6
 * (stages/ship.ts) and `implement` runs (teams/implement.ts): one text for the gate, one merge into
 * the branch the run started from (git/shipMerge.ts: --no-ff, never forced, clean-tree rule, a moved
 * base merged only conflict-free and green), and one reading of each merge outcome. A refused merge
 * changes nothing and sends the run back to the gate with the reason, so a resume asks again.
 */
import * as path from 'node:path';
import { agentShellEnv } from '../agents/env';
import { landedShipMerge, mergeIntoBase } from '../git';
import { writeFileAtomic } from '../run/runDir';
import type { RunSandbox } from '../sandbox/runSandbox';
import { runCommand, stoppedError } from '../shell';
import { provideDependencies } from '../stack/dependencyStore';

export interface ShipGateFacts {
  integrationBranch: string;
  baseBranch: string;
  /** What is being shipped, e.g. "3 modules" or "3 phases". */
  scope: string;
  /** Files changed against the base, or "?" when not known. */
  changed: string;
  /** "pass", "FAIL" or "not run". */
  tests: string;
  /** The toolchain's build and lint on the release commit ("PASS", "FAIL", "not declared"), where they ran. */
  build?: string;
  lint?: string;
  /** Lines describing the work (verdicts, reviews) before the checks line. */
  facts: string[];
  costUsd?: number;
  /** What Request changes does for this kind of run. */
  changesHint?: string;
}

export function shipGateText(f: ShipGateFacts): { title: string; summary: string } {
  // A failing build blocks (Approve checks again and is refused while it fails); a failing lint is a warning (stages/shipChecks.ts says why).
  const blocked = f.build === 'FAIL';
  const lintWarns = f.lint === 'FAIL';
  const checks = f.build === undefined && f.lint === undefined
    ? `Tests: ${f.tests}`
    : `Build: ${f.build ?? 'not run'}${blocked ? ' (blocking: Approve runs the checks again and merges only once it builds)' : ''}; Tests: ${f.tests}; Lint: ${f.lint ?? 'not run'}${lintWarns ? ' (warning, not blocking)' : ''}`;
  return {
    title: blocked
      ? `Ship BLOCKED: the build fails on ${f.integrationBranch} (${f.scope}, ${f.changed} files); fix it and approve, request changes or reject`
      : `Ship ready: merge ${f.integrationBranch} into ${f.baseBranch}? (${f.scope}, ${f.changed} files, tests ${f.tests}${lintWarns ? ', lint warnings' : ''})`,
    summary: [
      ...f.facts,
      checks,
      `${f.changed} files changed against ${f.baseBranch}${f.costUsd === undefined ? '' : `; cost so far ≈ $${f.costUsd.toFixed(2)}`}`,
      `Approve merges with --no-ff into ${f.baseBranch} (only if its checkout is clean);${f.changesHint ? ` ${f.changesHint};` : ''} Reject leaves ${f.integrationBranch} for you.`,
    ].join('\n'),
  };
}

export interface Shipped {
  branch: string;
  commit: string;
  previousHead: string;
  at: string;
}

export interface ShipIntoBaseInput {
  repoRoot: string;
  runId: string;
  baseBranch: string;
  /** The base's head when the run started. */
  baseCommit: string;
  integrationBranch: string;
  /** Where the trial merge's engine worktree goes (`<worktrees>/ship`). */
  worktreesDir: string;
  /** Where a refused merge's report is written (ship-merge.md). */
  reportsDir: string;
  /** One line naming the work, for the merge commit's message. */
  title: string;
  /** The test command, as the report names it. */
  testCommand: string;
  /** Runs the tests on a merge result (only when the base moved since the run started). */
  runTests(worktree: string): Promise<{ ok: boolean; output: string }>;
  log(level: 'info' | 'warn', message: string): void;
  /** The integration commit the gate showed: merged only while the branch is still there. */
  expectedHead?: string;
  /**
   * The run's stop: stopped before the merge, nothing is merged (a Stop pressed just after Approve).
   * (`runTests` of shipInputFor throws when stopped under the tests of a moved base.) A merge that
   * landed is recorded whatever the signal says.
   */
  signal?: AbortSignal;
}

/**
 * What each kind of run hands the merge: its state (the pipeline's and an implement run's both hold
 * these ids), where its engine worktrees and reports go, the suite to run on a moved base's merge
 * result, and what runs commands for it (the pipeline's context or a model session: config, signal,
 * sandbox). `shipInputFor` builds the merge's input from it, so both runs merge and test the same way.
 */
export interface ShipRun {
  state: Pick<ShipIntoBaseInput, 'repoRoot' | 'runId' | 'baseBranch' | 'baseCommit' | 'integrationBranch'>;
  worktreesDir: string;
  reportsDir: string;
  title: string;
  testCommand: string;
  runner: { config: { testTimeoutMs: number }; signal: AbortSignal; sandbox: RunSandbox };
  log: ShipIntoBaseInput['log'];
  /**
   * The integration worktree, whose installed dependency folders (node_modules, .venv) the merge
   * result's tree borrows before its tests, as assembly's test trees do: a fresh worktree has none,
   * and a project with dependencies could never ship once its base moved.
   */
  dependenciesFrom: string;
}

export function shipInputFor(run: ShipRun): ShipIntoBaseInput {
  const { repoRoot, runId, baseBranch, baseCommit, integrationBranch } = run.state;
  const { config, signal, sandbox } = run.runner;
  return {
    repoRoot,
    runId,
    baseBranch,
    baseCommit,
    integrationBranch,
    worktreesDir: run.worktreesDir,
    reportsDir: run.reportsDir,
    title: run.title,
    testCommand: run.testCommand,
    // The project's own (model-chosen) command: sandboxed like every other command of the run.
    runTests: async (wt) => {
      const deps = await provideDependencies(run.dependenciesFrom, wt);
      if (deps.dirs.length) run.log('info', `ship: the merge result's tree has the installed ${deps.dirs.join(', ')} (${deps.files} files linked)`);
      const r = await runCommand(run.testCommand, wt, agentShellEnv('engine'), config.testTimeoutMs, signal, sandbox);
      // Stopped under the tests (even a suite that passed as it was stopped): nothing is delivered and
      // no "tests fail" report is written; the throw leaves through the staging worktree's clean-up.
      if (signal.aborted) throw stoppedError(`ship: the tests on the merge result (nothing merged into ${run.state.baseBranch})`, signal);
      return { ok: r.exitCode === 0 && !r.timedOut, output: r.output };
    },
    log: run.log,
    signal,
  };
}

/** Why a run cannot ship at all (it started on a detached HEAD), or undefined. */
export function noBranchToShipInto(s: { baseBranch: string; integrationBranch: string }): string | undefined {
  if (s.baseBranch !== '(detached)') return undefined;
  return `the run started on a detached HEAD, so there is no branch to ship into; ${s.integrationBranch} holds the result: merge it yourself (or start the run from a branch)`;
}

export type ShipIntoBaseResult = { status: 'done'; shipped: Shipped; detail: string } | { status: 'awaiting-approval' | 'halted'; reason: string };

export async function shipIntoBase(i: ShipIntoBaseInput): Promise<ShipIntoBaseResult> {
  const noBranch = noBranchToShipInto(i);
  if (noBranch) return { status: 'halted', reason: noBranch };
  if (i.signal?.aborted) throw stoppedError(`ship: the merge into ${i.baseBranch} (nothing merged)`, i.signal);
  const outcome = await mergeIntoBase({
    repoRoot: i.repoRoot,
    baseBranch: i.baseBranch,
    integrationBranch: i.integrationBranch,
    baseCommitAtStart: i.baseCommit,
    stagingWorktree: path.join(i.worktreesDir, 'ship'),
    stagingBranch: `${i.integrationBranch.replace(/\/integration$/, '')}/ship`,
    message: `Merge ${i.integrationBranch}: ${i.title.split('\n')[0]!.slice(0, 60)} (build-pipeline run ${i.runId})`,
    testMergeResult: i.runTests,
    expectedHead: i.expectedHead,
    ...(i.signal ? { signal: i.signal } : {}),
  });
  const report = (body: string) => {
    const file = path.join(i.reportsDir, 'ship-merge.md');
    writeFileAtomic(file, `${body}\n<!-- DONE -->\n`);
    return file;
  };
  const refused = (reason: string): ShipIntoBaseResult => {
    i.log('warn', reason);
    return { status: 'awaiting-approval', reason };
  };
  switch (outcome.status) {
    case 'merged':
    case 'alreadyMerged': {
      // Merged before (a resumed ship): the merge commit and the head before it, as found on the base.
      const landed = outcome.status === 'alreadyMerged' ? await landedShipMerge(i.repoRoot, i.baseBranch, i.integrationBranch) : undefined;
      const commit = landed?.commit ?? outcome.commit;
      const previousHead = outcome.status === 'merged' ? outcome.previousHead : (landed?.previousHead ?? i.baseCommit);
      const shipped = { branch: i.baseBranch, commit, previousHead, at: new Date().toISOString() };
      i.log('info', `shipped: ${i.integrationBranch} merged into ${i.baseBranch} as ${commit.slice(0, 12)}`);
      if (outcome.status === 'merged' && outcome.hooksSkipped) i.log('warn', `ship: ${outcome.hooksSkipped}`);
      return { status: 'done', shipped, detail: `shipped into ${i.baseBranch} as ${commit.slice(0, 12)}` };
    }
    case 'dirtyTree':
      return refused(
        `not merged: ${i.baseBranch} is checked out in ${outcome.tree}, which has uncommitted changes or files the merge would overwrite (${outcome.files.slice(0, 20).join(', ')}` +
          `${outcome.files.length > 20 ? `, … ${outcome.files.length - 20} more` : ''}). Nothing was changed. Commit or stash them, then resume to answer the ship gate again.`,
      );
    case 'conflict': {
      const file = report(`# Ship merge conflict\n\n${i.baseBranch} moved since the run started and merging ${i.integrationBranch} into it conflicts in:\n\n${outcome.files.map((f) => `- ${f}`).join('\n')}\n`);
      return refused(`not merged: ${i.baseBranch} moved and the merge conflicts in ${outcome.files.join(', ')} (report: ${file}); resolve on the base branch, then resume`);
    }
    case 'testsFailed': {
      const file = report(`# Ship merge: tests fail on the merge result\n\n${i.baseBranch} moved since the run started; the merge is clean but \`${i.testCommand}\` fails on it:\n\n\`\`\`\n${outcome.output.slice(-4000)}\n\`\`\`\n`);
      return refused(`not merged: ${i.baseBranch} moved and the tests fail on the merge result (report: ${file})`);
    }
    case 'baseMoved':
      return refused(`not merged: ${i.baseBranch} moved while the merge was being prepared; resume to try again`);
    case 'stopped':
      throw stoppedError(`ship: the merge into ${i.baseBranch} (nothing merged)`, i.signal);
    case 'notDelivered':
      return refused(`not merged: ${outcome.reason}. Nothing was changed; resume to answer the ship gate again`);
  }
}

/**
 * Before the ship gate is asked again on resume: the merge of an approved ship that landed before the
 * run could record it (a kill in between). Recorded then, and the gate is not asked again (a "reject"
 * there would have said the base was unchanged while it held the merge).
 */
export async function shippedUnrecorded(i: Pick<ShipIntoBaseInput, 'repoRoot' | 'baseBranch' | 'integrationBranch' | 'log'>): Promise<Shipped | undefined> {
  if (i.baseBranch === '(detached)') return undefined;
  const landed = await landedShipMerge(i.repoRoot, i.baseBranch, i.integrationBranch);
  if (!landed) return undefined;
  i.log('info', `shipped: ${i.integrationBranch} had been merged into ${i.baseBranch} as ${landed.commit.slice(0, 12)} before the run stopped; recorded now, and the ship gate is not asked again`);
  return { branch: i.baseBranch, commit: landed.commit, previousHead: landed.previousHead, at: new Date().toISOString() };
}
