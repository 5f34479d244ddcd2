/**
 * Per-module QC (M7): a read-only agent (read, glob, grep, and bash to run the tests; no write or
 * edit) grades the module in its worktree and returns a structured verdict through submit_verdict.
 * Anything its shell changed in the worktree is thrown away afterwards, so QC cannot alter what it grades.
 */
import type { ModuleSpec, QcVerdict, Usage } from '../contracts/schemas';
import { runAgent } from '../agents/runAgent';
import { agentShellEnv } from '../agents/env';
import { fileTools, submitVerdictTool, toolNames, type ResultSlot } from '../agents/tools';
import { loadTemplate, renderPrompt } from '../prompts';
import { discardUncommitted, headCommit } from '../git';
import { CONTRACTS_REL, moduleDir } from './contracts';
import { toolObserver } from './architect';
import { moduleTestCommand } from './builder';
import type { PipelineContext } from './context';

export interface QcRun {
  verdict?: QcVerdict;
  usage: Usage;
}

export async function runQc(ctx: PipelineContext, spec: ModuleSpec, wt: string, attempt: number, outOfScope: string[]): Promise<QcRun> {
  const name = spec.name;
  const agentId = `qc-${name}-${attempt}`;
  const slot: ResultSlot<QcVerdict> = {};
  const observe = toolObserver(ctx, agentId);
  const tools = [
    ...fileTools(
      ['bash', 'read', 'glob', 'grep'],
      { workdir: wt, readOnlyRoots: [wt], env: agentShellEnv(`qc-${name}`), bashTimeoutMs: ctx.config.bashTimeoutMs },
      observe,
    ),
    submitVerdictTool(slot, observe),
  ];
  const contracts = ctx.contracts();
  const prompt = renderPrompt(loadTemplate('qc'), {
    contracts_dir: CONTRACTS_REL,
    tools: toolNames(tools),
    contracts_bundle: contracts.bundle,
    project_name: contracts.manifest.project,
    module_name: name,
    module_dir: moduleDir(name),
    test_command: moduleTestCommand(ctx, name),
    attempt,
    scope_note: outOfScope.length
      ? `The engine found changes outside the module folder (bash is not path-confined): ${outOfScope.join(', ')}. Judge whether they break the contract or other modules.`
      : 'The engine found no changes outside the module folder.',
  });
  const before = await headCommit(wt);
  const tier = ctx.config.roleTiers.qc;
  const result = await runAgent(
    {
      agentId,
      role: 'qc',
      module: name,
      stage: 'build',
      tier,
      model: ctx.modelFor(tier),
      system: [prompt.system],
      task: prompt.task,
      tools,
      maxTurns: ctx.config.maxAgentTurns,
      maxTokens: ctx.config.maxTokens,
      isComplete: () => slot.value !== undefined,
      nudge: 'You have not called submit_verdict. Call it now with your verdict and findings.',
    },
    ctx.runtime(),
  );
  const changedBy = await discardUncommitted(wt, before);
  if (changedBy.length) {
    ctx.store.emit({ type: 'containment', agentId, module: name, detail: `QC's shell changed files (discarded): ${changedBy.join(', ')}` });
  }
  return { verdict: slot.value, usage: result.usage };
}
