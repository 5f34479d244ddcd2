/**
 * The end of a run whose engine process died (killed, out of memory, crashed) before it could say so:
 * no `stage-ended` or `run-ended` ever arrives, and the views kept showing the run and its stages as
 * running while Start was already offered again. These are the events the engine would have sent for
 * a halted run, made from the last state the window had, so every view ends the run the same way.
 */
import type { ModuleStatus, RunState } from '../../core/contracts/schemas';
import type { PipelineEvent } from '../../core/events';

export function lostRunEnd(last: RunState, reason: string): { events: PipelineEvent[]; state: RunState } {
  const detail = reason.slice(0, 300);
  const cut = last.modules.filter((m) => IN_PROGRESS.has(m.status));
  const events: PipelineEvent[] = [
    // A module's agents died with the process: not building any more, its worktree no longer a
    // workspace folder (a stopped run releases them all; the worktree itself stays on disk).
    ...cut.map((m): PipelineEvent => ({ type: 'module-status', module: m.name, status: 'cancelled', detail })),
    ...last.modules.flatMap((m): PipelineEvent[] => (m.worktree ? [{ type: 'worktree-removed', module: m.name, path: m.worktree }] : [])),
    ...last.stages.filter((s) => s.status === 'running').map((s): PipelineEvent => ({ type: 'stage-ended', stage: s.id, status: 'failed', detail: reason })),
    { type: 'run-ended', runId: last.runId, status: 'halted', reason },
  ];
  const state: RunState = {
    ...last,
    status: 'halted',
    haltReason: reason,
    waitingGate: undefined,
    stages: last.stages.map((s) => (s.status === 'running' ? { ...s, status: 'failed', detail: reason } : s)),
    modules: last.modules.map((m) => ({ ...m, worktree: undefined, ...(IN_PROGRESS.has(m.status) ? { status: 'cancelled' as const, detail } : {}) })),
  };
  return { events, state };
}

const IN_PROGRESS = new Set<ModuleStatus>(['building', 'qc', 'fixing']);
