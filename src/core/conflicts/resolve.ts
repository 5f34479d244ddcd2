/**
 * The contract-conflict protocol inside the build stage (M13): a blocked module opens a conflict
 * record; the master evaluates it; the human decides at the conflict gate (approve = accept the
 * recommendation, changes = the master reconsiders with the feedback, reject = the run stops, later
 * = the run waits and resumes at the gate); an approved resolution is applied (apply.ts) and the
 * paused module resumes with the decision as input. Every state lives in the record on disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GateAnswer } from '../api';
import { askHuman } from '../gates/askHuman';
import type { BuilderOutcome } from '../contracts/schemas';
import type { PipelineContext, StageResult } from '../stages/context';
import { applyResolution, resolutionText } from './apply';
import { evaluateConflict } from './evaluate';
import { conflictGateView, proposalPath } from './proposal';
import { CONTRACTS_REL } from '../stages/contracts';
import { writeFileAtomic } from '../run/runDir';
import { listRecords, recordPath, saveRecord, type ConflictRecord } from './resolution';
import { scrubJson } from '../run/scrub';

/** How often the human may send a recommendation back before the gate only offers approve/reject. */
const MAX_FEEDBACK_ROUNDS = 3;

/** Called when a builder reports blocked: the record the rest of the protocol works from. */
export function openConflict(ctx: PipelineContext, module: string, outcome: BuilderOutcome, reportPath: string | undefined): void {
  const issue = outcome.conflict_issue ?? 'contract';
  const report = reportPath && fs.existsSync(reportPath) ? fs.readFileSync(reportPath, 'utf8') : `${outcome.summary}\n\n${outcome.conflict_details ?? ''}`;
  const existing = listRecords(ctx.store.paths.conflicts).find((r) => r.module === module && r.issue === issue);
  if (existing && existing.status !== 'consumed') return;
  saveRecord(ctx.store.paths.conflicts, {
    module,
    issue: existing ? `${issue}-${Date.now().toString(36)}` : issue,
    reportPath: reportPath ?? recordPath(ctx.store.paths.conflicts, module, issue),
    report,
    status: 'open',
    appliedChanges: 0,
    notified: [],
    feedback: [],
    openedAt: new Date().toISOString(),
  });
}

/** The decision a resumed builder gets, once; marks the record consumed. */
export function takeResolution(ctx: PipelineContext, module: string): string | undefined {
  const record = listRecords(ctx.store.paths.conflicts).find((r) => r.module === module && r.status === 'resolved');
  if (!record) return undefined;
  record.status = 'consumed';
  saveRecord(ctx.store.paths.conflicts, record);
  return resolutionText(record);
}

export function hasOpenConflicts(ctx: PipelineContext): boolean {
  return listRecords(ctx.store.paths.conflicts).some((r) => ['open', 'evaluated', 'approved'].includes(r.status));
}

/** Works every unsettled conflict as far as it can go; a result means the stage stops here. */
export async function settleConflicts(ctx: PipelineContext): Promise<StageResult | undefined> {
  for (const record of listRecords(ctx.store.paths.conflicts)) {
    for (;;) {
      if (record.status === 'rejected') return { status: 'halted', reason: `contract conflict ${record.module}-${record.issue}: the resolution was rejected${record.decision?.reason ? ` (${record.decision.reason})` : ''}` };
      if (record.status === 'resolved' || record.status === 'consumed') break;
      if (record.status === 'open') {
        const resolution = await evaluateConflict(ctx, record);
        if (!resolution) return { status: 'halted', reason: `contract conflict ${record.module}-${record.issue}: the master gave no resolution` };
        // Its words reach the contracts, the audit trail and brain notices, which ship with the code.
        record.resolution = scrubJson(resolution, ctx.store.scrub);
        record.status = 'evaluated';
        saveRecord(ctx.store.paths.conflicts, record);
        continue;
      }
      if (record.status === 'evaluated') {
        const answer = await askConflictGate(ctx, record);
        if (answer.decision === 'later') return { status: 'awaiting-approval', gate: 'conflict' };
        if (answer.decision === 'changes' && record.feedback.length < MAX_FEEDBACK_ROUNDS) {
          record.feedback.push(answer.feedback);
          record.status = 'open';
        } else if (answer.decision === 'reject' || answer.decision === 'changes') {
          record.decision = { decision: 'reject', by: ctx.approver, at: new Date().toISOString(), reason: answer.decision === 'reject' ? answer.reason : 'too many rounds of changes' };
          record.status = 'rejected';
        } else {
          record.decision = { decision: 'approve', by: ctx.approver, at: new Date().toISOString() };
          record.status = 'approved';
        }
        saveRecord(ctx.store.paths.conflicts, record);
        continue;
      }
      // approved: carry it out (each step is recorded, so a resumed run continues where it stopped).
      await applyResolution(ctx, record);
      ctx.store.update((s) => {
        const m = s.modules.find((x) => x.name === record.module);
        if (m && m.status === 'blocked') {
          m.status = 'pending';
          m.detail = `conflict resolved (${record.adr}); resuming`;
        }
      });
      ctx.store.emit({ type: 'module-status', module: record.module, status: 'pending', detail: `conflict resolved (${record.adr}); resuming` });
    }
  }
  return undefined;
}

async function askConflictGate(ctx: PipelineContext, record: ConflictRecord): Promise<GateAnswer> {
  const res = record.resolution!;
  const view = conflictGateView(record, ctx.contracts().locks, path.join(ctx.store.paths.integrationWorktree, CONTRACTS_REL));
  // The full proposal (new values beside the ones they replace) is what the gate opens; the builder's
  // report is at its end.
  const openPath = proposalPath(ctx.store.paths.conflicts, record);
  writeFileAtomic(openPath, view.markdown);
  const title = `Contract conflict in ${record.module}: the master recommends ${res.recommendation === 'flex-contract' ? 'changing the contract' : 'that the builder adapts'}`;
  return askHuman(ctx, { gate: 'conflict', title, summary: view.summary, openPath });
}
