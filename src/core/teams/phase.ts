/**
 * One phase, start to merge: its branch off the integration branch (the previous phase's result),
 * the pre-flight test gate (red → a fix task runs first), the team on the plan's tasks, the code
 * review with every item processed, the tests again, then a `--no-ff` merge into the integration
 * branch and the suite once more there. Each step is recorded before the next, so a resume
 * continues inside the phase where it stopped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { abortMerge, addWorktreeForBranch, branchExists, createWorktree, headCommit, mergeNoFf, resetHard } from '../git';
import { writeFileAtomic } from '../run/runDir';
import { recordContext } from '../plans/context';
import type { PlanPhase } from '../plans/schema';
import type { ModelSession } from '../plans/session';
import { judgeFinding, reviewFileText, runCodeReview, type Finding } from './review';
import { blockedRounds, processReviewRounds, ReviewBlocked, roundRecorded } from './acceptance';
import { nn, type ImplementStore, type PhaseRun, type ReviewItem } from './state';
import type { NewTask } from './taskList';
import { openTeamFiles, phaseTeamDir } from './teamFiles';
import { runTeam, type TeamContext } from './team';
import { runTestGate } from './testGate';
import { stoppedError } from '../shell';
import { provideDependencies } from '../stack/dependencyStore';

export interface TeamOptions {
  /** A teammate with no model turn or tool call for this long is dead (its claims are released). */
  stallMs: number;
  maxValidationFixes: number;
  maxReviewRounds: number;
  maxTestFixes: number;
  compactBytes: number;
  /** Phases with at least this many tasks run with a team (two builders and a validator). */
  teamMinTasks: number;
}

export const DEFAULT_TEAM_OPTIONS: TeamOptions = { stallMs: 10 * 60_000, maxValidationFixes: 2, maxReviewRounds: 3, maxTestFixes: 2, compactBytes: 60_000, teamMinTasks: 3 };

export interface ImplementContext {
  session: ModelSession;
  store: ImplementStore;
  repoRoot: string;
  runDir: string;
  worktreesDir: string;
  integrationWt: string;
  testCommand: string;
  options: TeamOptions;
}

export class PhaseFailed extends Error {}

function teamContext(ic: ImplementContext, phase: PlanPhase, pr: PhaseRun, phaseWt: string): TeamContext {
  return {
    ...openTeamFiles(phaseTeamDir(ic.runDir, phase.number)),
    session: ic.session,
    runId: ic.store.state.runId,
    repoRoot: ic.repoRoot,
    phase: phase.number,
    phaseTitle: phase.header.title,
    phaseWt,
    worktreesDir: ic.worktreesDir,
    testCommand: ic.testCommand,
    stallMs: ic.options.stallMs,
    teamMode: pr.team,
    maxValidationFixes: ic.options.maxValidationFixes,
    compactBytes: ic.options.compactBytes,
    dependencyGeneration: ic.store.state.dependencies?.manifests,
  };
}

/** Adds a builder task and, in a team, the validator task that follows it. */
function addWork(tc: TeamContext, task: Omit<NewTask, 'role'>): void {
  tc.tasks.add({ ...task, role: 'builder' });
  if (tc.teamMode) tc.tasks.add({ id: `${task.id}-V`, role: 'validator', kind: 'validate', title: `Validate ${task.id}: ${task.title}`, details: task.details, files: task.files, depends_on: [task.id], validates: task.id });
}

function emitPhase(ic: ImplementContext, pr: PhaseRun, detail?: string): void {
  ic.session.emit({ type: 'phase-status', phase: nn(pr.number), status: pr.status, detail });
}

