/**
 * Engine configuration: which model each role and tier uses, wave limits, test commands and the
 * bounds on repair rounds, fix cycles and retries. The CLI reads it from
 * `.build-pipeline.json` in the repository (optional); the extension from its settings.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ModelTierSchema, type ModelTier } from './contracts/schemas';
import { SandboxConfigSchema } from './sandbox/config';
import { McpAccessSchema, McpServersSchema } from './mcp/config';

export const ROLES = ['architect', 'scaffold', 'builder', 'qc', 'master', 'training', 'audit-planner', 'audit-worker', 'audit-coordinator', 'shipper'] as const;
export type Role = (typeof ROLES)[number];

/** Newest model id of each tier in the SDK's `Model` list (resources/messages/messages.d.ts). */
export const DEFAULT_TIER_MODELS = {
  opus: 'claude-opus-5-5',
  sonnet: 'claude-sonnet-5-5',
  haiku: 'claude-haiku-5-5',
} as const;

export const AgentLimitsSchema = z.object({
  maxTokens: z.number().int().min(256).max(256_000).optional(),
  maxTurns: z.number().int().min(1).max(2000).optional(),
  /** Extended thinking budget in tokens (at least 1024, below maxTokens); 0 turns thinking off. */
  thinkingBudget: z.number().int().min(0).max(256_000).optional(),
});
export type AgentLimits = Required<z.infer<typeof AgentLimitsSchema>>;

/**
 * Defaults per role: the architect writes long contract files in one reply and plans with thinking;
 * a builder reads, writes, tests and fixes for well over 60 turns; QC reads and runs tests.
 */
export const ROLE_LIMIT_DEFAULTS: Record<Role, AgentLimits> = {
  architect: { maxTokens: 32_000, maxTurns: 80, thinkingBudget: 8_000 },
  scaffold: { maxTokens: 16_000, maxTurns: 60, thinkingBudget: 0 },
  builder: { maxTokens: 16_000, maxTurns: 150, thinkingBudget: 0 },
  qc: { maxTokens: 16_000, maxTurns: 60, thinkingBudget: 0 },
  /** Weighs a contract conflict (M13): reads, thinks, answers once. */
  master: { maxTokens: 16_000, maxTurns: 40, thinkingBudget: 8_000 },
  /** Writes many pairs in few, large turns. */
  training: { maxTokens: 32_000, maxTurns: 40, thinkingBudget: 0 },
  // Audit roles read and report; a worker's file and a synthesis are short, a plan is JSON.
  'audit-planner': { maxTokens: 16_000, maxTurns: 40, thinkingBudget: 0 },
  'audit-worker': { maxTokens: 16_000, maxTurns: 60, thinkingBudget: 0 },
  'audit-coordinator': { maxTokens: 16_000, maxTurns: 40, thinkingBudget: 0 },
  shipper: { maxTokens: 16_000, maxTurns: 40, thinkingBudget: 0 },
};

