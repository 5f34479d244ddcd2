/**
 * The review of the plan itself (T3), after the flow audit and before any phase runs. A read-only
 * reviewer reads the plan against the code it will change and returns structured findings; they are
 * processed by the same acceptance rules as a code review (teams/acceptance.ts): Critical and High
 * block until the planner has revised the plan, Medium and Low are revised unless judged
 * hallucinated or cosmetic, with the judgement and its reason in the plan's review file.
 *
 * The run revises its own copy of the plan (`<run>/plan/`, written when the run started), never the
 * user's folder: the user's working tree is not touched by `implement`, and the copy is what the
 * phases then implement. A revision must leave the plan well formed with the same phase files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BetaMessageParam } from '@anthropic-ai/sdk/resources/beta';
import { runAgent } from '../agents/runAgent';
import { agentShellEnv } from '../agents/env';
import { fileTools, toolNames, type ResultSlot } from '../agents/tools';
import { agentLimitsFor } from '../config';
import { loadTemplate, renderPrompt } from '../prompts';
import { writeFileAtomic } from '../run/runDir';
import { blockedRounds, processReviewRounds, roundRecorded } from '../teams/acceptance';
import { judgeFinding, reviewFileText, submitReviewTool, type Finding, type ReviewSubmission } from '../teams/review';
import type { ImplementStore, ReviewItem } from '../teams/state';
import { BLOCKING_KINDS, checkPlanFlow, repoFilesAt } from './checks';
import { recordContext } from './context';
import { readPlan } from './parse';
import { formatPlanProblems, type Plan, type PlanProblem } from './schema';
import type { ModelSession } from './session';

/** The plan as the reviewer reads it; beyond this the files are cut (the reviewer is told). */
const PLAN_TEXT_BYTES = 48_000;

export interface PlanReviewContext {
  session: ModelSession;
  store: ImplementStore;
  /** The run's copy of the plan: what is reviewed, revised and then implemented. */
  planDir: string;
  /** The code at the commit the implementation starts from (the integration worktree). */
  codeRoot: string;
  reviewFile: string;
  maxRounds: number;
}

function numbered(text: string): string {
  return text
    .split('\n')
    .map((l, i) => `${i + 1}: ${l}`)
    .join('\n');
}

export function planFilesText(plan: Plan): string {
  const files = ['plan.md', ...plan.phases.map((p) => p.file)];
  let out = '';
  for (const f of files) {
    const block = `<plan-file name="${f}">\n${numbered(fs.readFileSync(path.join(plan.dir, f), 'utf8'))}\n</plan-file>\n\n`;
    if (Buffer.byteLength(out + block) > PLAN_TEXT_BYTES) {
      out += `(the remaining plan files are not shown: the plan is longer than ${PLAN_TEXT_BYTES} bytes; review what is shown)\n`;
      break;
    }
    out += block;
  }
  return out;
}

async function reviewPlan(pc: PlanReviewContext, plan: Plan, round: number): Promise<Finding[]> {
  const agentId = `plan-reviewer-${round}`;
  const observe = pc.session.observer(agentId);
  const slot: ResultSlot<ReviewSubmission> = {};
  const submit = submitReviewTool(slot, 'plan review', observe);
  const tools = [...fileTools(['read', 'glob', 'grep'], { workdir: pc.codeRoot, readOnlyRoots: [pc.codeRoot], env: agentShellEnv('reviewer'), bashTimeoutMs: pc.session.config.bashTimeoutMs }, observe), submit];
  const prompt = renderPrompt(loadTemplate('plan-reviewer'), {
    tools: toolNames(tools),
    round,
    plan_title: plan.title,
    phase_count: plan.phases.length,
    plan_files: planFilesText(plan),
  });
  await runAgent(
    {
      agentId,
      role: 'plan-reviewer',
      stage: 'plan-review',
      tier: 'sonnet',
      model: pc.session.modelFor('sonnet'),
      system: [prompt.system],
      task: prompt.task,
      tools,
      // A read-only reviewer grading work, like QC and the code reviewer: QC's limits.
      ...agentLimitsFor(pc.session.config, 'qc', 'sonnet'),
      isComplete: () => slot.value !== undefined,
      nudge: 'Call submit_review now with your findings (an empty list if there are none).',
    },
    pc.session.runtime(),
  );
  if (!slot.value) throw new Error('the plan reviewer ended without submitting a review');
  return slot.value.findings;
}

/** What a revision must not break: the format, the same phase files, no cycle or missing phase. */
async function revisionProblems(pc: PlanReviewContext, phaseFiles: readonly string[]): Promise<PlanProblem[]> {
  const read = readPlan(pc.planDir);
  const problems = read.problems.filter((p) => BLOCKING_KINDS.has(p.kind));
  if (!read.plan) return problems;
  const now = read.plan.phases.map((p) => p.file);
  if (now.join('\n') !== phaseFiles.join('\n')) problems.push({ kind: 'format', file: 'plan.md', message: `the phase files must stay ${phaseFiles.join(', ')} (now: ${now.join(', ') || 'none'})` });
  problems.push(...checkPlanFlow(read.plan, await repoFilesAt(pc.codeRoot)).filter((p) => p.kind === 'cycle' || p.kind === 'missing-phase'));
  return problems;
}

