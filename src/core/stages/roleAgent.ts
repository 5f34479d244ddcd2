/**
 * Spawning an agent for a role, the same way for every stage: render the role's prompt (system
 * section = role prompt + the contract text every agent shares, the cached prefix; slice section =
 * this agent's part of the contracts, a system block of its own after it; task section = the task
 * card), pick the model of the tier, apply the run's limits, and run it.
 */
import type { BetaMessageParam } from '@anthropic-ai/sdk/resources/beta';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import type { ModelTier } from '../contracts/schemas';
import type { HeldSlot } from '../limiter';
import { runAgent, type AgentResult } from '../agents/runAgent';
import { limitsNote, toolNames } from '../agents/tools';

// Kept importable from here: the pipeline's roles were its first users.
export { limitsNote };
import { agentLimitsFor } from '../config';
import { loadTemplate, renderPrompt } from '../prompts';
import { CONTRACTS_REL } from './contracts';
import { moduleSlice } from '../contracts/slice';
import { integrationTestCommand, moduleDir, moduleTestCommand } from './moduleTestCommand';
import type { PipelineContext } from './context';
import { memoryForSpawn, memoryRole } from '../memory/spawn';

export interface RoleAgentSpec {
  agentId: string;
  role: 'architect' | 'scaffold' | 'builder' | 'qc' | 'master' | 'training' | 'shipper';
  stage: string;
  /** The prompt file (prompts/<template>.md) when it is not the role's own, e.g. the training agent's Stage 7 task. */
  template?: string;
  tier: ModelTier;
  module?: string;
  /** The role's own placeholders; `contracts_dir` and `tools` are filled in here. */
  vars: Record<string, string | number>;
  tools: BetaRunnableTool[];
  history?: BetaMessageParam[];
  isComplete?: () => boolean;
  nudge?: string;
  /** The agent's working directory, where its brain file is read (default: the integration worktree). */
  worktree?: string;
  /** Its place in the wave limiter's queue (stages/priority.ts); default 0. */
  priority?: number;
  /** A wave-limit slot the caller already holds for this agent (stages/moduleSlot.ts). */
  heldSlot?: HeldSlot;
  /**
   * Stops the agent besides the run's own stop, which then fails with this signal's reason instead
   * of "cancelled": the set-up its tools wait for failed (agents/tools.ts afterwards).
   */
  stopOn?: AbortSignal;
}

export async function runRoleAgent(ctx: PipelineContext, spec: RoleAgentSpec): Promise<AgentResult> {
  // Memory (M14): brain file and recent summaries in the task, the memory tools, and the rule that
  // the agent is not done before it has written its summary (and condensed an oversized brain).
  const memory = await memoryForSpawn({
    store: ctx.memory,
    role: memoryRole(spec.role, spec.module),
    agentId: spec.agentId,
    runId: ctx.store.state.runId,
    worktree: spec.worktree ?? ctx.store.paths.integrationWorktree,
    canWriteBrain: spec.role === 'builder',
    brainCapBytes: ctx.config.memory.brainCapBytes,
    summariesAtSpawn: ctx.config.memory.summariesAtSpawn,
  });
  ctx.store.emit({ type: 'log', level: 'info', message: `${spec.agentId}: memory at spawn: brain ${memory.injected.brainBytes} bytes${memory.injected.brainCut ? ' (over the cap, cut)' : ''}, ${memory.injected.summaries} summaries` });
  const tools = [...spec.tools, ...memory.tools];
  const limits = agentLimitsFor(ctx.config, spec.role, spec.tier);
  const toolLine = `${toolNames(tools)}. ${limitsNote(tools.map((t) => t.name), limits.maxTokens, ctx.config.toolResultMaxChars)}`;
  const template = loadTemplate(spec.template ?? spec.role);
  // The shell's timeout is stated where a role's prompt speaks of its shell; roles without one (the
  // master, the training agent) have no such placeholder, and an unused variable is an error.
  const statesTimeout = `${template.system}${template.slice ?? ''}${template.task}`.includes('{{bash_timeout_s}}');
  const prompt = renderPrompt(template, {
    contracts_dir: CONTRACTS_REL,
    tools: toolLine,
    ...(statesTimeout ? { bash_timeout_s: Math.round(ctx.config.bashTimeoutMs / 1000) } : {}),
    ...spec.vars,
  });
  const rt = ctx.runtime();
  const stopOn = spec.stopOn;
  try {
    return await runAgent(
      {
        agentId: spec.agentId,
        role: spec.role,
        module: spec.module,
        stage: spec.stage,
        tier: spec.tier,
        model: ctx.modelFor(spec.tier),
        // Two blocks, each with a cache breakpoint: the shared prefix is read from cache by every agent
        // of the role, the slice by this agent's later turns.
        system: prompt.slice !== undefined ? [prompt.system, prompt.slice] : [prompt.system],
        task: prompt.task + memory.preamble,
        history: spec.history,
        tools,
        ...limits,
        context: { toolResultMaxChars: ctx.config.toolResultMaxChars, clearAtShare: ctx.config.contextClearAtShare },
        isComplete: () => (spec.isComplete?.() ?? true) && memory.complete(),
        nudge: [spec.nudge, memory.nudgeText].filter(Boolean).join(' '),
        priority: spec.priority,
        heldSlot: spec.heldSlot,
      },
      stopOn ? { ...rt, signal: AbortSignal.any([rt.signal, stopOn]) } : rt,
    );
  } catch (e) {
    if (stopOn?.aborted && !rt.signal.aborted) throw stopOn.reason;
    throw e;
  }
}

/** The placeholders every module-level role (builder, QC) shares: the module's part of the contracts among them. */
export function moduleVars(ctx: PipelineContext, module: string): Record<string, string> {
  const contracts = ctx.contracts();
  return {
    contracts_shared: contracts.shared,
    contracts_slice: moduleSlice(contracts, module),
    project_name: contracts.manifest.project,
    module_name: module,
    module_dir: moduleDir(ctx, module),
    test_command: moduleTestCommand(ctx, module),
    integration_test_command: integrationTestCommand(ctx),
  };
}