export const ConfigSchema = z.object({
  // Each tier defaults on its own: a file that names only the opus model keeps the other two.
  tierModels: z
    .object({
      opus: z.string().min(1).default(DEFAULT_TIER_MODELS.opus),
      sonnet: z.string().min(1).default(DEFAULT_TIER_MODELS.sonnet),
      haiku: z.string().min(1).default(DEFAULT_TIER_MODELS.haiku),
    })
    .default({ ...DEFAULT_TIER_MODELS }),
  /** Tier per role. Builders take their tier from `modules.json` (`builder_model`) unless overridden here. */
  roleTiers: z
    .object({
      architect: ModelTierSchema.default('opus'),
      scaffold: ModelTierSchema.default('opus'),
      builder: ModelTierSchema.optional(),
      qc: ModelTierSchema.default('sonnet'),
      /** The master evaluates contract conflicts (M13); seed 000 gives it opus. */
      master: ModelTierSchema.default('opus'),
      /** The training-data generator of Stages 1b and 7; seed 000 gives it sonnet. */
      training: ModelTierSchema.default('sonnet'),
      /** Audit mode and Stage 5 (M15, M9): the planner picks the domains; workers and coordinators fan out. */
      auditPlanner: ModelTierSchema.default('opus'),
      auditWorker: ModelTierSchema.default('sonnet'),
      auditCoordinator: ModelTierSchema.default('sonnet'),
      /** Stage 6: the shipping agent writes release notes, changelog and version bump. */
      shipper: ModelTierSchema.default('sonnet'),
    })
    .default({
      architect: 'opus',
      scaffold: 'opus',
      qc: 'sonnet',
      master: 'opus',
      training: 'sonnet',
      auditPlanner: 'opus',
      auditWorker: 'sonnet',
      auditCoordinator: 'sonnet',
      shipper: 'sonnet',
    }),
  /** Maximum agents of each tier running at once, across every stage of the run. */
  waveLimits: z
    .object({
      opus: z.number().int().min(1).max(64).default(4),
      sonnet: z.number().int().min(1).max(64).default(8),
      haiku: z.number().int().min(1).max(64).default(12),
    })
    .default({ opus: 4, sonnet: 8, haiku: 12 }),
  /**
   * Overrides the module test command the architect put in modules.json (`toolchain.test`, or a
   * module's own `test`); `{module}` and `{module_dir}` are substituted. Unset: the contracts decide.
   */
  moduleTestCommand: z.string().trim().min(1).optional(),
  /** Overrides `toolchain.integration_test` from modules.json (run before the build on an existing codebase, after the scaffold, and in assembly as the full suite). */
  integrationTestCommand: z.string().trim().min(1).optional(),
  /**
   * Overrides `toolchain.project_test` (the tests outside every module's path, run after each merge
   * with the merged module's tests). Setting only `integrationTestCommand` drops the contracts' one.
   */
  projectTestCommand: z.string().trim().min(1).optional(),
  /**
   * Phased plans (`implement`): installs the repository's dependencies once, in the run's integration
   * worktree, before any phase (every phase and teammate worktree then gets the installed folders).
   * Unset: npm, pnpm or yarn by the lockfile when package.json declares dependencies, else nothing.
   */
  planInstallCommand: z.string().trim().min(1).optional(),
  testTimeoutMs: z.number().int().min(1000).default(300_000),
  /**
   * Assembly merges each module as soon as it passed QC and every module before it in
   * `assembly_order` is merged, while the build goes on (issue 10). False: assembly waits for the
   * whole build stage, as before.
   */
  streamAssembly: z.boolean().default(true),
  /**
   * Merges whose tests may run at once (a speculative merge queue): with 2 or more, the tests of merge
   * k run in a tree of their own while merge k+1 is made and tested; a red merge rolls back everything
   * after it, which is merged and tested again. 1 (the default, measured on 2 cores: see the README's
   * Benchmark) tests each merge before the next is made.
   */
  assemblyQueueDepth: z.number().int().min(1).max(8).default(1),
  architectRepairRounds: z.number().int().min(0).max(10).default(2),
  fixCycles: z.number().int().min(0).max(10).default(2),
  /** Engine-level retries of one agent turn, on top of the SDK's own request retries. */
  turnRetries: z.number().int().min(0).max(20).default(4),
  retryBaseDelayMs: z.number().int().min(0).default(1000),
  sdkMaxRetries: z.number().int().min(0).max(10).default(2),
  /** Old global keys, still honoured: every role's max_tokens and turn limit unless `roleLimits`/`tierLimits` say otherwise. */
  maxTokens: z.number().int().min(256).optional(),
  maxAgentTurns: z.number().int().min(1).optional(),
  /** Per role: max_tokens, turn limit, thinking budget (0 = off). Wins over `tierLimits`, which wins over the old global keys. */
  roleLimits: z
    .object({
      architect: AgentLimitsSchema.optional(),
      scaffold: AgentLimitsSchema.optional(),
      builder: AgentLimitsSchema.optional(),
      qc: AgentLimitsSchema.optional(),
      master: AgentLimitsSchema.optional(),
      training: AgentLimitsSchema.optional(),
      'audit-planner': AgentLimitsSchema.optional(),
      'audit-worker': AgentLimitsSchema.optional(),
      'audit-coordinator': AgentLimitsSchema.optional(),
      shipper: AgentLimitsSchema.optional(),
    })
    .default({}),
  /** Per model tier, for roles without their own `roleLimits` entry. */
  tierLimits: z.object({ opus: AgentLimitsSchema.optional(), sonnet: AgentLimitsSchema.optional(), haiku: AgentLimitsSchema.optional() }).default({}),
  /** Context window in tokens; default: what the Models API reports for each model at preflight, else 200000. */
  contextWindowTokens: z.number().int().min(4096).optional(),
  /** Longest tool result fed back to a model, in characters; the rest is cut with a note saying how to read it in pieces. */
  toolResultMaxChars: z.number().int().min(1000).default(40_000),
  /** Share of the context window at which an agent's old tool results are cleared. */
  contextClearAtShare: z.number().min(0.1).max(0.95).default(0.5),
  /** Skip the Models API check of every configured model before a run (for endpoints that have no Models API). */
  skipPreflight: z.boolean().default(false),
  bashTimeoutMs: z.number().int().min(1000).default(120_000),
  /** Dollars (estimated from tokens, see pricing.ts) after which the run stops, resumable with a higher budget; 0 = none. */
  budgetUsd: z.number().min(0).default(0),
  /** Stage 1b (M4): accepted bootstrap pairs needed to pass (seed 000: "pair count > 50"). */
  training: z.object({ minPairs: z.number().int().min(1).max(100_000).default(50) }).default({ minPairs: 50 }),
  /** Memory (M14): L1 brain cap, how many L2 summaries an agent gets at spawn, how many stay in L2 per role after curate. */
  memory: z
    .object({
      brainCapBytes: z.number().int().min(512).max(1_000_000).default(8192),
      summariesAtSpawn: z.number().int().min(0).max(50).default(8),
      l2Window: z.number().int().min(1).max(200).default(10),
    })
    .default({ brainCapBytes: 8192, summariesAtSpawn: 8, l2Window: 10 }),
  /** End a build run successfully after this stage (e.g. "assemble": no ship, the integration branch is the result); curate still runs. */
  stopAfter: z.enum(['architect', 'bootstrap', 'scaffold', 'build', 'assemble', 'harden', 'ship']).optional(),
  /** Agents' shells and the engine's runs of model-chosen commands: confined by the sandbox runtime (see src/core/sandbox). */
  sandbox: SandboxConfigSchema.default({ enabled: true, allowedDomains: [] }),
  /** MCP servers, in the shape Claude Code and VS Code use (stdio command + args + env, or an HTTP url). */
  mcpServers: McpServersSchema.default({}),
  /** Which servers and tools each role gets; none unless listed (audit workers: read-only tools). */
  mcpAccess: McpAccessSchema.default({}),
  /**
   * Phased plans: review the plan itself (T3) before any phase runs. On by default; off skips the
   * reviewer and the planner's revisions, for a plan already reviewed by people.
   */
  planReview: z.boolean().default(true),
  /** Phased plans: a teammate with no model turn or tool call for this long is dead (its tasks are reassigned). */
  teammateStallMs: z.number().int().min(1000).default(600_000),
  /** Where run directories go; default `<repo>/.git/build-pipeline/runs` (survives reboots, never committed). */
  runsDir: z.string().optional(),
});
export type PipelineConfig = z.infer<typeof ConfigSchema>;

