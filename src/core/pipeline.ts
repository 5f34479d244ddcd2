/**
 * The stage list is data: each entry runs, may be followed by a human gate, and reports done,
 * halted or awaiting approval. Stages 1b (bootstrap), 5 (harden), 7 (curate) and 6 (ship) slot into
 * STAGES without touching the runner. Curate runs before ship: the memory it brings to its final state
 * is then part of what the ship gate shows and merges into the user's branch (after the merge, a
 * commit on the integration branch never reaches the next run, which starts from the base branch).
 */
import type { GateAnswer } from './api';
import { architectStage } from './stages/architect';
import { scaffoldStage } from './stages/scaffold';
import { bootstrapStage } from './stages/bootstrap';
import { curateStage } from './stages/curate';
import { buildStage } from './stages/build';
import { assembleStage } from './stages/assemble';
import { hardenStage } from './stages/harden';
import { shipStage } from './stages/ship';
import type { PipelineContext, Stage, StageResult } from './stages/context';
import { AgentError } from './agents/runAgent';
import { publishStageMemory } from './stages/publishMemory';
import { askHuman } from './gates/askHuman';

export const STAGES: readonly Stage[] = [architectStage, bootstrapStage, scaffoldStage, buildStage, assembleStage, hardenStage, curateStage, shipStage];

export type PipelineOutcome =
  | { status: 'succeeded' }
  | { status: 'halted'; reason: string }
  | { status: 'cancelled'; reason: string }
  | { status: 'awaiting-approval'; gate: string; reason?: string };

export async function runStages(ctx: PipelineContext, allStages: readonly Stage[] = STAGES): Promise<PipelineOutcome> {
  const stages = inRecordedOrder(allStages, ctx.store.state.stages);
  // `stopAfter`: the run ends successfully after that stage; the stages after it are skipped, except
  // the one every run gets, shipped or not (Stage 7 curate brings memory to the final state).
  let stopping = false;
  for (let i = 0; i < stages.length; i++) {
    const stage = stages[i]!;
    const st = ctx.store.stage(stage.id);
    if (stopping && !stage.alwaysRuns) {
      skipStage(ctx, stage.id);
      continue;
    }
    if (st.status === 'done' || st.status === 'skipped') {
      if (stage.id === ctx.config.stopAfter) stopping = true;
      continue;
    }
    const alongside = streamingPartner(ctx, stage, stages[i + 1]);
    if (alongside) {
      const outcome = await runStreamingPair(ctx, stage, alongside);
      if (outcome) return outcome;
      i++;
      if (alongside.id === ctx.config.stopAfter) stopping = true;
      continue;
    }
    // A stage stopped at its gate (window closed, no TTY) resumes at the gate, not by redoing its work,
    // unless what its approval does had already happened (then the gate is not asked again).
    const settled = st.status === 'waiting' ? await stage.settledBeforeGate?.(ctx) : undefined;
    let result: StageResult = settled ?? (st.status === 'waiting' ? { status: 'done' } : await runStage(ctx, stage, feedbackInFlight(ctx, stage)));
    for (;;) {
      if (settled) break;
      if (result.status !== 'done') break;
      if (!stage.gateAfter) break;
      const answer = await askGate(ctx, stage);
      if (answer.decision === 'approve') {
        if (stage.afterApproval) result = await runAfterApproval(ctx, stage);
        if (result.status === 'halted') {
          // Stopped or failed after the approval, before what it does was done (the ship merge: a stop,
          // a git error): the stage's work stands, so it waits at its gate again and the resume asks
          // there, instead of a failed stage that the resume would do over (a second release preparation).
          const why = ctx.signal.aborted ? 'stopped after the approval, before it was carried out' : `the approval could not be carried out: ${result.reason}`;
          setStage(ctx, stage.id, 'waiting', `awaiting approval at the ${stage.gateAfter.id} gate: ${why}`);
          if (ctx.signal.aborted) return { status: 'cancelled', reason: String(ctx.signal.reason ?? result.reason) };
          return { status: 'halted', reason: `${stage.title}: ${result.reason} (its work stands: resume asks the ${stage.gateAfter.id} gate again)` };
        }
        break;
      }
      if (answer.decision === 'later') {
        setStage(ctx, stage.id, 'waiting', `awaiting approval at the ${stage.gateAfter.id} gate`);
        return { status: 'awaiting-approval', gate: stage.gateAfter.id };
      }
      if (answer.decision === 'reject') {
        result = { status: 'halted', reason: `rejected at the ${stage.gateAfter.id} gate${answer.reason ? `: ${answer.reason}` : ''}` };
        break;
      }
      result = await runStage(ctx, stage, answer.feedback);
    }
    const outcome = stageOutcome(ctx, stage, result);
    if (outcome) return outcome;
    setStage(ctx, stage.id, 'done', result.status === 'done' ? result.detail : undefined);
    await publishMemory(ctx, stage);
    if (stage.id === ctx.config.stopAfter) stopping = true;
  }
  return { status: 'succeeded' };
}

