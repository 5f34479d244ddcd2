/**
 * The stage list is data: each entry runs, may be followed by a human gate, and reports done,
 * halted or awaiting approval. Stages 1b (bootstrap), 5 (harden), 6 (ship) and 7 (curate) slot into
 * STAGES without touching the runner.
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
import { publishRunMemory } from './memory/runMemory';
import { ENGINE_AUTHOR } from './stages/context';
import { askHuman } from './gates/askHuman';

export const STAGES: readonly Stage[] = [architectStage, bootstrapStage, scaffoldStage, buildStage, assembleStage, hardenStage, shipStage, curateStage];

export type PipelineOutcome =
  | { status: 'succeeded' }
  | { status: 'halted'; reason: string }
  | { status: 'cancelled'; reason: string }
  | { status: 'awaiting-approval'; gate: string; reason?: string };

export async function runStages(ctx: PipelineContext, stages: readonly Stage[] = STAGES): Promise<PipelineOutcome> {
  // `stopAfter`: the run ends successfully after that stage; the stages after it are skipped, except
  // the one that closes every run, shipped or not (Stage 7 curate brings memory to the final state).
  let stopping = false;
  for (const stage of stages) {
    const st = ctx.store.stage(stage.id);
    if (stopping && !stage.closesRun) {
      skipStage(ctx, stage.id);
      continue;
    }
    if (st.status === 'done' || st.status === 'skipped') {
      if (stage.id === ctx.config.stopAfter) stopping = true;
      continue;
    }
    // A stage stopped at its gate (window closed, no TTY) resumes at the gate, not by redoing its work.
    let result: StageResult = st.status === 'waiting' ? { status: 'done' } : await runStage(ctx, stage);
    for (;;) {
      if (result.status !== 'done') break;
      if (!stage.gateAfter) break;
      const answer = await askGate(ctx, stage);
      if (answer.decision === 'approve') {
        if (stage.afterApproval) result = await runAfterApproval(ctx, stage);
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
    setStage(ctx, stage.id, 'done', result.detail);
    await publishMemory(ctx, stage);
    if (stage.id === ctx.config.stopAfter) stopping = true;
  }
  return { status: 'succeeded' };
}

/** The run's memory goes onto the integration branch after each finished stage (src/core/memory/runMemory.ts). */
async function publishMemory(ctx: PipelineContext, stage: Stage): Promise<void> {
  try {
    await publishRunMemory(ctx.store.paths.runDir, ctx.store.paths.integrationWorktree, ENGINE_AUTHOR, `after ${stage.title}`);
  } catch (e) {
    ctx.store.emit({ type: 'log', level: 'warn', message: `memory could not be committed after ${stage.title}: ${(e as Error).message}` });
  }
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

async function runStage(ctx: PipelineContext, stage: Stage, feedback?: string): Promise<StageResult> {
  ctx.store.update((s) => {
    const st = s.stages.find((x) => x.id === stage.id)!;
    st.status = 'running';
    st.startedAt ??= new Date().toISOString();
    st.endedAt = undefined;
    st.attempts++;
  });
  ctx.store.emit({ type: 'stage-started', stage: stage.id });
  try {
    return await stage.run(ctx, feedback);
  } catch (e) {
    if (AgentError.is(e, 'cancelled') || ctx.signal.aborted) return { status: 'halted', reason: String(ctx.signal.reason ?? 'cancelled') };
    return { status: 'halted', reason: (e as Error).message };
  }
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