/**
 * What a front end may override: any setting, and inside the per-tier and per-role tables only the
 * entries it names (a VS Code setting for the QC tier keeps the file's architect tier).
 */
export type ConfigOverrides = Omit<Partial<PipelineConfig>, 'tierModels' | 'roleTiers' | 'waveLimits'> & {
  tierModels?: Partial<PipelineConfig['tierModels']>;
  roleTiers?: Partial<PipelineConfig['roleTiers']>;
  waveLimits?: Partial<PipelineConfig['waveLimits']>;
  /**
   * false: the `mcpServers` of the repository's `.build-pipeline.json` are left out (only the
   * front end's own `mcpServers` count). VS Code passes it unless the user allowed the workspace's
   * servers in a machine-scoped setting: an HTTP server is reached by the engine itself, outside the
   * sandbox, so a cloned repository's file must not name one on its own. Default true (the CLI, where
   * the file decides, as it decides `sandbox.enabled`).
   */
  repositoryMcpServers?: boolean;
};

export const CONFIG_FILE = '.build-pipeline.json';

export function defaultConfig(): PipelineConfig {
  return ConfigSchema.parse({});
}

/** Reads `.build-pipeline.json` from the repository root, if present, and validates it. */
export function loadConfig(repoRoot: string, overrides: ConfigOverrides = {}): PipelineConfig {
  const file = path.join(repoRoot, CONFIG_FILE);
  let fromFile: unknown = {};
  if (fs.existsSync(file)) {
    try {
      fromFile = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${CONFIG_FILE}: not valid JSON (${(e as Error).message})`);
    }
  }
  const parsed = ConfigSchema.safeParse(mergeOverrides(fromFile, overrides));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${CONFIG_FILE} is invalid:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/** The limits an agent of `role` on `tier` runs with: role setting, else tier setting, else the old global keys, else the role's default. */
export function agentLimitsFor(config: PipelineConfig, role: Role, tier: ModelTier): AgentLimits {
  const byRole = config.roleLimits[role] ?? {};
  const byTier = config.tierLimits[tier] ?? {};
  const d = ROLE_LIMIT_DEFAULTS[role];
  return {
    maxTokens: byRole.maxTokens ?? byTier.maxTokens ?? config.maxTokens ?? d.maxTokens,
    maxTurns: byRole.maxTurns ?? byTier.maxTurns ?? config.maxAgentTurns ?? d.maxTurns,
    thinkingBudget: byRole.thinkingBudget ?? byTier.thinkingBudget ?? d.thinkingBudget,
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Overrides win entry by entry, one level deep; an override left undefined keeps the file's value. */
function mergeOverrides(fromFile: unknown, overrides: ConfigOverrides): unknown {
  if (!isPlainObject(fromFile)) return fromFile; // the schema says what is wrong with it
  const { repositoryMcpServers, ...settings } = overrides;
  const out: Record<string, unknown> = { ...fromFile };
  if (repositoryMcpServers === false) delete out.mcpServers;
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    const base = out[key];
    out[key] = isPlainObject(base) && isPlainObject(value) ? { ...base, ...value } : value;
    // The sandbox's allow-list is the union of both layers: a setting adds hosts, never hides the file's.
    const layer: unknown = value;
    if (key === 'sandbox' && isPlainObject(base) && Array.isArray(base.allowedDomains) && isPlainObject(layer) && Array.isArray(layer.allowedDomains)) {
      (out[key] as Record<string, unknown>).allowedDomains = [...new Set([...base.allowedDomains, ...layer.allowedDomains])];
    }
  }
  return out;
}

/** The MCP servers the repository's `.build-pipeline.json` names (none when it cannot be read), for a warning that they were left out. */
export function repositoryMcpServerNames(repoRoot: string): string[] {
  try {
    return Object.keys(loadConfig(repoRoot).mcpServers).map((name) => JSON.stringify(name).slice(0, 62));
  } catch {
    return [];
  }
}