async function revisePlan(pc: PlanReviewContext, findings: Finding[], round: number, phaseFiles: readonly string[]): Promise<void> {
  const agentId = `plan-reviser-${round}`;
  const tools = fileTools(
    ['read', 'write', 'edit', 'glob', 'grep'],
    { workdir: pc.planDir, readOnlyRoots: [], writable: ['plan.md', 'phase-*.md'], env: agentShellEnv(agentId), bashTimeoutMs: pc.session.config.bashTimeoutMs },
    pc.session.observer(agentId),
  );
  const prompt = renderPrompt(loadTemplate('plan-reviser'), {
    tools: toolNames(tools),
    round,
    findings: findings.map((f) => `- (${f.severity}) ${f.file}:${f.line}: ${f.text}`).join('\n'),
  });
  let history: BetaMessageParam[] | undefined;
  const attempts = pc.session.config.architectRepairRounds + 1;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const result = await runAgent(
      {
        agentId: attempt === 0 ? agentId : `${agentId}-repair-${attempt}`,
        role: 'planner',
        stage: 'plan-review',
        tier: 'opus',
        model: pc.session.modelFor('opus'),
        system: [prompt.system],
        task: prompt.task,
        history,
        tools,
        // The planner's limits, as when it wrote the plan.
        ...agentLimitsFor(pc.session.config, 'architect', 'opus'),
      },
      pc.session.runtime(),
    );
    const problems = await revisionProblems(pc, phaseFiles);
    if (problems.length === 0) return;
    if (attempt + 1 >= attempts) throw new Error(`the planner's revision of the plan (review round ${round}) left it unusable:\n${formatPlanProblems(problems)}`);
    history = [
      ...result.messages,
      { role: 'user', content: `The engine checked the plan folder after your revision and found:\n<plan-problems>\n${formatPlanProblems(problems)}\n</plan-problems>\nFix every one of them, then end with one sentence.` },
    ];
  }
}

export async function runPlanReview(pc: PlanReviewContext): Promise<void> {
  const { store, session } = pc;
  const state = () => store.state.planReview!;
  if (!store.state.planReview) store.update((s) => (s.planReview = { rounds: 0, items: [], done: false }));
  const current = (): Plan => {
    const read = readPlan(pc.planDir);
    if (!read.plan) throw new Error(`the run's copy of the plan cannot be read:\n${formatPlanProblems(read.problems)}`);
    return read.plan;
  };
  const phaseFiles = current().phases.map((p) => p.file);
  const record = (item: ReviewItem) => {
    store.update(() => state().items.push(item));
    session.emit({ type: 'review-item', phase: 'plan', severity: item.severity, file: item.file, line: item.line, processing: item.processing, reason: item.reason });
  };
  fs.mkdirSync(path.dirname(pc.reviewFile), { recursive: true });
  const how = (round: number) => `revised by the planner after round ${round}`;
  // A revision a stopped process left unfinished is made again, from the plan as it left it, before
  // the next review: its findings are then recorded as fixed (`fixesInFlight`), none lost.
  const unfinished = state().revising;
  const recordedRound = (round: number) => roundRecorded(state().items, round);
  if (unfinished && unfinished.round === state().rounds && !recordedRound(unfinished.round)) {
    await revisePlan(pc, unfinished.findings, unfinished.round, phaseFiles);
  }
  await processReviewRounds({
    label: 'plan review',
    reviewFile: pc.reviewFile,
    maxRounds: pc.maxRounds,
    roundsDone: () => state().rounds,
    roundsBlocked: () => blockedRounds(state().items),
    startRound: (round, blocking) =>
      store.update(() => {
        state().rounds = round;
        if (round === 1) state().firstPassed = blocking === 0;
      }),
    review: (round) => reviewPlan(pc, current(), round),
    judge: async (f, i, round) => {
      const j = await judgeFinding(session, [pc.planDir, pc.codeRoot], f, `plan-judge-${round}-${i + 1}`);
      if (j.contextBytes !== undefined) store.update((s) => recordContext(s.orchestrator, `judge of the plan review round ${round} item ${i + 1}`, j.contextBytes!));
      return j;
    },
    fix: async (findings, round) => {
      store.update(() => (state().revising = { round, findings }));
      await revisePlan(pc, findings, round, phaseFiles);
      return findings.map(() => how(round));
    },
    fixesInFlight: (round) => {
      const r = state().revising;
      if (!r || r.round !== round || recordedRound(round)) return [];
      return r.findings.map((finding) => ({ finding, how: how(round) }));
    },
    record,
    writeReview: () => writeFileAtomic(pc.reviewFile, reviewFileText(`Plan review: ${current().title}`, state().items, state().rounds, state().firstPassed)),
  });
  store.update(() => {
    state().done = true;
    state().revising = undefined;
  });
}
