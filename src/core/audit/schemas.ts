/**
 * What the audit fan-out (SPEC M15) takes from the model and keeps on disk, as zod schemas: the plan
 * (3–5 domains × 3–8 workers), a worker's findings, a coordinator's synthesis, and the fan-out's
 * own progress file. Model output is untrusted: names become file names, paths become links.
 */
import * as path from 'node:path';
import { z } from 'zod';
import { MODULE_NAME_PATTERN, SeveritySchema } from '../contracts/schemas';

export const MIN_DOMAINS = 3;
export const MAX_DOMAINS = 5;
export const MIN_WORKERS = 3;
export const MAX_WORKERS = 8;

/** A domain name becomes part of file names (`workers/<domain>-<n>.md`): a lowercase slug. */
export const DomainNameSchema = z
  .string()
  .max(30)
  .regex(MODULE_NAME_PATTERN, 'a domain name is a lowercase slug: letters, digits, single dashes (e.g. "security", "edge-cases")');

export const AuditPlanSchema = z.object({
  domains: z
    .array(
      z.object({
        name: DomainNameSchema,
        goal: z.string().min(1).max(600),
        workers: z
          .array(z.object({ focus: z.string().min(1).max(600), paths: z.array(z.string().max(300)).max(20).default([]) }))
          .min(MIN_WORKERS)
          .max(MAX_WORKERS),
      }),
    )
    .min(MIN_DOMAINS)
    .max(MAX_DOMAINS)
    .refine((ds) => new Set(ds.map((d) => d.name)).size === ds.length, 'domain names must be unique'),
});
export type AuditPlan = z.infer<typeof AuditPlanSchema>;

/** `./src\\a.js` → `src/a.js`: how findings name files in reports and routing. */
export function normalizeRepoPath(p: string): string {
  return p.trim().replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

/** A repository-relative path: no absolute paths, no `..`, no NUL (a refinement, so it still maps to JSON Schema). */
export const RepoPathSchema = z
  .string()
  .max(500)
  .refine((raw) => {
    const p = normalizeRepoPath(raw);
    return p === '' || (!path.posix.isAbsolute(p) && !/^[a-z]:/i.test(p) && !p.split('/').includes('..') && !p.includes('\0'));
  }, 'file must be relative to the repository root, without ".."');

export const AuditFindingSchema = z.object({
  severity: SeveritySchema,
  title: z.string().min(1).max(200),
  /** Relative to the repository root; empty when the finding is about the whole repository. */
  file: RepoPathSchema.default(''),
  line: z.number().int().positive().nullable().default(null),
  evidence: z.string().min(1).max(2000),
});
export type AuditFinding = z.infer<typeof AuditFindingSchema>;

export const WorkerReportSchema = z.object({
  findings: z.array(AuditFindingSchema).max(50),
});
export type WorkerReport = z.infer<typeof WorkerReportSchema>;

export const SynthesisSchema = z.object({
  /** What the top level sees of the whole domain: short on purpose. */
  summary: z.string().min(1).max(1000),
  missing: z.array(z.string().max(60)).max(MAX_WORKERS).default([]),
  unfinished: z.array(z.string().max(60)).max(MAX_WORKERS).default([]),
});
export type Synthesis = z.infer<typeof SynthesisSchema>;

export const WorkerStatusSchema = z.enum(['pending', 'done', 'missing', 'unfinished']);
export type WorkerStatus = z.infer<typeof WorkerStatusSchema>;

export const WorkerStateSchema = z.object({
  id: z.string(),
  domain: z.string(),
  index: z.number().int().positive(),
  focus: z.string(),
  paths: z.array(z.string()).default([]),
  status: WorkerStatusSchema,
  /** The one sentence the worker returned (kept for the journal; the top level never sees it). */
  sentence: z.string().optional(),
  findings: z.array(AuditFindingSchema).default([]),
  detail: z.string().optional(),
});
export type WorkerState = z.infer<typeof WorkerStateSchema>;

export const CoordinatorStateSchema = z.object({
  domain: z.string(),
  status: z.enum(['pending', 'done', 'failed']),
  summary: z.string().optional(),
  missing: z.array(z.string()).default([]),
  unfinished: z.array(z.string()).default([]),
  detail: z.string().optional(),
});
export type CoordinatorState = z.infer<typeof CoordinatorStateSchema>;

export const AuditStateSchema = z.object({
  version: z.literal(1),
  request: z.string(),
  /** The commit the workers read (HEAD for a standalone audit, the integration head for Stage 5). */
  commit: z.string(),
  requiredDomains: z.array(z.string()).default([]),
  plan: AuditPlanSchema.optional(),
  workers: z.array(WorkerStateSchema).default([]),
  coordinators: z.array(CoordinatorStateSchema).default([]),
  /** Bytes of coordinator summaries handed to the top level: the only thing it sees of the fan-out. */
  topLevelBytes: z.number().int().nonnegative().default(0),
  reportPath: z.string().optional(),
});
export type AuditState = z.infer<typeof AuditStateSchema>;
