/**
 * One audit worker: a throwaway tree of the audited commit (its shell's changes vanish with it), the
 * read-only tools, a write tool for its own findings file and nothing else, and `submit_findings`.
 * It counts as done only when its file ends with the DONE line and it submitted its findings; the
 * engine decides that from the file, not from what the worker says.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createThrowawayTree, removeThrowawayTree } from '../git';
import { normalizeRepoPath, type WorkerReport, type WorkerState } from './schemas';
import { runSubmittingAgent, type AuditHost, type SubmittingAgentOutcome } from './host';
import { ownFileWriteTool, submitFindingsTool, treeTools } from './tools';
import type { AuditStore } from './state';
import { classifyFile, endsWithDone, workerFile } from './workerFile';

export async function runWorker(host: AuditHost, audit: AuditStore, worker: WorkerState, stage: string): Promise<WorkerState> {
  const file = workerFile(audit.dirs.workers, worker.id);
  // A rerun starts clean: a stale half-written file from a killed attempt must not count.
  fs.rmSync(file, { force: true });
  const domain = audit.state.plan?.domains.find((d) => d.name === worker.domain);
  const agentId = `audit-worker-${worker.id}`;
  const treePath = path.join(audit.dirs.trees, `audit-${worker.id}`);
  await removeThrowawayTree(host.repoRoot, treePath).catch(() => undefined);
  fs.rmSync(treePath, { recursive: true, force: true });
  const tree = await createThrowawayTree(host.repoRoot, treePath, audit.state.commit);
  let out: SubmittingAgentOutcome<WorkerReport>;
  try {
    out = await runSubmittingAgent<WorkerReport>(host, {
      agentId,
      role: 'audit-worker',
      stage,
      tools: (slot, observe) => [
        ...treeTools({ tree, bash: true, agentName: agentId, host }, observe),
        ...ownFileWriteTool(file, agentId, host.config.bashTimeoutMs, observe),
        submitFindingsTool(slot, observe),
      ],
      vars: {
        request: audit.state.request,
        domain: worker.domain,
        domain_goal: domain?.goal ?? worker.domain,
        worker_id: worker.id,
        focus: worker.focus,
        paths: worker.paths.join(', ') || 'the whole repository',
        findings_file: file,
        tree,
      },
      isComplete: (submitted) => submitted !== undefined && fs.existsSync(file) && endsWithDone(fs.readFileSync(file, 'utf8')),
      nudge:
        `Your findings file ${file} does not end with the line <!-- DONE --> yet, or you have not called submit_findings. ` +
        'Finish both now, then answer with one sentence.',
    });
  } finally {
    await removeThrowawayTree(host.repoRoot, tree).catch((e: Error) =>
      host.store.emit({ type: 'log', level: 'warn', message: `could not remove throwaway tree ${tree}: ${e.message}` }),
    );
  }
  const sentence = out.finalText === undefined ? undefined : oneSentence(out.finalText);
  let detail = out.failure?.slice(0, 300);
  let status = classifyFile(file);
  if (status === 'done' && !out.submitted) {
    status = 'unfinished';
    detail ??= 'its file ends with DONE but it never submitted its findings';
  }
  const settled: WorkerState = {
    ...worker,
    status,
    sentence,
    // Findings of a worker that did not finish never reach the report.
    findings: status === 'done' ? (out.submitted?.findings ?? []).map((f) => ({ ...f, file: normalizeRepoPath(f.file) })) : [],
    detail: status === 'missing' ? (detail ?? 'no findings file') : status === 'unfinished' ? (detail ?? 'its file has no DONE line') : undefined,
  };
  audit.update((s) => {
    const i = s.workers.findIndex((w) => w.id === worker.id);
    s.workers[i] = settled;
  });
  host.store.emit({ type: 'audit-worker', id: worker.id, domain: worker.domain, status, findings: settled.findings.length });
  return settled;
}

function oneSentence(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  const m = /^.{1,300}?[.!?](\s|$)/.exec(t);
  return (m ? m[0] : t).trim().slice(0, 300);
}
