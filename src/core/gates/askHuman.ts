/**
 * Asking the human at a gate, the one way every gate does it (the stage gates of pipeline.ts and the
 * conflict gate of conflicts/resolve.ts): the run records that it waits and where, the front end
 * (CLI prompt, VS Code notification, `resume --yes`) answers, and a real decision is kept in the
 * run's gate history with who made it. "later" records nothing: the run stops at the gate and asks
 * again on resume.
 */
import type { GateAnswer, GateRequest } from '../api';
import type { PipelineContext } from '../stages/context';
import { askUnlessCancelled } from './unlessCancelled';

export async function askHuman(ctx: PipelineContext, request: Omit<GateRequest, 'runId'>): Promise<GateAnswer> {
  ctx.store.update((s) => (s.waitingGate = request.gate));
  ctx.store.emit({ type: 'gate-waiting', gate: request.gate, summary: request.title });
  const answer = await askUnlessCancelled(ctx.gate, { ...request, runId: ctx.store.state.runId }, ctx.signal, { decision: 'later' });
  if (answer.decision !== 'later') {
    const decision = {
      gate: request.gate,
      decision: answer.decision,
      feedback: answer.decision === 'changes' ? answer.feedback : answer.decision === 'reject' ? answer.reason : undefined,
      by: ctx.approver,
      at: new Date().toISOString(),
    };
    ctx.store.update((s) => {
      s.gates.push(decision);
      s.waitingGate = undefined;
    });
    ctx.store.emit({ type: 'gate-decided', decision });
  }
  return answer;
}
