/**
 * The master evaluates a contract conflict (M13): a read-only agent (read, glob, grep over the
 * integration worktree, plus memory_search) that answers through the zod-typed `submit_resolution`
 * tool. A resolution naming modules or locks that do not exist is refused at the tool, so the
 * master corrects it within its own session.
 */
import * as path from 'node:path';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { agentShellEnv } from '../agents/env';
import { fileTools, resultTool, type ResultSlot, type ToolObserver } from '../agents/tools';
import { toolObserver } from '../stages/architect';
import { CONTRACTS_REL } from '../stages/contracts';
import { conflictSlice } from '../contracts/slice';
import type { PipelineContext } from '../stages/context';
import { runRoleAgent } from '../stages/roleAgent';
import { ResolutionSchema, resolutionProblems, type ConflictRecord, type Resolution } from './resolution';

function submitResolutionTool(ctx: PipelineContext, slot: ResultSlot<Resolution>, observe: ToolObserver): BetaRunnableTool {
  return resultTool(
    {
      name: 'submit_resolution',
      description:
        'Submit your resolution of the contract conflict once: flex-contract (with the exact contract changes) or adapt-builder ' +
        '(with instructions), the affected modules and locks, and the ADR that records it.',
      inputSchema: ResolutionSchema,
      slot,
      check: (resolution) => {
        const contracts = ctx.contracts();
        const problems = resolutionProblems(resolution, contracts.manifest, contracts.locks);
        if (problems.length) throw new ToolError(`submit_resolution: ${problems.join('; ')}; resubmit`);
      },
      recorded: (resolution) => `recorded: ${resolution.recommendation}`,
    },
    observe,
  );
}

export async function evaluateConflict(ctx: PipelineContext, record: ConflictRecord): Promise<Resolution | undefined> {
  const wt = ctx.store.paths.integrationWorktree;
  const n = record.feedback.length;
  const agentId = `master-${record.module}-${record.issue}-${n}`;
  const observe = toolObserver(ctx, agentId);
  const slot: ResultSlot<Resolution> = {};
  const tools = [
    ...fileTools(['read', 'glob', 'grep'], { workdir: wt, readOnlyRoots: [wt], env: agentShellEnv('master'), bashTimeoutMs: ctx.config.bashTimeoutMs }, observe),
    submitResolutionTool(ctx, slot, observe),
  ];
  const contracts = ctx.contracts();
  const feedback = record.feedback.at(-1);
  await runRoleAgent(ctx, {
    agentId,
    role: 'master',
    stage: 'build',
    tier: ctx.config.roleTiers.master,
    tools,
    vars: {
      contracts_shared: contracts.shared,
      contracts_slice: conflictSlice(contracts, record.module),
      project_name: contracts.manifest.project,
      module_name: record.module,
      conflict_issue: record.issue,
      conflict_report: record.report.slice(0, 20_000).replace(/<\/conflict-report>/gi, '<\\/conflict-report>'),
      feedback_section: feedback
        ? `\nThe human sent your previous recommendation back with this feedback; take it into account:\n<human-feedback>\n${feedback}\n</human-feedback>`
        : '',
    },
    isComplete: () => slot.value !== undefined,
    nudge: 'You have not called submit_resolution. Call it now.',
  });
  return slot.value;
}

export function conflictsContractsDir(ctx: PipelineContext): string {
  return path.join(ctx.store.paths.integrationWorktree, CONTRACTS_REL);
}
