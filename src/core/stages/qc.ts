/**
 * Per-module QC (M7): a read-only agent (read, glob, grep, and bash to run the tests; no write or
 * edit) grades the module in its worktree and returns a structured verdict through submit_verdict.
 * Anything its shell changed in the worktree is thrown away afterwards, so QC cannot alter what it grades.
 */
import type { ModuleSpec, QcVerdict } from '../contracts/schemas';
import { roleShell } from '../sandbox/stageShell';
import { ROLE_TOOLS, afterwards, fileTools, submitVerdictTool, type ResultSlot } from '../agents/tools';
import { moduleVars, runRoleAgent } from './roleAgent';
import { ownSlot, type ModuleAgentSlot } from './moduleSlot';
import { discardUncommitted, headCommit } from '../git';
import { toolObserver } from './architect';
import type { PipelineContext } from './context';
import { moduleTestCommand } from './moduleTestCommand';

export interface QcRun {
  verdict?: QcVerdict;
}

export async function runQc(
  ctx: PipelineContext,
  spec: ModuleSpec,
  wt: string,
  attempt: number,
  ownershipNote: string,
  waveSlot: ModuleAgentSlot = ownSlot(ctx, spec.name, 'qc'),
  /** The builder's QC-ready summary from report_outcome (seed 000: what it built and how it is tested). */
  builderSummary?: string,
): Promise<QcRun> {
  const name = spec.name;
  const agentId = `qc-${name}-${attempt}`;
  const slot: ResultSlot<QcVerdict> = {};
  const observe = toolObserver(ctx, agentId);
  // Where the branch is before QC, to put back whatever its shell changes: asked while the first model
  // call is made (every tool waits for it).
  const before = headCommit(wt);
  before.catch(() => undefined);
  const { tools, stopOn } = afterwards(before, [
    ...fileTools(
      ROLE_TOOLS.qc,
      // Its test command starts as QC does and runs while the model reads the module.
      { workdir: wt, readOnlyRoots: [wt], ...roleShell(ctx, wt, `qc-${name}`, 'read-only'), commandAhead: moduleTestCommand(ctx, name) },
      observe,
    ),
    submitVerdictTool(slot, observe),
    ...(await ctx.mcp.toolsFor('qc', observe)),
  ]);
  await runRoleAgent(ctx, {
    worktree: wt,
    agentId,
    role: 'qc',
    stage: 'build',
    module: name,
    tier: ctx.config.roleTiers.qc,
    ...waveSlot,
    tools,
    vars: {
      ...moduleVars(ctx, name),
      attempt,
      scope_note: (ownershipNote
        ? `The engine committed the builder's work itself and reports: ${ownershipNote}. None of that is on the module branch. ` +
          'If the module only works with something that was left out (a dependency not in the manifest, a file outside the module), that is a MAJOR finding.'
        : 'The engine committed the builder\'s work; nothing outside what the builder may change was left out.') +
        (builderSummary?.trim()
          ? `\nThe builder's summary of its work (its own claims: check them, do not take them as true):\n<builder-summary>\n${builderSummary.trim().slice(0, 4000).replace(/<\s*\/?\s*builder-summary[^>]*>/gi, '')}\n</builder-summary>`
          : ''),
    },
    isComplete: () => slot.value !== undefined,
    nudge: 'You have not called submit_verdict. Call it now with your verdict and findings.',
    stopOn,
  });
  const changedBy = await discardUncommitted(wt, await before);
  if (changedBy.length) {
    ctx.store.emit({ type: 'containment', agentId, module: name, detail: `QC's shell changed files (discarded): ${changedBy.join(', ')}` });
  }
  return { verdict: slot.value };
}