/**
 * The order a run's stages go in: the code's, unless that would run a stage the run has not begun
 * ahead of one it has already begun or finished in the order it was created with (the state lists the
 * stages in that order). A run stored before curate moved ahead of ship and waiting at its ship gate
 * therefore curates after the ship, as it began: curating first would commit on the integration
 * branch under the waiting gate and make it ask again. A stored run that has not reached ship yet
 * takes the new order, so its curated memory ships.
 */
export function inRecordedOrder(stages: readonly Stage[], recorded: readonly { id: string; status: string }[]): Stage[] {
  const at = (s: Stage) => {
    const i = recorded.findIndex((r) => r.id === s.id);
    return i < 0 ? recorded.length : i;
  };
  const begun = (s: Stage) => (recorded.find((r) => r.id === s.id)?.status ?? 'pending') !== 'pending';
  const overtakes = stages.some((a, i) => !begun(a) && stages.slice(i + 1).some((b) => begun(b) && at(b) < at(a)));
  if (!overtakes) return [...stages];
  return stages.map((s, i) => ({ s, i })).sort((a, b) => at(a.s) - at(b.s) || a.i - b.i).map((x) => x.s);
}

/**
 * The next stage when it streams from this one (assembly from the build) and can start now: it has
 * not finished, this stage has no gate after it, the run does not stop after this stage, and the
 * configuration does not turn streaming off.
 */
function streamingPartner(ctx: PipelineContext, stage: Stage, next: Stage | undefined): Stage | undefined {
  if (!next || next.streamsFrom !== stage.id || !next.runStreaming || stage.gateAfter) return undefined;
  if (!ctx.config.streamAssembly || ctx.config.stopAfter === stage.id || ctx.store.stage(stage.id).status === 'waiting') return undefined;
  const status = ctx.store.stage(next.id).status;
  return status === 'done' || status === 'skipped' ? undefined : next;
}

/**
 * Both stages run at once (the Stages tree and the CLI show both running). The upstream stage's
 * outcome comes first: when it halts or waits at a gate, the run does, and the downstream stage,
 * stopped only by that, goes back to pending and resumes with it. Memory is published once both ended,
 * since the downstream stage is still working in the integration worktree when the upstream one ends.
 */
async function runStreamingPair(ctx: PipelineContext, up: Stage, down: Stage): Promise<PipelineOutcome | undefined> {
  let endUpstream: () => void = () => undefined;
  const upstreamEnded = new Promise<void>((resolve) => (endUpstream = resolve));
  const upRun = runStage(ctx, up).finally(() => endUpstream());
  const downRun = runStage(ctx, down, undefined, (c) => down.runStreaming!(c, upstreamEnded));
  const [upResult, downResult] = await Promise.all([upRun, downRun]);
  if (upResult.status !== 'done') {
    if (downResult.status === 'done') setStage(ctx, down.id, 'done', downResult.detail);
    // A stop (cancel, FAIL-CRITICAL) is not the downstream stage's failure either.
    else if (downResult.status === 'halted' && !downResult.upstream && !ctx.signal.aborted) setStage(ctx, down.id, 'failed', downResult.reason);
    else backToPending(ctx, down.id, `stopped with ${up.title}; resumes with it`);
    return stageOutcome(ctx, up, upResult);
  }
  setStage(ctx, up.id, 'done', upResult.detail);
  const downOutcome = stageOutcome(ctx, down, downResult);
  await publishMemory(ctx, up);
  if (downOutcome) return downOutcome;
  setStage(ctx, down.id, 'done', downResult.status === 'done' ? downResult.detail : undefined);
  await publishMemory(ctx, down);
  return undefined;
}

