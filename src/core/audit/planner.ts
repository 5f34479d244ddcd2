/**
 * The planning call: one agent looks at the repository (read, glob, grep in a throwaway tree) and
 * the request, and submits 3–5 domains × 3–8 workers through `submit_audit_plan`; the schema and the
 * required domains (Stage 5's four) are enforced by the tool, so a bad plan is sent back, not run.
 */
import { createThrowawayTree, removeThrowawayTree } from '../git';
import * as path from 'node:path';
import type { AuditPlan } from './schemas';
import { MAX_DOMAINS, MAX_WORKERS, MIN_DOMAINS, MIN_WORKERS } from './schemas';
import { runSubmittingAgent, type AuditHost, type SubmittingAgentOutcome } from './host';
import { submitPlanTool, treeTools } from './tools';
import type { AuditStore } from './state';

export async function planAudit(host: AuditHost, audit: AuditStore, stage: string): Promise<AuditPlan> {
  if (audit.state.plan) return audit.state.plan;
  const agentId = `audit-planner-${stage}`;
  const tree = await createThrowawayTree(host.repoRoot, path.join(audit.dirs.trees, `audit-planner`), audit.state.commit);
  const workerTier = host.config.roleTiers.auditWorker;
  let out: SubmittingAgentOutcome<AuditPlan>;
  try {
    out = await runSubmittingAgent<AuditPlan>(host, {
      agentId,
      role: 'audit-planner',
      stage,
      tools: (slot, observe) => [...treeTools({ tree, bash: false, agentName: 'audit-planner', host }, observe), submitPlanTool(slot, audit.state.requiredDomains, observe)],
      vars: {
        request: audit.state.request,
        tree,
        required_domains: audit.state.requiredDomains.join(', ') || 'none',
        min_domains: MIN_DOMAINS,
        max_domains: MAX_DOMAINS,
        min_workers: MIN_WORKERS,
        max_workers: MAX_WORKERS,
        wave_size: host.config.waveLimits[workerTier],
      },
      nudge: 'You have not submitted a plan the engine accepted. Call submit_audit_plan now.',
    });
  } finally {
    await removeThrowawayTree(host.repoRoot, tree).catch(() => undefined);
  }
  if (out.failure !== undefined) throw new Error(`the audit planner failed: ${out.failure}`);
  const plan = out.submitted;
  if (!plan) throw new Error('the audit planner ended without an accepted plan');
  audit.update((s) => {
    s.plan = plan;
    s.workers = plan.domains.flatMap((d) =>
      d.workers.map((w, i) => ({ id: `${d.name}-${i + 1}`, domain: d.name, index: i + 1, focus: w.focus, paths: w.paths, status: 'pending' as const, findings: [] })),
    );
    s.coordinators = plan.domains.map((d) => ({ domain: d.name, status: 'pending' as const, missing: [], unfinished: [] }));
  });
  host.store.emit({ type: 'log', level: 'info', message: `audit plan: ${plan.domains.map((d) => `${d.name} × ${d.workers.length}`).join(', ')}` });
  return plan;
}
