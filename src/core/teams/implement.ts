/**
 * `build-pipeline implement PLAN_DIR`: a phased plan carried out by teams (SPEC T2–T6). The lead is
 * this code; models are asked only for work (teammates, reviewers) and for bounded judgements
 * (flow auditor, review judge). Phases run in dependency order, each on its own branch off the
 * previous phase's result, merged `--no-ff` into `orchestration/<run>/integration` after review and
 * tests. The user's checkout is never touched: everything happens in engine worktrees.
 *
 * Running it again on a plan whose last run did not finish resumes that run (the same plan hash),
 * and a resume is also another try at what halted it (a failed validation, a blocked review, a team
 * that kept dying, a red change round at the ship gate: see team.ts, acceptance.ts, shipChanges.ts);
 * an edited plan, or `fresh`, starts a new run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig, type ConfigOverrides, type PipelineConfig } from '../config';
import { Emitter, type Event } from '../events';
import { createWorktree, addWorktreeForBranch, integrationBranch, moduleBranch, openRepo } from '../git';
import { createRunDir, isRunId, newRunId, runPaths } from '../run/runDir';
import { runsRootFor } from '../run/runs';
import { assertNoActiveRun, lockAsOnlyActiveRun } from '../run/newRun';
import { assertResumableOffline } from '../run/modelConnection';
import { addUsage, emptyUsage } from '../usage';
import type { OfflineModelStarter } from '../api';
import { AUDIT_MIN_PHASES, runFlowAudit } from '../plans/audit';
import { BLOCKING_KINDS, phaseOrder } from '../plans/checks';
import { recordContext } from '../plans/context';
import type { TeamEvent } from '../plans/events';
import { readPlan } from '../plans/parse';
import { runPlanReview } from '../plans/review';
import { formatPlanProblems, type Plan } from '../plans/schema';
import { openModelSession, type ModelSession } from '../plans/session';
import { DEFAULT_TEAM_OPTIONS, runPhase, type ImplementContext, type TeamOptions } from './phase';
import { writeImplementReport, type ImplementReport } from './report';
import { shipStep, type PlanGate } from './shipStep';
import { makeShipChanges } from './shipChanges';
import { askUnlessCancelled } from '../gates/unlessCancelled';
import { ImplementStore, newestFirst, readImplementState, STATE_FILE, type ImplementState } from './state';
import { declaredDependencyFiles, nodeInstallCommand, testedOtherwise } from '../stack/repoTesting';
import { installPlanDependencies } from './dependencies';

export type { PlanGate, PlanGateAnswer, PlanGateRequest } from './shipStep';

export interface ImplementOptions {
  repoRoot: string;
  planDir: string;
  offline: boolean;
  gate: PlanGate;
  apiKey?: string;
  baseURL?: string;
  offlineModel?: OfflineModelStarter;
  config?: ConfigOverrides;
  team?: Partial<TeamOptions>;
  /**
   * Start a new run of the plan even though an unfinished one exists (`implement --fresh`); that run
   * is left as it was. Without it, the unfinished run is resumed.
   */
  fresh?: boolean;
}

export interface ImplementResult {
  status: ImplementState['status'];
  state: ImplementState;
  report: ImplementReport;
  resumed: boolean;
}

export interface ImplementHandle {
  runId: string;
  runDir: string;
  resumed: boolean;
  /** With `fresh`: the unfinished run of this plan that was not resumed. */
  setAside?: string;
  onEvent: Event<TeamEvent>;
  cancel(reason?: string): void;
  done: Promise<ImplementResult>;
}

/**
 * The newest run of the same plan (same folder, same hash) if it is unfinished, to resume. Only the
 * newest: an older unfinished one was set aside by a `fresh` run, and stays so once that one is done.
 */
export async function findResumable(runsRoot: string, planDir: string, hash: string): Promise<ImplementState | undefined> {
  if (!fs.existsSync(runsRoot)) return undefined;
  const runs: ImplementState[] = [];
  for (const id of fs.readdirSync(runsRoot).filter(isRunId)) {
    const file = path.join(runsRoot, id, STATE_FILE);
    if (!fs.existsSync(file)) continue;
    try {
      const s = readImplementState(file);
      if (s.planDir === planDir && s.planHash === hash) runs.push(s);
    } catch {
      // a damaged run is not resumed
    }
  }
  const newest = runs.sort(newestFirst)[0];
  return newest && newest.status !== 'succeeded' ? newest : undefined;
}