/** A stage's halted or awaiting-approval result as the run's outcome (state written); undefined when it is done. */
function stageOutcome(ctx: PipelineContext, stage: Stage, result: StageResult): PipelineOutcome | undefined {
  if (result.status === 'halted') {
    setStage(ctx, stage.id, 'failed', result.reason);
    if (ctx.signal.aborted) return { status: 'cancelled', reason: String(ctx.signal.reason ?? result.reason) };
    return { status: 'halted', reason: `${stage.title}: ${result.reason}` };
  }
  if (result.status === 'awaiting-approval') {
    ctx.store.update((st) => (st.waitingGate = result.gate));
    if (result.reason) setStage(ctx, stage.id, 'waiting', result.reason);
    return { status: 'awaiting-approval', gate: result.gate, reason: result.reason };
  }
  return undefined;
}

function backToPending(ctx: PipelineContext, id: string, detail: string): void {
  ctx.store.update((s) => {
    const st = s.stages.find((x) => x.id === id)!;
    st.status = 'pending';
    st.detail = detail;
  });
  ctx.store.emit({ type: 'stage-ended', stage: id, status: 'pending', detail });
}

/** The run's memory goes onto the integration branch after each finished stage (stages/publishMemory.ts). */
function publishMemory(ctx: PipelineContext, stage: Stage): Promise<void> {
  return publishStageMemory(ctx, `after ${stage.title}`);
}

/** `stopAfter` reached: a stage still pending after it is marked skipped (and never run). */
function skipStage(ctx: PipelineContext, id: string): void {
  ctx.store.update((s) => {
    const st = s.stages.find((x) => x.id === id);
    if (st && st.status === 'pending') st.status = 'skipped';
  });
}

async function runAfterApproval(ctx: PipelineContext, stage: Stage): Promise<StageResult> {
  try {
    return await stage.afterApproval!(ctx);
  } catch (e) {
    if (AgentError.is(e, 'cancelled') || ctx.signal.aborted) return { status: 'halted', reason: String(ctx.signal.reason ?? 'cancelled') };
    return { status: 'halted', reason: (e as Error).message };
  }
}

async function runStage(ctx: PipelineContext, stage: Stage, feedback?: string, run: (ctx: PipelineContext) => Promise<StageResult> = (c) => stage.run(c, feedback)): Promise<StageResult> {
  ctx.store.update((s) => {
    const st = s.stages.find((x) => x.id === stage.id)!;
    st.status = 'running';
    st.startedAt ??= new Date().toISOString();
    st.endedAt = undefined;
    st.attempts++;
  });
  ctx.store.emit({ type: 'stage-started', stage: stage.id });
  try {
    return await run(ctx);
  } catch (e) {
    if (AgentError.is(e, 'cancelled') || ctx.signal.aborted) return { status: 'halted', reason: String(ctx.signal.reason ?? 'cancelled') };
    return { status: 'halted', reason: (e as Error).message };
  }
}

/**
 * The feedback of a "changes" answer whose revision a stop cut short: the stage's gate was last
 * answered with changes and the stage has not reached its gate again (a finished revision waits
 * there). The resumed stage revises with it; it used to start over without it, and the gate then
 * asked again as if the changes had been made.
 */
function feedbackInFlight(ctx: PipelineContext, stage: Stage): string | undefined {
  const gate = stage.gateAfter?.id;
  if (!gate) return undefined;
  const last = [...ctx.store.state.gates].reverse().find((g) => g.gate === gate);
  return last?.decision === 'changes' ? last.feedback : undefined;
}

async function askGate(ctx: PipelineContext, stage: Stage): Promise<GateAnswer> {
  const d = stage.gateAfter!.describe(ctx);
  setStage(ctx, stage.id, 'waiting', d.title);
  return askHuman(ctx, { gate: stage.gateAfter!.id, ...d });
}

function setStage(ctx: PipelineContext, id: string, status: 'done' | 'failed' | 'waiting', detail?: string): void {
  ctx.store.update((s) => {
    const st = s.stages.find((x) => x.id === id)!;
    st.status = status;
    st.detail = detail;
    if (status !== 'waiting') st.endedAt = new Date().toISOString();
  });
  ctx.store.emit({ type: 'stage-ended', stage: id, status, detail });
}
