/**
 * The end of a run whose engine process died (killed, out of memory, crashed) before it could say so:
 * no `stage-ended` or `run-ended` ever arrives, and the views kept showing the run and its stages as
 * running while Start was already offered again. These are the events the engine would have sent for
 * a halted run, made from the last state the window had, so every view ends the run the same way.
 */
import type { RunState } from '../../core/contracts/schemas';
import type { PipelineEvent } from '../../core/events';

export function lostRunEnd(last: RunState, reason: string): { events: PipelineEvent[]; state: RunState } {
  const events: PipelineEvent[] = [
    ...last.stages.filter((s) => s.status === 'running').map((s): PipelineEvent => ({ type: 'stage-ended', stage: s.id, status: 'failed', detail: reason })),
    { type: 'run-ended', runId: last.runId, status: 'halted', reason },
  ];
  const state: RunState = {
    ...last,
    status: 'halted',
    haltReason: reason,
    stages: last.stages.map((s) => (s.status === 'running' ? { ...s, status: 'failed', detail: reason } : s)),
  };
  return { events, state };
}
