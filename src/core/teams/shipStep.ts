/**
 * The end of an implement run: the same ship gate as the pipeline's Stage 6 and, on approval, the
 * same merge of the integration branch into the branch the run started from (ship/shipIntoBase.ts:
 * --no-ff, never forced, only into a clean checkout, a moved base only when conflict-free and green).
 * A refused merge changes nothing; the run waits at the gate and running `implement` again asks again.
 */
import * as path from 'node:path';
import { diffRange, headCommit, resetHard } from '../git';
import { shipGateText, shipInputFor, shipIntoBase, shippedUnrecorded } from '../ship/shipIntoBase';
import type { ModelSession } from '../plans/session';
import { runTestGate, type TestGateResult } from './testGate';
import { nn, type ImplementStore } from './state';
import { askUnlessCancelled } from '../gates/unlessCancelled';

export interface PlanGateRequest {
  gate: 'flow-audit' | 'ship';
  title: string;
  summary: string;
}
/** "changes" is for the ship gate (Request changes): a builder makes them on the integration branch. */
export type PlanGateAnswer = 'approve' | 'reject' | 'later' | { decision: 'changes'; feedback: string };
export type PlanGate = (req: PlanGateRequest, signal: AbortSignal) => Promise<PlanGateAnswer>;

export type ShipOutcome = { status: 'succeeded' | 'halted' | 'awaiting-approval'; reason?: string };

export interface ShipStepContext {
  session: ModelSession;
  store: ImplementStore;
  integrationWt: string;
  worktreesDir: string;
  testCommand: string;
  gate: PlanGate;
  /** Carries out changes asked at the gate on the integration branch (a builder of the team). */
  makeChanges(feedback: string, round: number): Promise<{ testsPassed: boolean }>;
}

export function gateDecision(a: PlanGateAnswer): string {
  return typeof a === 'string' ? a : a.decision;
}

/**
 * Runs the suite on the integration worktree, which holds `head`, and keeps the verdict for that
 * commit (the gate shows it): not when the run was stopped under the suite (it says nothing then),
 * nor when the branch moved while the suite ran (the verdict is no commit's; the gate tests the new
 * head). Used before the gate and after the changes asked at it.
 */
export async function testIntegrationHead(
  t: Pick<ShipStepContext, 'session' | 'store' | 'integrationWt' | 'testCommand'>,
  head: string,
): Promise<TestGateResult> {
  // The suite runs on the worktree's files: they must be `head`'s. A branch moved without a checkout
  // (by hand, with update-ref or branch -f) leaves the old files there, and the verdict would be theirs.
  await resetHard(t.integrationWt, head, { removeUntracked: false });
  const tests = await runTestGate(t.testCommand, t.integrationWt, t.session.config.testTimeoutMs, t.session.signal, t.session.sandbox);
  if (!t.session.signal.aborted && (await headCommit(t.integrationWt)) === head) {
    t.store.update((st) => (st.integrationTested = { commit: head, passed: tests.passed, failures: tests.failures }));
  }
  return tests;
}

/**
 * The suite's verdict on `head`, the integration commit the gate is about to show. The run tested
 * each phase's merge and the changes made at the gate; any other commit (one made by hand on the
 * integration branch while the gate waited, or between a "later" and the resume) is tested now, so
 * the gate never says "pass" of a commit no test ran on.
 */
async function verdictOn(sc: ShipStepContext, head: string): Promise<{ passed: boolean; failures: number }> {
  const { store, session } = sc;
  const known = store.state.integrationTested;
  if (known?.commit === head) return known;
  session.emit({ type: 'log', level: 'info', message: `ship: ${store.state.integrationBranch} is at ${head.slice(0, 12)}, a commit this run's tests did not run on; running the suite on it before the ship gate` });
  const tests = await testIntegrationHead(sc, head);
  // A run stopped under the suite says nothing about the commit: nothing was recorded, the resume tests it.
  if (session.signal.aborted) throw new Error(`ship: ${String(session.signal.reason ?? 'run stopped')}`);
  session.emit({ type: 'test-gate', phase: 'ship', when: 'before', passed: tests.passed, failures: tests.failures });
  return tests;
}