function snapshotPlan(plan: Plan, runDir: string): void {
  const dir = path.join(runDir, 'plan');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'plan.md'), plan.planMd);
  for (const p of plan.phases) fs.copyFileSync(path.join(plan.dir, p.file), path.join(dir, p.file));
}

export async function startImplement(opts: ImplementOptions): Promise<ImplementHandle> {
  const repo = await openRepo(opts.repoRoot);
  const config = loadConfig(repo.root, opts.config);
  const teamOptions = { ...DEFAULT_TEAM_OPTIONS, stallMs: config.teammateStallMs, ...opts.team };
  const planDir = path.resolve(repo.root, opts.planDir);
  const read = readPlan(planDir);
  const blocking = read.problems.filter((p) => BLOCKING_KINDS.has(p.kind) && p.kind !== 'cycle' && p.kind !== 'missing-phase');
  if (!read.plan || blocking.length > 0) throw new Error(`the plan in ${planDir} cannot be implemented as written:\n${formatPlanProblems(read.problems)}`);
  const plan = read.plan;
  const runsRoot = await runsRootFor(repo.root, config.runsDir);
  // One active run per repository, of any kind (a pipeline, an audit or another implement run).
  await assertNoActiveRun(repo.root, config.runsDir);
  const unfinished = await findResumable(runsRoot, planDir, plan.hash);
  const previous = opts.fresh ? undefined : unfinished;
  if (previous) assertResumableOffline(`run ${previous.runId} of this plan`, previous.offline, opts.offline);

  let store: ImplementStore;
  if (previous) {
    store = ImplementStore.load(previous.runDir);
    store.update((s) => {
      s.status = 'running';
      s.haltReason = undefined;
    });
  } else {
    const runId = newRunId();
    const paths = runPaths(runsRoot, runId);
    createRunDir(paths);
    const now = new Date().toISOString();
    const state: ImplementState = {
      version: 1,
      kind: 'implement',
      runId,
      runDir: paths.runDir,
      repoRoot: repo.root,
      planDir,
      planHash: plan.hash,
      offline: opts.offline,
      baseBranch: repo.branch ?? '(detached)',
      baseCommit: repo.head,
      integrationBranch: integrationBranch(runId),
      status: 'running',
      createdAt: now,
      updatedAt: now,
      phases: plan.phases.map((p) => ({
        number: p.number,
        file: p.file,
        title: p.header.title,
        status: 'pending',
        branch: moduleBranch(runId, `phase-${String(p.number).padStart(2, '0')}`),
        team: p.header.tasks.length >= teamOptions.teamMinTasks,
        reviewRounds: 0,
        reviewItems: [],
        step: 'start',
      })),
      carriedFailures: 0,
      orchestrator: { calls: 0, maxBytes: 0, totalBytes: 0 },
      usage: emptyUsage(),
    };
    store = new ImplementStore(path.join(paths.runDir, STATE_FILE), state);
    store.save();
    snapshotPlan(plan, paths.runDir);
  }
  const releaseLock = lockAsOnlyActiveRun(runsRoot, store.state.runDir);
  let session: ModelSession;
  try {
    session = await openModelSession({
      config,
      offline: opts.offline,
      apiKey: opts.apiKey,
      baseURL: opts.baseURL,
      offlineModel: opts.offlineModel,
      journalFile: path.join(store.state.runDir, 'journal.jsonl'),
      // The repository's .env files are hidden from teammates' shells and the test gates, as in a build run.
      repoRoot: repo.root,
      runsRoot,
    });
  } catch (e) {
    releaseLock();
    throw e;
  }
  const events = new Emitter<TeamEvent>();
  session.onEvent((e) => {
    if (e.type === 'agent-usage') addUsage(store.state.usage, e.usage);
    events.fire(e);
  });

  const done = (async (): Promise<ImplementResult> => {
    await new Promise((resolve) => setImmediate(resolve));
    try {
      const outcome = await drive(session, store, plan, repo.root, config, teamOptions, opts.gate);
      store.update((s) => {
        s.status = outcome.status;
        s.haltReason = outcome.reason;
      });
    } catch (e) {
      store.update((s) => {
        s.status = session.signal.aborted ? 'cancelled' : 'halted';
        // Cancelled: what stopped it, not the agent it stopped ("p01-builder-1-1 cancelled").
        s.haltReason = session.signal.aborted && session.signal.reason !== undefined ? String(session.signal.reason) : (e as Error).message;
      });
    } finally {
      await session.close();
      releaseLock();
    }
    const report = writeImplementReport(store.state);
    events.fire({ type: 'log', level: store.state.status === 'succeeded' ? 'info' : 'warn', message: `implement ${store.state.status}${store.state.haltReason ? `: ${store.state.haltReason}` : ''}` });
    return { status: store.state.status, state: store.state, report, resumed: !!previous };
  })();

  return {
    runId: store.state.runId,
    runDir: store.state.runDir,
    resumed: !!previous,
    setAside: opts.fresh ? unfinished?.runId : undefined,
    onEvent: events.event,
    cancel: (reason = 'cancelled by the user') => session.cancel(reason),
    done,
  };
}