export async function runPhase(ic: ImplementContext, phase: PlanPhase, index: number): Promise<void> {
  const { store } = ic;
  const pr = store.phase(phase.number);
  const phaseWt = path.join(ic.worktreesDir, `phase-${nn(phase.number)}`);
  store.update(() => (pr.status = 'running'));
  emitPhase(ic, pr, phase.header.title);

  if (!(await branchExists(ic.repoRoot, pr.branch))) {
    const base = await headCommit(ic.integrationWt);
    await createWorktree(ic.repoRoot, phaseWt, pr.branch, base);
    store.update(() => (pr.baseCommit = base));
  } else if (!fs.existsSync(phaseWt)) {
    await addWorktreeForBranch(ic.repoRoot, phaseWt, pr.branch);
  }
  // The dependencies installed in the integration worktree (dependencies.ts), for the test gates here.
  await provideDependencies(ic.integrationWt, phaseWt, 'hardlink', ic.store.state.dependencies?.manifests);
  const tc = teamContext(ic, phase, pr, phaseWt);

  if (pr.step === 'start') {
    if (tc.tasks.tasks.length === 0) {
      for (const t of phase.header.tasks) addWork(tc, { id: t.id, kind: 'build', title: t.title, details: t.details, files: t.files, depends_on: t.depends_on });
    }
    const pre = await runTestGate(ic.testCommand, phaseWt, ic.session.config.testTimeoutMs, ic.session.signal, ic.session.sandbox);
    // Killed by the stop, the suite is not red: no carried failure and no fix task; the resume runs it again.
    if (pre.stopped) throw stoppedError(`phase ${nn(phase.number)}: the test suite before it`, ic.session.signal);
    ic.session.emit({ type: 'test-gate', phase: nn(phase.number), when: 'before', passed: pre.passed, failures: pre.failures });
    store.update((s) => {
      pr.preflight = { passed: pre.passed, failures: pre.failures };
      // A red suite at the start of any phase but the first was carried in from the phase before.
      if (!pre.passed && index > 0) s.carriedFailures += pre.failures;
    });
    if (!pre.passed && !tc.tasks.get('F0')) {
      const others = tc.tasks.tasks.map((t) => t.id);
      addWork(tc, { id: 'F0', kind: 'fix-tests', title: 'Make the test suite green before the phase starts', details: `The suite (${ic.testCommand}) is red before phase ${nn(phase.number)}:\n${pre.excerpt}`, files: [], depends_on: [] });
      for (const id of others) if (!id.endsWith('-V')) tc.tasks.addDependency(id, tc.teamMode ? 'F0-V' : 'F0');
    }
    store.update(() => (pr.step = 'team'));
  }

  if (pr.step === 'team') {
    await runTeam(tc);
    store.update(() => (pr.step = 'review'));
  }

  if (pr.step === 'review') {
    // Fix tasks of a round interrupted by a crash are finished before the next review.
    if (!tc.tasks.allDone()) await runTeam(tc);
    await reviewRounds(ic, tc, phase, pr, phaseWt);
    store.update(() => (pr.step = 'post-tests'));
  }

  if (pr.step === 'post-tests') {
    // A fix task (or its validation) a stop or a halt left open is finished first: a validation that
    // failed for good is tried again (team.ts), not bypassed by a suite that happens to be green.
    if (!tc.tasks.allDone()) await runTeam(tc);
    for (let attempt = 0; ; attempt++) {
      const post = await runTestGate(ic.testCommand, phaseWt, ic.session.config.testTimeoutMs, ic.session.signal, ic.session.sandbox);
      if (post.stopped) throw stoppedError(`phase ${nn(phase.number)}: the test suite after it`, ic.session.signal);
      ic.session.emit({ type: 'test-gate', phase: nn(phase.number), when: 'after', passed: post.passed, failures: post.failures });
      store.update(() => (pr.postTests = { passed: post.passed, failures: post.failures }));
      if (post.passed) break;
      if (attempt >= ic.options.maxTestFixes) throw new PhaseFailed(`phase ${nn(phase.number)}: the suite is still red after ${attempt} fix task(s); the phase is not merged`);
      addWork(tc, { id: tc.tasks.nextNumbered('P'), kind: 'fix-tests', title: 'Make the test suite green again', details: post.excerpt, files: [], depends_on: [] });
      await runTeam(tc);
    }
    store.update(() => (pr.step = 'merge'));
  }

  if (pr.step === 'merge') {
    const before = pr.mergeBase ?? (await headCommit(ic.integrationWt));
    if (!pr.mergeBase) store.update(() => (pr.mergeBase = before));
    const merged = await mergeNoFf(ic.integrationWt, pr.branch, `phase ${nn(phase.number)}: ${phase.header.title}`);
    if (merged.status === 'conflict') {
      await abortMerge(ic.integrationWt);
      throw new PhaseFailed(`phase ${nn(phase.number)} does not merge cleanly into the integration branch (${merged.files.map((f) => f.path).join(', ')})`);
    }
    const after = await runTestGate(ic.testCommand, ic.integrationWt, ic.session.config.testTimeoutMs, ic.session.signal, ic.session.sandbox);
    if (!after.stopped) ic.session.emit({ type: 'test-gate', phase: nn(phase.number), when: 'merged', passed: after.passed, failures: after.failures });
    if (!after.passed || after.stopped) {
      // Untested, the merge does not stay: stopped, it is made and tested again on resume.
      await resetHard(ic.integrationWt, before);
      store.update(() => (pr.mergeBase = undefined));
      if (after.stopped) throw stoppedError(`phase ${nn(phase.number)}: the test suite on its merge`, ic.session.signal);
      throw new PhaseFailed(`phase ${nn(phase.number)}: the suite is red after merging it; the merge was rolled back`);
    }
    store.update((st) => {
      pr.mergedTests = { passed: true, failures: 0 };
      pr.mergeCommit = merged.commit;
      st.integrationTested = { commit: merged.commit, passed: true, failures: 0 };
      pr.step = 'done';
      pr.status = 'done';
    });
    emitPhase(ic, pr, `merged ${merged.commit.slice(0, 10)}`);
  }
}

