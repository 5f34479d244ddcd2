/**
 * What the Plans and Team trees show, read from disk (no vscode here, so it is unit-testable): the
 * plan folders under `.orchestration/plans/`, each with the latest implement run of it (phase status,
 * dependencies, audit verdict, review state), and the teammates of a run (role, state, task, tokens).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readPlan } from '../../core/plans/parse';
import { PLANS_REL } from '../../core/plans/schema';
import { isRunId } from '../../core/run/runDir';
import { Roster } from '../../core/teams/roster';
import { readImplementState, STATE_FILE, nn, type ImplementState } from '../../core/teams/state';

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

/** The newest implement run of each plan folder. */
export function latestRuns(runsRoot: string): Map<string, ImplementState> {
  const byPlan = new Map<string, ImplementState>();
  if (!fs.existsSync(runsRoot)) return byPlan;
  for (const id of fs.readdirSync(runsRoot).filter(isRunId).sort()) {
    const file = path.join(runsRoot, id, STATE_FILE);
    if (!fs.existsSync(file)) continue;
    try {
      const s = readImplementState(file);
      byPlan.set(s.planDir, s);
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
      phases,
    });
  }
  return out;
}

export function readTeamModel(runDir: string): TeamPhaseNode[] {
  const teamRoot = path.join(runDir, 'team');
  if (!fs.existsSync(teamRoot)) return [];
  return fs
    .readdirSync(teamRoot)
    .filter((d) => /^phase-\d\d$/.test(d))
    .sort()
    .map((d) => {
      const phase = d.slice('phase-'.length);
      const roster = Roster.open(path.join(teamRoot, d, 'roster.json'));
      const mates: MateNode[] = roster.teammates.map((t) => ({
        kind: 'mate',
        phase,
        name: t.name,
        role: t.role,
        state: t.state,
        task: t.task,
        tokens: t.usage.input + t.usage.output + t.usage.cacheRead + t.usage.cacheWrite,
      }));
      return { kind: 'team-phase' as const, phase, mates };
    });
}

export function phaseLabel(p: PhaseNode): string {
  return `${nn(p.number)} ${p.title}`;
}