/** The gate's text for this run: the pipeline's wording, with phases and their reviews as the facts. */
export async function describeImplementShip(sc: ShipStepContext, head: string): Promise<{ title: string; summary: string }> {
  const s = sc.store.state;
  const verdict = await verdictOn(sc, head);
  const changed = await diffRange(s.repoRoot, s.baseCommit, head);
  const items = s.phases.flatMap((p) => p.reviewItems);
  const count = (what: string) => items.filter((i) => i.processing === what).length;
  return shipGateText({
    integrationBranch: s.integrationBranch,
    baseBranch: s.baseBranch,
    scope: `${s.phases.length} phase${s.phases.length === 1 ? '' : 's'}`,
    changed: String(changed.length),
    tests: verdict.passed ? 'pass' : `FAIL (${verdict.failures} failing on ${head.slice(0, 12)})`,
    facts: [
      `Phases: ${s.phases.map((p) => `${nn(p.number)} ${p.title} (${p.status}, review rounds ${p.reviewRounds})`).join('; ')}`,
      `Review items: ${count('fixed')} fixed, ${count('hallucinated')} hallucinated, ${count('cosmetic')} cosmetic, ${count('unresolved')} unresolved; test failures carried across phases: ${s.carriedFailures}`,
    ],
  });
}

export async function shipStep(sc: ShipStepContext): Promise<ShipOutcome> {
  const { store, session } = sc;
  const s = store.state;
  for (;;) {
    if (s.ship?.shipped) return { status: 'succeeded' };
    // Approved and merged, then stopped before the merge was recorded: recorded now, not asked again.
    const landed = await shippedUnrecorded({ ...s, log: (level, message) => session.emit({ type: 'log', level, message }) });
    if (landed) {
      store.update((st) => (st.ship = { ...st.ship, decision: 'approved', reason: undefined, shipped: landed }));
      return { status: 'succeeded' };
    }
    // A change round interrupted by a crash is finished before the gate is asked again.
    if (s.ship?.decision === 'changes' && s.ship.reason) {
      const round = s.ship.changeRounds ?? 1;
      const { testsPassed } = await sc.makeChanges(s.ship.reason, round);
      if (!testsPassed) return { status: 'halted', reason: `ship gate: the test suite is red after the changes asked at the gate (round ${round}); ${s.integrationBranch} is left as it is, and running implement again makes new fix tasks for it` };
      store.update((st) => (st.ship = { ...st.ship!, reason: undefined }));
    }
    // The approval is for this commit: the gate's text and test verdict are of it, and nothing else is merged.
    const shown = await headCommit(sc.integrationWt);
    const text = await describeImplementShip(sc, shown);
    const answer = await askUnlessCancelled(sc.gate, { gate: 'ship', ...text }, session.signal, 'later');
    session.emit({ type: 'gate', gate: 'ship', decision: gateDecision(answer), detail: text.title });
    if (typeof answer === 'object') {
      const round = (s.ship?.changeRounds ?? 0) + 1;
      // Recorded before the work starts, so a resume finishes this round (above).
      store.update((st) => (st.ship = { decision: 'changes', changeRounds: round, reason: answer.feedback.slice(0, 2000) }));
      continue;
    }
    if (answer === 'later') {
      store.update((st) => (st.ship = { ...st.ship, decision: 'later', reason: undefined }));
      return { status: 'awaiting-approval', reason: `ship gate: awaiting a decision to merge ${s.integrationBranch} into ${s.baseBranch}` };
    }
    if (answer === 'reject') {
      store.update((st) => (st.ship = { ...st.ship, decision: 'rejected', reason: undefined }));
      return { status: 'halted', reason: `ship gate: rejected; ${s.integrationBranch} is left for you and ${s.baseBranch} is unchanged` };
    }
    const outcome = await shipIntoBase({
      ...shipInputFor({
        state: s,
        worktreesDir: sc.worktreesDir,
        reportsDir: path.join(s.runDir, 'reviews'),
        title: `implement ${path.basename(s.planDir)}`,
        testCommand: sc.testCommand,
        runner: session,
        log: (level, message) => session.emit({ type: 'log', level, message }),
        dependenciesFrom: sc.integrationWt,
      }),
      expectedHead: shown,
    });
    if (outcome.status !== 'done') {
      store.update((st) => (st.ship = { ...st.ship, decision: 'approved', reason: outcome.reason }));
      return { status: outcome.status, reason: `ship gate: ${outcome.reason}` };
    }
    store.update((st) => (st.ship = { ...st.ship, decision: 'approved', reason: undefined, shipped: outcome.shipped }));
    return { status: 'succeeded' };
  }
}
