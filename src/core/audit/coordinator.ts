/**
 * One coordinator per domain: it reads its workers' files and writes `synthesis/<domain>.md`. The
 * engine has already classified every file (done, missing, unfinished) and the result tool accepts
 * only a synthesis that reports exactly those gaps; the synthesis file must name each of them. Its
 * short summary is all the top level ever sees of the domain.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CoordinatorState, Synthesis } from './schemas';
import { runSubmittingAgent, type AuditHost } from './host';
import { fanoutReadTools, ownFileWriteTool, submitSynthesisTool } from './tools';
import type { AuditStore } from './state';
import { endsWithDone, synthesisFile, workerFile } from './workerFile';

export async function runCoordinator(host: AuditHost, audit: AuditStore, domain: string, stage: string): Promise<CoordinatorState> {
  const workers = audit.state.workers.filter((w) => w.domain === domain);
  const missing = workers.filter((w) => w.status === 'missing').map((w) => w.id);
  const unfinished = workers.filter((w) => w.status === 'unfinished').map((w) => w.id);
  const file = synthesisFile(audit.dirs.synthesis, domain);
  fs.rmSync(file, { force: true });
  const agentId = `audit-coordinator-${domain}`;
  const rel = (p: string) => path.relative(audit.dirs.root, p).split(path.sep).join('/');
  const complete = (submitted: Synthesis | undefined) => {
    if (!submitted || !fs.existsSync(file)) return false;
    const text = fs.readFileSync(file, 'utf8');
    return endsWithDone(text) && [...missing, ...unfinished].every((id) => text.includes(id));
  };
  const out = await runSubmittingAgent<Synthesis>(host, {
    agentId,
    role: 'audit-coordinator',
    stage,
    tools: (slot, observe) => [
      ...fanoutReadTools(audit.dirs.root, agentId, host.config.bashTimeoutMs, observe),
      ...ownFileWriteTool(file, agentId, host.config.bashTimeoutMs, observe),
      submitSynthesisTool(slot, { missing, unfinished }, observe),
    ],
    vars: {
      request: audit.state.request,
      domain,
      domain_goal: audit.state.plan?.domains.find((d) => d.name === domain)?.goal ?? domain,
      worker_ids: workers.map((w) => w.id).join(', '),
      worker_files: workers.map((w) => rel(workerFile(audit.dirs.workers, w.id))).join(', '),
      // The engine's own classification, which the result tool holds the coordinator to: a worker can be
      // unfinished for a reason its file does not show (it wrote DONE but never submitted its findings).
      missing_workers: missing.join(', ') || 'none',
      unfinished_workers: unfinished.join(', ') || 'none',
      synthesis_file: file,
    },
    isComplete: complete,
    nudge:
      `Your synthesis ${file} must end with the line <!-- DONE -->, name every missing or unfinished worker, ` +
      'and you must call submit_synthesis. Finish now, then answer with one sentence.',
  });
  const ok = complete(out.submitted);
  const detail = out.failure?.slice(0, 300);
  const settled: CoordinatorState = {
    domain,
    status: ok ? 'done' : 'failed',
    summary: ok ? out.submitted!.summary : undefined,
    missing,
    unfinished,
    detail: ok ? undefined : (detail ?? 'the synthesis is missing, has no DONE line, or does not name every missing worker'),
  };
  audit.update((s) => {
    const i = s.coordinators.findIndex((c) => c.domain === domain);
    s.coordinators[i] = settled;
  });
  host.store.emit({ type: 'audit-synthesis', domain, status: settled.status, summary: settled.summary ?? settled.detail ?? '' });
  return settled;
}
