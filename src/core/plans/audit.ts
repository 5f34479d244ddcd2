/**
 * The flow audit (SPEC T2), required before implementing a plan of 3 or more phases. Deterministic
 * checks first (checks.ts); then, unless those already demand a restructuring, an auditing agent
 * with a fresh, bounded context (the plan excerpt and the engine's findings, no tools but its
 * verdict) for what code cannot see. The verdict is stored with the hash of the plan it judged, so
 * an unchanged plan is not audited twice and a changed one always is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { runAgent } from '../agents/runAgent';
import { resultTool, toolNames, type ResultSlot } from '../agents/tools';
import { loadTemplate, renderPrompt } from '../prompts';
import { gitCommonDir } from '../git';
import { writeFileAtomic } from '../run/runDir';
import { checkPlanFlow, repoFilesAt } from './checks';
import type { Plan, PlanProblem } from './schema';
import type { ModelSession } from './session';
import { contextBytes } from './context';

export const AUDIT_VERDICTS = ['Ready', 'Significant Issues', 'Major Restructuring Needed'] as const;
export type AuditVerdict = (typeof AUDIT_VERDICTS)[number];
/** Plans of fewer phases than this skip the audit (the seed: "1-2 phase plans skip it"). */
export const AUDIT_MIN_PHASES = 3;
/** The auditor's excerpt of the plan; its whole context stays within the orchestrator's 8 KB goal. */
const EXCERPT_BYTES = 5000;

export const AuditSubmissionSchema = z.object({
  verdict: z.enum(AUDIT_VERDICTS),
  reasons: z.array(z.string().min(1).max(400)).max(12),
});

export const StoredAuditSchema = z.object({
  planDir: z.string(),
  planHash: z.string(),
  verdict: z.enum(AUDIT_VERDICTS),
  reasons: z.array(z.string()),
  engineFindings: z.array(z.object({ kind: z.string(), file: z.string(), message: z.string() })),
  agentVerdict: z.enum(AUDIT_VERDICTS).optional(),
  /** Why this audit ran: first audit, or the plan changed since the last one. */
  trigger: z.string(),
  at: z.string(),
  contextBytes: z.number().int().nonnegative(),
});
export type StoredAudit = z.infer<typeof StoredAuditSchema>;

const RANK: Record<AuditVerdict, number> = { Ready: 0, 'Significant Issues': 1, 'Major Restructuring Needed': 2 };

export function worst(a: AuditVerdict, b: AuditVerdict): AuditVerdict {
  return RANK[a] >= RANK[b] ? a : b;
}

/** What each deterministic finding means for the verdict. */
export function verdictOfFindings(problems: readonly PlanProblem[]): AuditVerdict {
  let v: AuditVerdict = 'Ready';
  for (const p of problems) {
    v = worst(v, p.kind === 'order' || p.kind === 'missing-file' ? 'Significant Issues' : 'Major Restructuring Needed');
  }
  return v;
}

/** Where audits are kept: in the repository's .git (never in the user's tree, never committed). */
export async function auditFile(repoRoot: string, planDir: string): Promise<string> {
  const key = createHash('sha256').update(path.resolve(planDir)).digest('hex').slice(0, 16);
  return path.join(await gitCommonDir(repoRoot), 'build-pipeline', 'plan-audits', `${key}.json`);
}

export function readStoredAudit(file: string): StoredAudit | undefined {
  try {
    const parsed = StoredAuditSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function planExcerpt(plan: Plan): string {
  const per = Math.floor(EXCERPT_BYTES / (plan.phases.length + 1));
  const parts = [`plan.md: ${plan.planMd.slice(0, per)}`];
  for (const p of plan.phases) {
    const h = p.header;
    const head = `${p.file}: phase ${h.phase} "${h.title}", depends on [${h.depends_on.join(', ')}], tasks: ${h.tasks.map((t) => `${t.id} ${t.title}${t.depends_on.length ? ` (after ${t.depends_on.join(', ')})` : ''}`).join('; ')}`;
    parts.push(`${head}\n${p.body.slice(0, Math.max(0, per - head.length))}`);
  }
  return parts.join('\n\n');
}

export interface AuditOutcome {
  audit: StoredAudit;
  /** True when a stored audit of the same plan hash was reused (no model call). */
  reused: boolean;
}

export async function runFlowAudit(session: ModelSession, plan: Plan, repoRoot: string): Promise<AuditOutcome> {
  const file = await auditFile(repoRoot, plan.dir);
  const stored = readStoredAudit(file);
  if (stored && stored.planHash === plan.hash) return { audit: stored, reused: true };
  const trigger = stored ? `the plan changed since its last audit (${stored.at}, hash ${stored.planHash.slice(0, 12)} → ${plan.hash.slice(0, 12)})` : 'first audit of this plan';
  const findings = checkPlanFlow(plan, await repoFilesAt(repoRoot));
  let verdict = verdictOfFindings(findings);
  const reasons = findings.map((f) => `${f.file}: ${f.message}`);
  let agentVerdict: AuditVerdict | undefined;
  let bytes = 0;
  if (verdict !== 'Major Restructuring Needed') {
    const slot: ResultSlot<z.infer<typeof AuditSubmissionSchema>> = {};
    const tool = resultTool(
      {
        name: 'submit_audit',
        description: 'Submit the flow audit once: the verdict and one sentence per reason, each naming its phase.',
        inputSchema: AuditSubmissionSchema,
        slot,
        recorded: (input) => `recorded: ${input.verdict}`,
      },
      session.observer('flow-auditor'),
    );
    const prompt = renderPrompt(loadTemplate('auditor'), {
      tools: toolNames([tool]),
      phase_count: plan.phases.length,
      engine_findings: reasons.length ? reasons.map((r) => `- ${r}`).join('\n') : '- none',
      plan_excerpt: planExcerpt(plan),
    });
    const result = await runAgent(
      {
        agentId: 'flow-auditor',
        role: 'plan-auditor',
        stage: 'audit',
        tier: 'sonnet',
        model: session.modelFor('sonnet'),
        system: [prompt.system],
        task: prompt.task,
        tools: [tool],
        maxTurns: 4,
        maxTokens: 2000,
        isComplete: () => slot.value !== undefined,
        nudge: 'Call submit_audit now with your verdict and reasons.',
      },
      session.runtime(),
    );
    bytes = contextBytes([prompt.system], result.messages);
    if (!slot.value) throw new Error('the flow auditor ended without submitting a verdict');
    agentVerdict = slot.value.verdict;
    verdict = worst(verdict, agentVerdict);
    reasons.push(...slot.value.reasons.map((r) => `auditor: ${r}`));
  }
  const audit: StoredAudit = {
    planDir: path.resolve(plan.dir),
    planHash: plan.hash,
    verdict,
    reasons,
    engineFindings: findings,
    agentVerdict,
    trigger,
    at: new Date().toISOString(),
    contextBytes: bytes,
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(audit, null, 2) + '\n');
  session.emit({ type: 'audit', verdict, reasons });
  return { audit, reused: false };
}
