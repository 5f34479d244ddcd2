/**
 * Engine configuration: which model each role and tier uses, wave limits, test commands and the
 * bounds on repair rounds, fix cycles and retries. The CLI reads it from
 * `.build-pipeline.json` in the repository (optional); the extension from its settings.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ModelTierSchema } from './contracts/schemas';

export const ROLES = ['architect', 'scaffold', 'builder', 'qc'] as const;
export type Role = (typeof ROLES)[number];

/** Newest model id of each tier in the SDK's `Model` list (resources/messages/messages.d.ts). */
export const DEFAULT_TIER_MODELS = {
  opus: 'claude-opus-5-5',
  sonnet: 'claude-sonnet-5-5',
  haiku: 'claude-haiku-5-5',
} as const;

export const ConfigSchema = z.object({
  tierModels: z
    .object({ opus: z.string().min(1), sonnet: z.string().min(1), haiku: z.string().min(1) })
    .default({ ...DEFAULT_TIER_MODELS }),
  /** Tier per role. Builders take their tier from `modules.json` (`builder_model`) unless overridden here. */
  roleTiers: z
    .object({
      architect: ModelTierSchema.default('opus'),
      scaffold: ModelTierSchema.default('opus'),
      builder: ModelTierSchema.optional(),
      qc: ModelTierSchema.default('sonnet'),
      /** Audit mode and Stage 5 (M15, M9): the planner picks the domains; workers and coordinators fan out. */
      auditPlanner: ModelTierSchema.default('opus'),
      auditWorker: ModelTierSchema.default('sonnet'),
      auditCoordinator: ModelTierSchema.default('sonnet'),
      /** Stage 6: the shipping agent writes release notes, changelog and version bump. */
      shipper: ModelTierSchema.default('sonnet'),
    })
    .default({ architect: 'opus', scaffold: 'opus', qc: 'sonnet', auditPlanner: 'opus', auditWorker: 'sonnet', auditCoordinator: 'sonnet', shipper: 'sonnet' }),
  /** Maximum agents of each tier running at once, across every stage of the run. */
  waveLimits: z
    .object({
      opus: z.number().int().min(1).max(64).default(4),
      sonnet: z.number().int().min(1).max(64).default(8),
      haiku: z.number().int().min(1).max(64).default(12),
    })
    .default({ opus: 4, sonnet: 8, haiku: 12 }),
  /** Command the builder and QC agents run for one module; `{module}` and `{module_dir}` are substituted. (A bare folder would make Node run the folder's index.js, not its tests; the shell expands the glob, so it works on Node 20 as well, whose --test takes no globs.) */
  moduleTestCommand: z.string().default('node --test {module_dir}/*.test.js'),
  /** Command run on the integration branch after every merge. */
  integrationTestCommand: z.string().default('node --test'),
  testTimeoutMs: z.number().int().min(1000).default(300_000),
  architectRepairRounds: z.number().int().min(0).max(10).default(2),
  fixCycles: z.number().int().min(0).max(10).default(2),
  /** Engine-level retries of one agent turn, on top of the SDK's own request retries. */
  turnRetries: z.number().int().min(0).max(20).default(4),
  retryBaseDelayMs: z.number().int().min(0).default(1000),
  sdkMaxRetries: z.number().int().min(0).max(10).default(2),
  maxTokens: z.number().int().min(256).default(16_000),
  maxAgentTurns: z.number().int().min(1).default(60),
  bashTimeoutMs: z.number().int().min(1000).default(120_000),
  /** Dollars (estimated from tokens, see pricing.ts) after which the run stops, resumable with a higher budget; 0 = none. */
  budgetUsd: z.number().min(0).default(0),
  /** End a build run successfully after this stage (e.g. "assemble": no ship, the integration branch is the result). */
  stopAfter: z.enum(['architect', 'scaffold', 'build', 'assemble', 'ship']).optional(),
  /** Where run directories go; default `<repo>/.git/build-pipeline/runs` (survives reboots, never committed). */
  runsDir: z.string().optional(),
});
export type PipelineConfig = z.infer<typeof ConfigSchema>;

export const CONFIG_FILE = '.build-pipeline.json';

export function defaultConfig(): PipelineConfig {
  return ConfigSchema.parse({});
}

/** Reads `.build-pipeline.json` from the repository root, if present, and validates it. */
export function loadConfig(repoRoot: string, overrides: Partial<PipelineConfig> = {}): PipelineConfig {
  const file = path.join(repoRoot, CONFIG_FILE);
  let fromFile: unknown = {};
  if (fs.existsSync(file)) {
    try {
      fromFile = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${CONFIG_FILE}: not valid JSON (${(e as Error).message})`);
    }
  }
  const parsed = ConfigSchema.safeParse({ ...(fromFile as object), ...overrides });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${CONFIG_FILE} is invalid:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}
