/**
 * What the audit fan-out needs from whoever runs it: the run's store (events, usage), configuration,
 * the agent runtime and the abort signal. A standalone audit run and Stage 5 (harden) of a build run
 * both provide it (PipelineContext satisfies it), so the fan-out is one piece of code for both.
 */
import { agentLimitsFor, type PipelineConfig } from '../config';
import type { ModelTier } from '../contracts/schemas';
import type { RunStore } from '../run/store';
import type { RunSandbox } from '../sandbox/runSandbox';
import { AgentError, runAgent, type AgentResult, type AgentRuntime } from '../agents/runAgent';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { limitsNote, toolNames, type ResultSlot, type ToolObserver } from '../agents/tools';
import { loadTemplate, renderPrompt } from '../prompts';

export interface AuditHost {
  store: RunStore;
  /** Workers' shells run read-only in the run's sandbox (src/core/sandbox). */
  sandbox: RunSandbox;
  config: PipelineConfig;
  signal: AbortSignal;
  repoRoot: string;
  runtime(): AgentRuntime;
  modelFor(tier: ModelTier): string;
}

export type AuditRole = 'audit-planner' | 'audit-worker' | 'audit-coordinator';

export interface AuditAgentSpec {
  agentId: string;
  role: AuditRole;
  /** Stage the tokens are booked to ('audit-…' standalone, 'harden' in a build run). */
  stage: string;
  tier: ModelTier;
  vars: Record<string, string | number>;
  tools: BetaRunnableTool[];
  isComplete: () => boolean;
  nudge: string;
}

export async function runAuditAgent(host: AuditHost, spec: AuditAgentSpec): Promise<AgentResult> {
  const limits = agentLimitsFor(host.config, spec.role, spec.tier);
  const template = loadTemplate(spec.role);
  // The same tool line and shell timeout the pipeline's roles are told (stages/roleAgent.ts), so an
  // audit agent knows its reply size, the tool-result cap and when its shell gives up.
  const tools = `${toolNames(spec.tools)}. ${limitsNote(spec.tools.map((t) => t.name), limits.maxTokens, host.config.toolResultMaxChars)}`;
  const statesTimeout = `${template.system}${template.task}`.includes('{{bash_timeout_s}}');
  const prompt = renderPrompt(template, {
    tools,
    ...(statesTimeout ? { bash_timeout_s: Math.round(host.config.bashTimeoutMs / 1000) } : {}),
    ...spec.vars,
  });
  const result = await runAgent(
    {
      agentId: spec.agentId,
      role: spec.role,
      stage: spec.stage,
      tier: spec.tier,
      model: host.modelFor(spec.tier),
      system: [prompt.system],
      task: prompt.task,
      tools: spec.tools,
      ...limits,
      context: { toolResultMaxChars: host.config.toolResultMaxChars, clearAtShare: host.config.contextClearAtShare },
      isComplete: spec.isComplete,
      nudge: spec.nudge,
    },
    host.runtime(),
  );
  return result;
}

export function auditObserver(host: AuditHost, agentId: string): ToolObserver {
  return {
    call: (tool, input) => host.store.emit({ type: 'tool-call', agentId, tool, input: JSON.stringify(input) }),
    result: (tool, isError, output) => host.store.emit({ type: 'tool-result', agentId, tool, isError, output }),
  };
}

/** The tier setting of each audit role (`roleTiers.auditPlanner`, …). */
const ROLE_TIER: Record<AuditRole, 'auditPlanner' | 'auditWorker' | 'auditCoordinator'> = {
  'audit-planner': 'auditPlanner',
  'audit-worker': 'auditWorker',
  'audit-coordinator': 'auditCoordinator',
};

export interface SubmittingAgentSpec<T> extends Omit<AuditAgentSpec, 'tier' | 'tools' | 'isComplete'> {
  /** The agent's tools, given the slot its submit tool fills and the observer that journals every call. */
  tools(slot: ResultSlot<T>, observe: ToolObserver): BetaRunnableTool[];
  /** What else "done" takes (a file ending with the DONE line, …); default: it submitted. */
  isComplete?(submitted: T | undefined): boolean;
}

/** What a submitting agent left: its submission (if any), its last words, or why it failed. */
export interface SubmittingAgentOutcome<T> {
  submitted?: T;
  finalText?: string;
  failure?: string;
}

/**
 * Planner, workers and coordinators all run this way: their role's tier, one structured result
 * through a submit tool, every tool call journaled, and a failed agent reported to the caller (which
 * decides what it means) while a cancel goes on up and stops the audit.
 */
export async function runSubmittingAgent<T>(host: AuditHost, spec: SubmittingAgentSpec<T>): Promise<SubmittingAgentOutcome<T>> {
  const slot: ResultSlot<T> = {};
  const observe = auditObserver(host, spec.agentId);
  const done = spec.isComplete ?? ((submitted: T | undefined) => submitted !== undefined);
  try {
    const result = await runAuditAgent(host, {
      ...spec,
      tier: host.config.roleTiers[ROLE_TIER[spec.role]],
      tools: spec.tools(slot, observe),
      isComplete: () => done(slot.value),
    });
    return { submitted: slot.value, finalText: result.finalText };
  } catch (e) {
    if (AgentError.is(e, 'cancelled') || host.signal.aborted) throw e;
    return { submitted: slot.value, failure: (e as Error).message };
  }
}