type Outcome = { status: 'succeeded' | 'halted' | 'awaiting-approval'; reason?: string };

async function drive(session: ModelSession, store: ImplementStore, planIn: Plan, repoRoot: string, config: PipelineConfig, options: TeamOptions, gate: PlanGate): Promise<Outcome> {
  let plan = planIn;
  const gated = await auditGate(session, store, plan, repoRoot, gate);
  if (gated) return gated;
  const paths = runPaths(path.dirname(store.state.runDir), store.state.runId);
  if (!fs.existsSync(paths.integrationWorktree)) {
    if (store.state.phases.some((p) => p.status !== 'pending')) await addWorktreeForBranch(repoRoot, paths.integrationWorktree, store.state.integrationBranch);
    else await createWorktree(repoRoot, paths.integrationWorktree, store.state.integrationBranch, store.state.baseCommit);
  }
  warnAboutTesting(session, paths.integrationWorktree, config);
  const installFailed = await installPlanDependencies(session, store, paths.integrationWorktree);
  if (installFailed) return { status: 'halted', reason: installFailed };
  // T3: the plan itself is reviewed (and revised in the run's copy) before any phase runs.
  const planCopy = path.join(store.state.runDir, 'plan');
  if (!store.state.planReview?.done && !config.planReview) {
    store.update((s) => (s.planReview = { rounds: 0, items: [], done: true, skipped: true }));
    session.emit({ type: 'log', level: 'info', message: 'plan review skipped: planReview is off; the phases implement the plan as written' });
  }
  if (!store.state.planReview?.done) {
    try {
      await runPlanReview({ session, store, planDir: planCopy, codeRoot: paths.integrationWorktree, reviewFile: path.join(store.state.runDir, 'reviews', 'plan-review.md'), maxRounds: options.maxReviewRounds });
    } catch (e) {
      if (session.signal.aborted) throw e;
      return { status: 'halted', reason: (e as Error).message };
    }
  }
  const revised = readPlan(planCopy).plan;
  if (!revised) return { status: 'halted', reason: `the run's copy of the plan in ${planCopy} cannot be read` };
  plan = revised;
  // A revision may change a phase's tasks, and so whether it runs with a team.
  store.update(() => {
    for (const p of plan.phases) {
      const pr = store.phase(p.number);
      if (pr.status === 'pending' && pr.step === 'start') pr.team = p.header.tasks.length >= options.teamMinTasks;
    }
  });
  let order;
  try {
    order = phaseOrder(plan.phases);
  } catch (e) {
    return { status: 'halted', reason: `${(e as Error).message}: ${plan.phases.map((p) => `${p.number} after [${p.header.depends_on.join(', ')}]`).join('; ')}` };
  }
  const ic: ImplementContext = {
    session,
    store,
    repoRoot,
    runDir: store.state.runDir,
    worktreesDir: paths.worktrees,
    integrationWt: paths.integrationWorktree,
    testCommand: planTestCommand(config),
    options,
  };
  for (const [index, phase] of order.entries()) {
    if (store.phase(phase.number).status === 'done') continue;
    // A phase before this one may have added a dependency: installed again before this phase's worktree gets them.
    const reinstallFailed = await installPlanDependencies(session, store, paths.integrationWorktree);
    if (reinstallFailed) return { status: 'halted', reason: reinstallFailed };
    try {
      await runPhase(ic, phase, index);
    } catch (e) {
      if (session.signal.aborted) throw e;
      store.update(() => (store.phase(phase.number).status = 'failed'));
      session.emit({ type: 'phase-status', phase: String(phase.number).padStart(2, '0'), status: 'failed', detail: (e as Error).message });
      return { status: 'halted', reason: (e as Error).message };
    }
  }
  return shipStep({ session, store, integrationWt: paths.integrationWorktree, worktreesDir: paths.worktrees, testCommand: ic.testCommand, gate, makeChanges: (feedback, round) => makeShipChanges(ic, feedback, round) });
}

