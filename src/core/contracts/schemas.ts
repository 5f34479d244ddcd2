/**
 * Zod schemas for everything machine-readable that an agent or the disk can hand us:
 * the architect's contracts, QC verdicts, builder outcomes, training pairs and run state.
 * Parsing with these is the first line of defence; `validator.ts` adds the cross-file rules.
 */
import { z } from 'zod';

/** Lowercase letters, digits and single dashes; starts with a letter; at most 40 characters. */
export const MODULE_NAME_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
export const MODULE_NAME_MAX = 40;

export const ModelTierSchema = z.enum(['opus', 'sonnet', 'haiku']);
export type ModelTier = z.infer<typeof ModelTierSchema>;

/**
 * A command the engine will run (install, tests, build, lint). Only its type is checked here; what a
 * command line may contain (one line, no control characters) is a validator rule with a reason the
 * architect can act on (toolchainRules.ts).
 */
const CommandSchema = z.string();

/**
 * The stack the architect chose, as the commands the engine runs: `install` once after the scaffold
 * writes the manifest, `test` per module (`{module_dir}` and `{module}` are filled in), and
 * `integration_test` on the integration branch (before the build on an existing codebase, after the
 * scaffold, on the final head of assembly), optionally `project_test` after each merge. The human approves these verbatim at the blueprint gate.
 */
export const ToolchainSchema = z.object({
  runtime: z.string().min(1).max(200),
  install: CommandSchema,
  test: CommandSchema,
  integration_test: CommandSchema,
  /**
   * The project-level tests only: the tests that live outside every module's path (a top-level
   * `tests/` folder, say). Assembly runs it with the merged module's own tests after each merge
   * (src/core/assembly/testSelection.ts); without it every merge runs the whole `integration_test`.
   */
  project_test: CommandSchema.optional(),
  build: CommandSchema.optional(),
  lint: CommandSchema.optional(),
  /** Test harness and tooling the whole project needs (jest, pytest, typescript); per-module ones go on the module. */
  dev_dependencies: z.array(z.string()).max(200).default([]),
});
export type Toolchain = z.infer<typeof ToolchainSchema>;

export const ModuleSpecSchema = z.object({
  name: z.string(),
  description: z.string().min(1),
  depends_on: z.array(z.string()).default([]),
  interface: z.string(),
  builder_model: ModelTierSchema.default('sonnet'),
  estimated_complexity: z.enum(['high', 'medium', 'low']).default('medium'),
  /** Where the module's code lives, relative to the repository root; default `src/<name>` (see modulePathOf). */
  path: z.string().optional(),
  /** Third-party packages this module needs, as the stack's package manager spells them (`lodash@^4.17.21`, `requests>=2.31`). */
  dependencies: z.array(z.string()).max(200).default([]),
  /** Overrides `toolchain.test` for this module. */
  test: CommandSchema.optional(),
});
export type ModuleSpec = z.infer<typeof ModuleSpecSchema>;

export const ModulesManifestSchema = z.object({
  project: z.string().min(1),
  toolchain: ToolchainSchema,
  /** Where the types shared across module boundaries live; default `src/shared`. */
  shared_path: z.string().optional(),
  modules: z.array(ModuleSpecSchema).min(1),
  build_order: z.array(z.string()),
  assembly_order: z.array(z.string()),
});
export type ModulesManifest = z.infer<typeof ModulesManifestSchema>;

export const DEFAULT_SHARED_PATH = 'src/shared';

/** Where a module's code lives: its `path`, or `src/<name>` (the layout of a new project). */
export function modulePathOf(module: Pick<ModuleSpec, 'name' | 'path'>): string {
  return (module.path ?? `src/${module.name}`).replace(/\/+$/, '');
}

export function sharedPathOf(manifest: Pick<ModulesManifest, 'shared_path'>): string {
  return (manifest.shared_path ?? DEFAULT_SHARED_PATH).replace(/\/+$/, '');
}

export const LockLevelSchema = z.enum(['unlocked', 'locked', 'critical']);
export type LockLevel = z.infer<typeof LockLevelSchema>;

export const LockEntrySchema = z.object({
  locked_by: z.string().min(1),
  lock_level: LockLevelSchema,
  affects: z.array(z.string()).default([]),
  assertion: z.string().min(1),
  locked_at: z.string().min(1),
  /** Marks a security decision; those must be `critical` (seed 000, architect rule 3). */
  category: z.string().optional(),
});
export type LockEntry = z.infer<typeof LockEntrySchema>;