async function reviewRounds(ic: ImplementContext, tc: TeamContext, phase: PlanPhase, pr: PhaseRun, phaseWt: string): Promise<void> {
  const { store } = ic;
  const reviewFile = path.join(ic.runDir, 'reviews', `phase-${nn(phase.number)}-review.md`);
  fs.mkdirSync(path.dirname(reviewFile), { recursive: true });
  try {
    await processReviewRounds({
      label: `phase ${nn(phase.number)}`,
      reviewFile,
      maxRounds: ic.options.maxReviewRounds,
      roundsDone: () => pr.reviewRounds,
      roundsBlocked: () => blockedRounds(pr.reviewItems),
      startRound: (round, blocking) =>
        store.update(() => {
          pr.reviewRounds = round;
          if (round === 1) pr.firstReviewPassed = blocking === 0;
        }),
      review: async (round) =>
        runCodeReview(ic.session, { phase: phase.number, phaseTitle: phase.header.title, phaseGoal: phase.body, phaseWt, baseCommit: pr.baseCommit ?? (await headCommit(ic.integrationWt)), round }),
      judge: async (f, i, round) => {
        const j = await judgeFinding(ic.session, [phaseWt], f, `p${nn(phase.number)}-judge-${round}-${i + 1}`);
        if (j.contextBytes !== undefined) store.update((s) => recordContext(s.orchestrator, `judge of phase ${nn(phase.number)} round ${round} item ${i + 1}`, j.contextBytes!));
        return j;
      },
      fix: async (toFix, round) => {
        const ids = toFix.map((f, i) => {
          const id = `R${round}-${i + 1}`;
          addWork(tc, { id, kind: 'fix', title: `Fix review item (${f.severity}) in ${f.file}`, details: reviewFixDetails(f), files: [f.file], depends_on: [] });
          return id;
        });
        await runTeam(tc);
        return ids.map((id) => `fix task ${id}`);
      },
      record: (item) => record(ic, pr, item),
      writeReview: () => writeFileAtomic(reviewFile, reviewFileText(`Code review: phase ${nn(phase.number)} — ${phase.header.title}`, pr.reviewItems, pr.reviewRounds, pr.firstReviewPassed)),
      fixesInFlight: (round) => {
        if (roundRecorded(pr.reviewItems, round)) return [];
        // The round's fix tasks carry their findings, in the words `fix` above gave them.
        return tc.tasks.tasks.flatMap((t) => {
          const finding = new RegExp(`^R${round}-\\d+$`).test(t.id) ? findingOfReviewFix(t.details) : undefined;
          return finding ? [{ finding, how: `fix task ${t.id}` }] : [];
        });
      },
    });
  } catch (e) {
    if (e instanceof ReviewBlocked) throw new PhaseFailed(e.message);
    throw e;
  }
}

/** A review fix task's details: the finding it fixes, read back by `findingOfReviewFix` on resume. */
function reviewFixDetails(f: Finding): string {
  return `Review finding (${f.severity}) ${f.file}:${f.line}: ${f.text}`;
}

function findingOfReviewFix(details: string): Finding | undefined {
  const m = /^Review finding \((Critical|High|Medium|Low)\) ([^\n]+):(\d+): ([\s\S]+)$/.exec(details);
  return m ? { severity: m[1] as Finding['severity'], file: m[2]!, line: Number(m[3]), text: m[4]! } : undefined;
}

function record(ic: ImplementContext, pr: PhaseRun, item: ReviewItem): void {
  ic.store.update(() => pr.reviewItems.push(item));
  ic.session.emit({ type: 'review-item', phase: nn(pr.number), severity: item.severity, file: item.file, line: item.line, processing: item.processing, reason: item.reason });
}
