/**
 * What the Plans, Team and Tasks trees show, read from disk (no vscode here, so it is unit-testable):
 * the plan folders under `.orchestration/plans/`, each with the latest implement run of it (phase
 * status, dependencies, audit verdict, review state), the teammates of a run (role, state, task,
 * tokens), and each team phase's shared task list with its claims.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readPlan } from '../../core/plans/parse';
import { PLANS_REL } from '../../core/plans/schema';
import { isRunId } from '../../core/run/runDir';
import { Roster } from '../../core/teams/roster';
import { TaskList } from '../../core/teams/taskList';
import { teamDirsOf } from '../../core/teams/teamFiles';
import { newestFirst, readImplementState, STATE_FILE, nn, type ImplementState } from '../../core/teams/state';

export interface PhaseNode {
  kind: 'phase';
  number: number;
  title: string;
  status: string;
  dependsOn: number[];
  tasks: number;
  review?: string;
}

export interface PlanNode {
  kind: 'plan';
  dir: string;
  title: string;
  problems: number;
  audit?: string;
  runId?: string;
  runDir?: string;
  runStatus?: string;
  /** Why the latest run halted (or what it awaits). */
  runReason?: string;
  /** The latest run is of the plan as it is now (same hash): only such a run is resumed. */
  runOfThisVersion?: boolean;
  phases: PhaseNode[];
}

export interface MateNode {
  kind: 'mate';
  phase: string;
  name: string;
  role: string;
  state: string;
  task?: string;
  tokens: number;
}

export interface TeamPhaseNode {
  kind: 'team-phase';
  phase: string;
  mates: MateNode[];
}

export interface TaskNode {
  kind: 'task';
  phase: string;
  id: string;
  title: string;
  /** build, validate, fix, fix-tests */
  taskKind: string;
  role: string;
  status: string;
  claimedBy?: string;
  dependsOn: string[];
  /** Validate tasks: whether the work passed. */
  ok?: boolean;
  releases: number;
}

export interface TaskPhaseNode {
  kind: 'task-phase';
  phase: string;
  tasks: TaskNode[];
}

/** A plan gate waiting for the human (flow audit's Significant Issues, and any later plan gate). */
export interface PlanGateNode {
  kind: 'plan-gate';
  gate: string;
  title: string;
  summary: string;
}

/** The newest implement run of each plan folder. */
export function latestRuns(runsRoot: string): Map<string, ImplementState> {
  const byPlan = new Map<string, ImplementState>();
  if (!fs.existsSync(runsRoot)) return byPlan;
  for (const id of fs.readdirSync(runsRoot).filter(isRunId).sort()) {
    const file = path.join(runsRoot, id, STATE_FILE);
    if (!fs.existsSync(file)) continue;
    try {
      const s = readImplementState(file);
      const known = byPlan.get(s.planDir);
      if (!known || newestFirst(s, known) < 0) byPlan.set(s.planDir, s);
    } catch {
      // a damaged run is not shown
    }
  }
  return byPlan;
}

function reviewState(p: ImplementState['phases'][number]): string | undefined {
  if (p.reviewRounds === 0) return undefined;
  const open = p.reviewItems.filter((i) => i.processing === 'unresolved').length;
  return `review ${p.firstReviewPassed ? 'passed first time' : `${p.reviewRounds} rounds`}${p.reviewItems.length ? `, ${p.reviewItems.length} item(s)` : ''}${open ? `, ${open} unresolved` : ''}`;
}

export function readPlansModel(repoRoot: string, runsRoot: string): PlanNode[] {
  const root = path.join(repoRoot, PLANS_REL);
  if (!fs.existsSync(root)) return [];
  const runs = latestRuns(runsRoot);
  const out: PlanNode[] = [];
  for (const name of fs.readdirSync(root).sort()) {
    const dir = path.join(root, name);
    if (!fs.existsSync(path.join(dir, 'plan.md'))) continue;
    const { plan, problems } = readPlan(dir);
    const run = runs.get(dir);
    const phases: PhaseNode[] = (plan?.phases ?? []).map((ph) => {
      const pr = run?.phases.find((x) => x.number === ph.number);
      return { kind: 'phase', number: ph.number, title: ph.header.title, status: pr?.status ?? 'not started', dependsOn: ph.header.depends_on, tasks: ph.header.tasks.length, review: pr ? reviewState(pr) : undefined };
    });
    out.push({
      kind: 'plan',
      dir,
      title: plan?.title ?? name,
      problems: problems.length,
      audit: run?.audit ? (run.audit.skipped ? 'audit skipped' : `${run.audit.verdict ?? ''} (${run.audit.decision})`) : undefined,
      runId: run?.runId,
      runDir: run?.runDir,
      runStatus: run?.status,
      runReason: run?.haltReason,
      runOfThisVersion: !!run && !!plan && run.planHash === plan.hash,
      phases,
    });
  }
  return out;
}