export const LocksSchema = z.object({
  decisions: z.record(z.string(), LockEntrySchema),
  interfaces: z.record(z.string(), LockEntrySchema).default({}),
});
export type Locks = z.infer<typeof LocksSchema>;

export const SeveritySchema = z.enum(['CRITICAL', 'MAJOR', 'MINOR']);
export type Severity = z.infer<typeof SeveritySchema>;

export const FindingSchema = z.object({
  severity: SeveritySchema,
  file: z.string().max(500).default(''),
  line: z.number().int().nonnegative().nullable().default(null),
  text: z.string().min(1).max(4000),
});
export type Finding = z.infer<typeof FindingSchema>;

/** A finding as the engine sends it back to a merged module's builder (stages/refixModule.ts): the JSON shape of `<qc-findings>`. */
export const RefixFindingSchema = z.object({ severity: SeveritySchema, file: z.string(), line: z.number().int().nullable(), text: z.string() });
export type RefixFinding = z.infer<typeof RefixFindingSchema>;

/** Who sends a merged module back to its builder (stages/refixModule.ts): harden's findings or the ship gate's feedback. */
export const RefixCauseSchema = z.enum(['harden', 'ship']);
export type RefixCause = z.infer<typeof RefixCauseSchema>;

export const VerdictSchema = z.enum(['PASS', 'FAIL-MAJOR', 'FAIL-CRITICAL']);
export type Verdict = z.infer<typeof VerdictSchema>;

export const QcVerdictSchema = z.object({
  verdict: VerdictSchema,
  summary: z.string().min(1).max(4000),
  tests_run: z.boolean().default(false),
  tests_passed: z.boolean().default(false),
  findings: z.array(FindingSchema).max(200).default([]),
});
export type QcVerdict = z.infer<typeof QcVerdictSchema>;

export const BuilderOutcomeSchema = z.object({
  status: z.enum(['done', 'blocked']),
  summary: z.string().min(1).max(2000),
  /** Only for `blocked`: a short slug naming the contract problem, used in the conflict file name. */
  conflict_issue: z.string().max(60).optional(),
  conflict_details: z.string().max(20000).optional(),
});
export type BuilderOutcome = z.infer<typeof BuilderOutcomeSchema>;

// Training pairs (L4) have their schema in src/core/training/pairs.ts.

export const UsageSchema = z.object({
  input: z.number().nonnegative().default(0),
  output: z.number().nonnegative().default(0),
  cacheRead: z.number().nonnegative().default(0),
  cacheWrite: z.number().nonnegative().default(0),
  calls: z.number().nonnegative().default(0),
});
export type Usage = z.infer<typeof UsageSchema>;

export const StageStatusSchema = z.enum(['pending', 'running', 'waiting', 'done', 'failed', 'skipped']);
export type StageStatus = z.infer<typeof StageStatusSchema>;

export const ModuleStatusSchema = z.enum([
  'pending',
  'building',
  'qc',
  'fixing',
  'passed',
  'failed',
  'blocked',
  'cancelled',
  'merged',
]);
export type ModuleStatus = z.infer<typeof ModuleStatusSchema>;

/** Passed QC: still waiting for its merge, or merged into the integration branch already. */
export function passedQc(status: ModuleStatus): boolean {
  return status === 'passed' || status === 'merged';
}

export const GateDecisionSchema = z.object({
  gate: z.string(),
  decision: z.enum(['approve', 'changes', 'reject']),
  feedback: z.string().optional(),
  by: z.string(),
  at: z.string(),
});
export type GateDecision = z.infer<typeof GateDecisionSchema>;

export const StageStateSchema = z.object({
  id: z.string(),
  status: StageStatusSchema,
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  attempts: z.number().int().nonnegative().default(0),
  usage: UsageSchema.default({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, calls: 0 }),
  /** Estimated dollars of every agent of this stage (all attempts). */
  costUsd: z.number().nonnegative().optional(),
  detail: z.string().optional(),
});
export type StageState = z.infer<typeof StageStateSchema>;

