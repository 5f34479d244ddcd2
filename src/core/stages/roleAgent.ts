/**
 * Spawning an agent for a role, the same way for every stage: render the role's prompt (system
 * section = role prompt + contracts, the cached prefix; task section = the task card), pick the
 * model of the tier, apply the run's limits, and run it.
 */
import type { BetaMessageParam } from '@anthropic-ai/sdk/resources/beta';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import type { ModelTier } from '../contracts/schemas';
import { runAgent, type AgentResult } from '../agents/runAgent';
import { toolNames } from '../agents/tools';
import { agentLimitsFor } from '../config';
import { loadTemplate, renderPrompt } from '../prompts';
import { CONTRACTS_REL, moduleDir } from './contracts';
import { moduleTestCommand } from './moduleTestCommand';
import type { PipelineContext } from './context';

export interface RoleAgentSpec {
  agentId: string;
  role: 'architect' | 'scaffold' | 'builder' | 'qc' | 'shipper';
  stage: string;
  tier: ModelTier;
  module?: string;
  /** The role's own placeholders; `contracts_dir` and `tools` are filled in here. */
  vars: Record<string, string | number>;
  tools: BetaRunnableTool[];
  history?: BetaMessageParam[];
  isComplete?: () => boolean;
  nudge?: string;
}

export function runRoleAgent(ctx: PipelineContext, spec: RoleAgentSpec): Promise<AgentResult> {
  const limits = agentLimitsFor(ctx.config, spec.role, spec.tier);
  const tools = `${toolNames(spec.tools)}. ${limitsNote(spec.tools.map((t) => t.name), limits.maxTokens, ctx.config.toolResultMaxChars)}`;
  const prompt = renderPrompt(loadTemplate(spec.role), { contracts_dir: CONTRACTS_REL, tools, ...spec.vars });
  return runAgent(
    {
      agentId: spec.agentId,
      role: spec.role,
      module: spec.module,
      stage: spec.stage,
      tier: spec.tier,
      model: ctx.modelFor(spec.tier),
      system: [prompt.system],
      task: prompt.task,
      history: spec.history,
      tools: spec.tools,
      ...limits,
      context: { toolResultMaxChars: ctx.config.toolResultMaxChars, clearAtShare: ctx.config.contextClearAtShare },
      isComplete: spec.isComplete,
      nudge: spec.nudge,
    },
    ctx.runtime(),
  );
}

/** The placeholders every module-level role (builder, QC) shares. */
export function moduleVars(ctx: PipelineContext, module: string): Record<string, string> {
  const contracts = ctx.contracts();
  return {
    contracts_bundle: contracts.bundle,
    project_name: contracts.manifest.project,
    module_name: module,
    module_dir: moduleDir(module),
    test_command: moduleTestCommand(ctx, module),
  };
}

/**
 * The limits the engine enforces on every agent, said where the prompts list the tools (so the
 * prompt files need no copy of numbers that are settings): the reply size and the tool-result cap.
 */
export function limitsNote(toolNames: readonly string[], maxTokens: number, toolResultMaxChars: number): string {
  const writeLong = toolNames.includes('edit')
    ? 'write a long file in parts (`write` a first part, then `edit` to add the rest) rather than in one call'
    : toolNames.includes('write')
      ? 'keep each file you write well within that, one file per call'
      : 'keep each reply well within that';
  return (
    `A reply of yours is limited to ${maxTokens} tokens: ${writeLong}. ` +
    `A tool result longer than ${toolResultMaxChars} characters comes back cut, with a note: read big files in pieces (\`read\` with \`view_range\`) and narrow noisy commands (\`| tail -n 100\`, \`grep\`)`
  );
}
