/**
 * The plan folder format (SPEC T1): `plan.md` (summary, phase table, decisions, success metrics) plus
 * one `phase-NN-slug.md` per phase, flat numbering, each at most 15 KB, each starting with a
 * machine-readable header. The header is JSON between `---` lines: JSON is valid YAML, so editors
 * that understand front matter show it as such, and it needs no YAML parser we would have to trust.
 */
import { z } from 'zod';
import { relativePathProblem } from '../contracts/names';

/** Where `plan` writes plan folders, relative to the repository root. */
export const PLANS_REL = '.orchestration/plans';

/** The seed's limit ("10-15KB max per phase document"): the upper bound, in bytes. */
export const MAX_PHASE_BYTES = 15 * 1024;
/** plan.md is an overview; a plan.md bigger than this is a plan that should be split. */
export const MAX_PLAN_MD_BYTES = 32 * 1024;
export const MAX_PHASES = 20;
export const MAX_TASKS_PER_PHASE = 12;

/** `phase-01-integrate-flow-audit-gate.md`: two digits, then a lowercase slug. No 01a, no 1. */
export const PHASE_FILE_PATTERN = /^phase-(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$/;
export const TASK_ID_PATTERN = /^[A-Z][A-Z0-9]{0,7}$/;
/**
 * Ids the engine gives the fix tasks it adds to a phase (teams/phase.ts): F0 for a red suite before
 * the phase, P1, P2… for a red suite after it. A plan task with one of them would be taken for that
 * fix task (F0 skipped) or collide with it (the phase failed on a duplicate id).
 */
export const ENGINE_TASK_ID = /^(?:F0|P\d+)$/;

const RelativePath = z.string().superRefine((p, ctx) => {
  const problem = relativePathProblem(p);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

export const PlanTaskSchema = z
  .object({
    id: z
      .string()
      .regex(TASK_ID_PATTERN, 'task id must be 1-8 capital letters or digits, starting with a letter (e.g. T1)')
      .refine((id) => !ENGINE_TASK_ID.test(id), 'task ids F0 and P1, P2, … are the engine\'s own fix tasks; use T1, T2, …'),
    title: z.string().min(3).max(200),
    /** What the task must achieve, in a few sentences: the builder's brief. */
    details: z.string().max(4000).default(''),
    /** Files the task creates or changes (they need not exist yet). */
    files: z.array(RelativePath).max(20).default([]),
    depends_on: z.array(z.string().regex(TASK_ID_PATTERN)).max(MAX_TASKS_PER_PHASE).default([]),
  })
  .strict();
export type PlanTask = z.infer<typeof PlanTaskSchema>;

export const PhaseHeaderSchema = z
  .object({
    phase: z.number().int().min(1).max(MAX_PHASES),
    title: z.string().min(3).max(200),
    /** Numbers of the phases whose result this phase builds on. */
    depends_on: z.array(z.number().int().min(1).max(99)).max(MAX_PHASES).default([]),
    /** Existing files the phase's text cites; the engine checks each one exists (grounding). */
    references: z.array(RelativePath).max(50).default([]),
    tasks: z.array(PlanTaskSchema).min(1).max(MAX_TASKS_PER_PHASE),
  })
  .strict();
export type PhaseHeader = z.infer<typeof PhaseHeaderSchema>;

export interface PlanPhase {
  number: number;
  slug: string;
  /** e.g. `phase-01-add-multiply.md` */
  file: string;
  header: PhaseHeader;
  /** The markdown after the header. */
  body: string;
  bytes: number;
}

export interface Plan {
  dir: string;
  title: string;
  planMd: string;
  phases: PlanPhase[];
  /** sha256 over plan.md and every phase file: what an audit judged, what a run implements. */
  hash: string;
}

export type PlanProblemKind = 'format' | 'size' | 'numbering' | 'cycle' | 'order' | 'missing-phase' | 'missing-file' | 'task';

export interface PlanProblem {
  kind: PlanProblemKind;
  /** The file the problem is in (plan.md or a phase file). */
  file: string;
  message: string;
}

export function formatPlanProblems(problems: readonly PlanProblem[]): string {
  return problems.map((p) => `- [${p.kind}] ${p.file}: ${p.message}`).join('\n');
}