export const ModuleStateSchema = z.object({
  name: z.string(),
  status: ModuleStatusSchema,
  tier: ModelTierSchema,
  branch: z.string(),
  worktree: z.string().optional(),
  verdict: VerdictSchema.optional(),
  fixCycles: z.number().int().nonnegative().default(0),
  /**
   * A round of stages/refixModule.ts for harden's or the ship gate's findings (which of the two) is
   * counted in `fixCycles` and has not ended: the run stopped or was killed inside it. Its resume runs
   * that round again without counting it twice.
   */
  refixUnfinished: RefixCauseSchema.optional(),
  /**
   * A re-merge of that refix source failed (it conflicted or turned the integration tests red) and the
   * next round is to fix that: the findings its builder gets. Kept in the state so a round the stop or
   * a kill cut short is resumed with them, not with the findings that began the first round.
   */
  refixRemerge: z
    .object({
      cause: RefixCauseSchema,
      findings: z.array(RefixFindingSchema),
    })
    .optional(),
  qcAttempts: z.number().int().nonnegative().default(0),
  firstQcVerdict: VerdictSchema.optional(),
  /** Where the module branch started: the scaffold commit plus merges of its dependencies. */
  baseCommit: z.string().optional(),
  builtCommit: z.string().optional(),
  /** The engine's last commit on the module branch: whatever an agent commits after it is undone and judged (git/ownership.ts). */
  engineHead: z.string().optional(),
  mergeCommit: z.string().optional(),
  usage: UsageSchema.default({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, calls: 0 }),
  /** Estimated dollars of this module's builders and QC agents (all fix cycles). */
  costUsd: z.number().nonnegative().optional(),
  detail: z.string().optional(),
});
export type ModuleState = z.infer<typeof ModuleStateSchema>;

export const RunStatusSchema = z.enum(['running', 'awaiting-approval', 'succeeded', 'halted', 'cancelled']);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const RunStateSchema = z.object({
  version: z.literal(1),
  runId: z.string(),
  runDir: z.string(),
  repoRoot: z.string(),
  description: z.string(),
  mode: z.enum(['build', 'audit']).default('build'),
  offline: z.boolean().default(false),
  /**
   * False when the user turned the shell sandbox off for this run, in any of its sessions (a resume
   * with the sandbox on does not make it true again); views and the CLI say so (src/core/sandbox).
   */
  shellsSandboxed: z.boolean().optional(),
  baseBranch: z.string(),
  baseCommit: z.string(),
  integrationBranch: z.string(),
  contractsCommit: z.string().optional(),
  scaffoldCommit: z.string().optional(),
  status: RunStatusSchema,
  haltReason: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  stages: z.array(StageStateSchema),
  modules: z.array(ModuleStateSchema).default([]),
  gates: z.array(GateDecisionSchema).default([]),
  waitingGate: z.string().optional(),
  usage: UsageSchema.default({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, calls: 0 }),
  /** Estimated dollars spent so far (all attempts, across resumes). */
  costUsd: z.number().nonnegative().default(0),
  /** Tokens per agent (`architect-1`, `builder-greeter-0`, `qc-greeter-1`, ...). */
  agentUsage: z.record(z.string(), UsageSchema).default({}),
  /** Set once the ship merge landed: where, as which commit, and what the base's head was before. */
  shipped: z.object({ branch: z.string(), commit: z.string(), previousHead: z.string(), at: z.string() }).optional(),
  /** Estimated dollars per agent. */
  agentCostUsd: z.record(z.string(), z.number().nonnegative()).optional(),
  /** Tokens per role (architect, scaffold, builder, qc): where the cache share per role comes from. */
  roleUsage: z.record(z.string(), UsageSchema).optional(),
  merges: z
    .array(
      z.object({
        module: z.string(),
        branch: z.string(),
        commit: z.string().optional(),
        merge: z.enum(['clean', 'auto-resolved', 'conflict']),
        tests: z.enum(['pass', 'fail', 'not-run']),
        status: z.enum(['MERGED', 'FAILED', 'SKIPPED']),
        /** What ran after the merge: the module's and the project-level tests, or the full suite (src/core/assembly/testSelection.ts). */
        testScope: z.enum(['selected', 'full']).optional(),
        /** The command lines that ran, in order (the last one is the red one when tests failed). */
        testsRun: z.array(z.string()).optional(),
        /** Why that selection. */
        testReason: z.string().optional(),
      }),
    )
    .default([]),
  /** Assembly test work: every test process assembly ran (all attempts), and how many of them were the full suite. */
  assembly: z
    .object({
      testProcesses: z.number().int().nonnegative(),
      fullSuiteRuns: z.number().int().nonnegative(),
      /** Wall time of those test processes, and of the full-suite ones among them (the bench's floor counts it). */
      testMs: z.number().nonnegative().optional(),
      fullSuiteMs: z.number().nonnegative().optional(),
      /**
       * Full suites run ahead on the final head while its module was in QC (finalSuiteAhead.ts); one
       * that was used counts among the runs above as well, one that was not (another tree, red) only here.
       */
      fullSuitesAhead: z.number().int().nonnegative().optional(),
    })
    .optional(),
});
export type RunState = z.infer<typeof RunStateSchema>;
