/**
 * A standalone audit run (`build-pipeline audit`, "Build Pipeline: Audit") is a run like a build
 * run, with these four stages instead: the same store, journal, lock, resume and `status --json`.
 * It reads HEAD as it was when the run started and writes only inside the run directory.
 */
import type { PipelineContext, Stage } from '../stages/context';
import { planPhase, reportPhase, synthesisPhase, workersPhase, type FanoutInput } from './fanout';

function input(ctx: PipelineContext, stage: string): FanoutInput {
  return { root: ctx.store.paths.runDir, request: ctx.store.state.description, commit: ctx.store.state.baseCommit, stage };
}

export const AUDIT_STAGES: readonly Stage[] = [
  { id: 'audit-plan', title: 'Audit plan', run: async (ctx) => ({ status: 'done', detail: await planPhase(ctx, input(ctx, 'audit-plan')) }) },
  { id: 'audit-workers', title: 'Audit workers', run: async (ctx) => ({ status: 'done', detail: await workersPhase(ctx, input(ctx, 'audit-workers')) }) },
  { id: 'audit-synthesis', title: 'Audit synthesis', run: async (ctx) => ({ status: 'done', detail: await synthesisPhase(ctx, input(ctx, 'audit-synthesis')) }) },
  {
    id: 'audit-report',
    title: 'Audit report',
    run: async (ctx) => {
      const r = reportPhase(input(ctx, 'audit-report'), ctx.repoRoot);
      return { status: 'done', detail: `${r.counts.CRITICAL} critical, ${r.counts.MAJOR} major, ${r.counts.MINOR} minor → ${r.reportPath}` };
    },
  },
];
