/**
 * The persisted state of one `implement` run, in the run directory beside the pipeline's runs (same
 * run ids, same lock). It is `plan-run.json`, not `state.json`, so tools that list pipeline runs skip
 * it. Every step that matters is written atomically before the next one starts (resume, SPEC X1).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { UsageSchema } from '../contracts/schemas';
import { writeFileAtomic } from '../run/runDir';

export const REVIEW_SEVERITIES = ['Critical', 'High', 'Medium', 'Low'] as const;
export type ReviewSeverity = (typeof REVIEW_SEVERITIES)[number];

/** How a review item was processed (T3): fixed, or not fixed with the judgement and its reason. */
export const PROCESSING = ['fixed', 'hallucinated', 'cosmetic', 'unresolved'] as const;

export const ReviewItemSchema = z.object({
  round: z.number().int().min(1),
  severity: z.enum(REVIEW_SEVERITIES),
  file: z.string(),
  line: z.number().int().min(0),
  text: z.string(),
  processing: z.enum(PROCESSING),
  /** For hallucinated/cosmetic: why; for fixed: the fix task. */
  reason: z.string(),
  judgedBy: z.enum(['engine', 'judge', 'rule']),
});
export type ReviewItem = z.infer<typeof ReviewItemSchema>;

const TestRunSchema = z.object({ passed: z.boolean(), failures: z.number().int().min(0) });

export const PhaseRunSchema = z.object({
  number: z.number().int().min(1),
  file: z.string(),
  title: z.string(),
  status: z.enum(['pending', 'running', 'done', 'failed']),
  branch: z.string(),
  team: z.boolean(),
  baseCommit: z.string().optional(),
  mergeCommit: z.string().optional(),
  /**
   * The integration branch's head before the phase's merge, recorded before the merge is made: a
   * process killed under the merge's tests finds the merge on resume, and a red suite rolls back to
   * this, not to the merge itself.
   */
  mergeBase: z.string().optional(),
  preflight: TestRunSchema.optional(),
  postTests: TestRunSchema.optional(),
  mergedTests: TestRunSchema.optional(),
  reviewRounds: z.number().int().min(0),
  /** The first code review had no Critical or High finding. */
  firstReviewPassed: z.boolean().optional(),
  reviewItems: z.array(ReviewItemSchema),
  /** Where the engine is inside the phase, so a resume continues there. */
  step: z.enum(['start', 'team', 'review', 'post-tests', 'merge', 'done']),
});
export type PhaseRun = z.infer<typeof PhaseRunSchema>;

export const OrchestratorContextSchema = z.object({
  calls: z.number().int().min(0),
  maxBytes: z.number().int().min(0),
  totalBytes: z.number().int().min(0),
  largest: z.string().optional(),
});

export const ImplementStateSchema = z.object({
  version: z.literal(1),
  kind: z.literal('implement'),
  runId: z.string(),
  runDir: z.string(),
  repoRoot: z.string(),
  planDir: z.string(),
  planHash: z.string(),
  offline: z.boolean(),
  baseBranch: z.string(),
  baseCommit: z.string(),
  integrationBranch: z.string(),
  status: z.enum(['running', 'succeeded', 'halted', 'cancelled', 'awaiting-approval']),
  haltReason: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  audit: z
    .object({
      skipped: z.boolean(),
      verdict: z.string().optional(),
      reasons: z.array(z.string()),
      decision: z.enum(['not-needed', 'approved', 'rejected', 'later', 'blocked']),
    })
    .optional(),
  /** The review of the plan itself (T3), before any phase; its items are processed like a code review's. */
  planReview: z
    .object({
      rounds: z.number().int().min(0),
      firstPassed: z.boolean().optional(),
      items: z.array(ReviewItemSchema),
      done: z.boolean(),
      /** Not reviewed: `planReview` was off when the run reached it. */
      skipped: z.boolean().optional(),
      /**
       * The findings the planner was given to revise the plan with, recorded before it starts: a
       * process stopped mid-revision revises again with them on resume and records them, instead of
       * reviewing a half-revised plan and losing the round's items.
       */
      revising: z.object({ round: z.number().int().min(1), findings: z.array(ReviewItemSchema.pick({ severity: true, file: true, line: true, text: true })) }).optional(),
    })
    .optional(),
  /** The ship gate at the end (the pipeline's Stage 6 gate and merge into the base branch). */
  ship: z
    .object({
      decision: z.enum(['approved', 'rejected', 'later', 'changes']),
      /** Rounds of changes asked at the gate (Request changes), each made by a builder on the integration branch. */
      changeRounds: z.number().int().min(0).optional(),
      /** Why an approved merge did not happen (dirty checkout, conflict, red tests on a moved base); the feedback of a change round not yet made. */
      reason: z.string().optional(),
      shipped: z.object({ branch: z.string(), commit: z.string(), previousHead: z.string(), at: z.string() }).optional(),
    })
    .optional(),
  /** The dependency install this run made in its integration worktree (teams/dependencies.ts). */
  dependencies: z.object({ command: z.string(), at: z.string(), manifests: z.string().optional() }).optional(),
  phases: z.array(PhaseRunSchema),
  /**
   * The integration commit the suite last ran on, and its verdict (after a phase's merge, after the
   * changes asked at the ship gate). The ship gate shows this verdict only for this commit; any other
   * head (a commit made by hand on the integration branch) is tested before the gate is asked.
   */
  integrationTested: z.object({ commit: z.string(), passed: z.boolean(), failures: z.number().int().min(0) }).optional(),
  carriedFailures: z.number().int().min(0),
  orchestrator: OrchestratorContextSchema,
  usage: UsageSchema,
});
export type ImplementState = z.infer<typeof ImplementStateSchema>;

export const STATE_FILE = 'plan-run.json';

export class ImplementStore {
  constructor(
    readonly file: string,
    public state: ImplementState,
  ) {}

  static load(runDir: string): ImplementStore {
    const file = path.join(runDir, STATE_FILE);
    return new ImplementStore(file, readImplementState(file));
  }

  update(mutate: (s: ImplementState) => void): void {
    mutate(this.state);
    this.save();
  }

  save(): void {
    this.state.updatedAt = new Date().toISOString();
    writeFileAtomic(this.file, JSON.stringify(this.state, null, 2) + '\n');
  }

  phase(n: number): PhaseRun {
    const p = this.state.phases.find((x) => x.number === n);
    if (!p) throw new Error(`unknown phase ${n}`);
    return p;
  }
}

export function readImplementState(file: string): ImplementState {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  const parsed = ImplementStateSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * Orders runs newest first: by creation time, then id. Not by id alone: run ids order by the second
 * only, so two runs made within one second (a --fresh right after a stop) order by their random part.
 */
export function newestFirst(a: Pick<ImplementState, 'createdAt' | 'runId'>, b: Pick<ImplementState, 'createdAt' | 'runId'>): number {
  return b.createdAt.localeCompare(a.createdAt) || b.runId.localeCompare(a.runId);
}

export const nn = (n: number): string => String(n).padStart(2, '0');