/**
 * One row per team of a run, phases in order and then the ship team (`phase` "ship": the builder of
 * the changes asked at the ship gate); `build` reads what it shows from the team's folder.
 */
function teamRows<T>(runDir: string, build: (phase: string, teamDir: string) => T): T[] {
  return teamDirsOf(runDir).map(({ phase, dir }) => build(phase, dir));
}

export function readTeamModel(runDir: string): TeamPhaseNode[] {
  return teamRows(runDir, (phase, dir) => ({
    kind: 'team-phase' as const,
    phase,
    mates: Roster.open(path.join(dir, 'roster.json')).teammates.map((t): MateNode => ({
      kind: 'mate',
      phase,
      name: t.name,
      role: t.role,
      state: t.state,
      task: t.task,
      tokens: t.usage.input + t.usage.output + t.usage.cacheRead + t.usage.cacheWrite,
    })),
  }));
}

/** Each team's shared task list (`team/phase-NN/tasks.json`, `team/ship/tasks.json`): status, who claimed what, dependencies. */
export function readTaskModel(runDir: string): TaskPhaseNode[] {
  return teamRows(runDir, (phase, dir) => ({
    kind: 'task-phase' as const,
    phase,
    tasks: TaskList.open(path.join(dir, 'tasks.json')).tasks.map((t): TaskNode => ({
      kind: 'task',
      phase,
      id: t.id,
      title: t.title,
      taskKind: t.kind,
      role: t.role,
      status: t.status,
      claimedBy: t.claimedBy,
      dependsOn: [...t.depends_on],
      ok: t.ok,
      releases: t.releases,
    })),
  }));
}

/** The description of a task row: status and claim first, since that is what changes while a team works. */
export function taskDescription(t: TaskNode): string {
  const claim = t.status === 'claimed' && t.claimedBy ? `claimed by ${t.claimedBy}` : t.status === 'complete' && t.claimedBy ? `done by ${t.claimedBy}` : t.status;
  const verdict = t.ok === undefined ? undefined : t.ok ? 'passed' : 'rejected';
  return [claim, t.taskKind, verdict, t.dependsOn.length ? `after ${t.dependsOn.join(', ')}` : undefined, t.releases ? `released ${t.releases}×` : undefined].filter(Boolean).join(' · ');
}

/** A Team or Tasks tree row for one team folder: a phase number, or the ship gate's changes team. */
export function teamPhaseLabel(phase: string): string {
  return phase === 'ship' ? 'Ship changes' : `Phase ${phase}`;
}

export function phaseLabel(p: PhaseNode): string {
  return `${nn(p.number)} ${p.title}`;
}

export interface RunChoice {
  label: string;
  description: string;
  fresh: boolean;
}

/**
 * Implement Plan on a plan whose latest run halted: resume it (another try at what halted it, as the
 * CLI's `implement` does) or start afresh (`--fresh`), the halted run left as it was. Nothing to ask
 * for any other state (a waiting or stopped run is resumed, a finished or absent one starts anew), nor
 * when the plan was edited since (it starts a new run).
 */
export function runChoicesFor(node: Pick<PlanNode, 'runId' | 'runStatus' | 'runReason' | 'runOfThisVersion'>): RunChoice[] | undefined {
  // An edited plan starts a new run whatever is chosen: nothing to ask.
  if (node.runStatus !== 'halted' || !node.runId || !node.runOfThisVersion) return undefined;
  const why = (node.runReason ?? '').replace(/\s+/g, ' ').slice(0, 160);
  return [
    { label: `Resume run ${node.runId}`, description: `another try at what halted it${why ? `: ${why}` : ''}`, fresh: false },
    { label: 'Start afresh', description: `a new run of the plan; run ${node.runId} is left as it was, with its branches`, fresh: true },
  ];
}