/** A phased plan has no modules.json toolchain: its test gates run `integrationTestCommand`, else `node --test`. */
function planTestCommand(config: PipelineConfig): string {
  return config.integrationTestCommand ?? 'node --test';
}

/**
 * Said before any phase is judged by the test gates: when the repository's files say it is tested
 * some other way than the gates' command, and when it declares dependencies that no install command
 * is known for (its worktrees would be fresh checkouts without node_modules or a virtual environment).
 */
function warnAboutTesting(session: ModelSession, codeRoot: string, config: PipelineConfig): void {
  const command = planTestCommand(config);
  const other = config.integrationTestCommand === undefined ? testedOtherwise(codeRoot) : undefined;
  session.emit({ type: 'log', level: 'info', message: `test gates: \`${command}\`${config.integrationTestCommand === undefined ? ' (integrationTestCommand is unset)' : ' (integrationTestCommand)'}` });
  if (other) session.emit({ type: 'log', level: 'warn', message: `this repository looks tested by ${other}, but the test gates run \`${command}\`: set integrationTestCommand (.build-pipeline.json or the VS Code setting) to the command that runs its whole suite` });
  // The setting is trusted to cover every manifest; the lockfile's install covers package.json alone.
  const covered = config.planInstallCommand !== undefined ? () => true : (f: string) => f === 'package.json' && nodeInstallCommand(codeRoot) !== undefined;
  const uncovered = declaredDependencyFiles(codeRoot).filter((f) => !covered(f));
  if (uncovered.length) {
    session.emit({ type: 'log', level: 'warn', message: `${uncovered.join(' and ')} declare${uncovered.length === 1 ? 's' : ''} dependencies and no install command is known for them: set planInstallCommand (.build-pipeline.json or the VS Code setting), or the phases' fresh worktrees will not have them and tests that need them fail there` });
  }
}

/** T2: plans of 3+ phases need a flow audit; Major blocks, Significant asks a person, Ready goes on. */
async function auditGate(session: ModelSession, store: ImplementStore, plan: Plan, repoRoot: string, gate: PlanGate): Promise<Outcome | undefined> {
  const decided = store.state.audit;
  if (decided && (decided.decision === 'approved' || decided.decision === 'not-needed')) return undefined;
  if (plan.phases.length < AUDIT_MIN_PHASES) {
    store.update((s) => (s.audit = { skipped: true, reasons: [], decision: 'not-needed' }));
    session.emit({ type: 'audit', verdict: `skipped (${plan.phases.length} phase${plan.phases.length === 1 ? '' : 's'})`, reasons: [] });
    return undefined;
  }
  const { audit, reused } = await runFlowAudit(session, plan, repoRoot);
  if (!reused && audit.contextBytes > 0) store.update((s) => recordContext(s.orchestrator, 'flow audit', audit.contextBytes));
  if (reused) session.emit({ type: 'audit', verdict: `${audit.verdict} (stored audit of this plan version, ${audit.at})`, reasons: audit.reasons });
  const base = { skipped: false, verdict: audit.verdict, reasons: audit.reasons };
  if (audit.verdict === 'Ready') {
    store.update((s) => (s.audit = { ...base, decision: 'not-needed' }));
    return undefined;
  }
  if (audit.verdict === 'Major Restructuring Needed') {
    store.update((s) => (s.audit = { ...base, decision: 'blocked' }));
    return { status: 'halted', reason: `flow audit: Major Restructuring Needed — ${audit.reasons.join('; ')}` };
  }
  const given = await askUnlessCancelled(gate, { gate: 'flow-audit', title: `Flow audit: Significant Issues in ${path.basename(plan.dir)}`, summary: audit.reasons.map((r) => `- ${r}`).join('\n') }, session.signal, 'later');
  // Changes to the plan are the user's to make in the plan folder: asked for here, the run waits.
  const answer = typeof given === 'string' ? given : 'later';
  session.emit({ type: 'gate', gate: 'flow-audit', decision: answer, detail: audit.reasons.join('; ') });
  const decision = answer === 'approve' ? 'approved' : answer === 'reject' ? 'rejected' : 'later';
  store.update((s) => (s.audit = { ...base, decision }));
  if (answer === 'approve') return undefined;
  if (answer === 'reject') return { status: 'halted', reason: `flow audit: Significant Issues, rejected — ${audit.reasons.join('; ')}` };
  return { status: 'awaiting-approval', reason: `flow audit: Significant Issues await a decision — ${audit.reasons.join('; ')}` };
}
