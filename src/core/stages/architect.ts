/**
 * Stage 1, the architect: writes the contracts in the integration branch's worktree; the engine
 * validates them and feeds every problem back for a bounded number of repair rounds, then commits
 * them on the integration branch. The user's own tree is never written. On a repository whose
 * contracts exist, what earlier runs locked stays locked (locks/architectGuard.ts), and the audit
 * trail is the engine's alone.
 */
import * as path from 'node:path';
import type { BetaMessageParam } from '@anthropic-ai/sdk/resources/beta';
import { roleShell } from '../sandbox/stageShell';
import { networkNote } from '../sandbox/config';
import { ROLE_TOOLS, fileTools, type ToolObserver } from '../agents/tools';
import { formatProblems, validateContracts } from '../contracts/validator';
import { runRoleAgent } from './roleAgent';
import { commitOwnedChanges, describeOwnership, fileAtCommit, headCommit, moduleBranch } from '../git';
import { CONTRACTS_REL } from './contracts';
import { blueprintCommands, blueprintSummary } from '../stack/gateCommands';
import { codebaseSummary } from '../stack/codebase';
import { ENGINE_AUTHOR, type PipelineContext, type Stage, type StageResult } from './context';
import { auditAllowedChanges, contractsAtStart, guardContractsAtStart, type GuardOutcome } from '../locks/architectGuard';
import { AUDIT_FILE } from '../locks/audit';
import { restoreFile } from '../agents/agentFiles';
import type { Actor } from '../locks/policy';

export const architectStage: Stage = {
  id: 'architect',
  title: 'Architect',
  run: runArchitect,
  gateAfter: {
    id: 'blueprint',
    describe(ctx) {
      const c = ctx.contracts();
      const locked = Object.values(c.locks.decisions).filter((d) => d.lock_level !== 'unlocked').length;
      const counts = { modules: c.manifest.modules.length, adrs: c.adrs.length, lockedDecisions: locked };
      return {
        title: `Blueprint ready: ${counts.modules} modules, ${counts.adrs} ADRs, ${counts.lockedDecisions} locked decisions`,
        // The last line says what the shells' network allows (the install step needs its registry).
        summary: `${blueprintSummary(ctx.config, c.manifest)}\n${networkNote(ctx.config.sandbox)}`,
        commands: blueprintCommands(ctx.config, c.manifest),
        counts,
        openPath: path.join(c.dir, 'architecture.md'),
      };
    },
  },
};

export function toolObserver(ctx: PipelineContext, agentId: string): ToolObserver {
  return {
    call: (tool, input) => ctx.store.emit({ type: 'tool-call', agentId, tool, input: JSON.stringify(input) }),
    result: (tool, isError, output) => ctx.store.emit({ type: 'tool-result', agentId, tool, isError, output }),
  };
}

async function runArchitect(ctx: PipelineContext, feedback?: string): Promise<StageResult> {
  const wt = ctx.store.paths.integrationWorktree;
  const attempt = ctx.store.stage('architect').attempts;
  const agentId = `architect-${attempt}`;
  const observe = toolObserver(ctx, agentId);
  const contractsDir = path.join(wt, CONTRACTS_REL);
  // The audit trail as committed: only the engine appends to it (the tools refuse it, and whatever an
  // architect's shell did to it, in this attempt or a stopped one, is undone before the commit).
  const engineHead = await headCommit(wt);
  const auditAtStart = await fileAtCommit(wt, engineHead, `${CONTRACTS_REL}/${AUDIT_FILE}`);
  const atStart = await contractsAtStart(ctx.store.state.repoRoot, ctx.store.state.baseCommit, CONTRACTS_REL);
  const actor: Actor = { role: 'architect', name: agentId };
  const tools = [
    ...fileTools(
      ROLE_TOOLS.architect,
      {
        workdir: wt,
        readOnlyRoots: [`${CONTRACTS_REL}/${AUDIT_FILE}`],
        writable: [`${CONTRACTS_REL}/`],
        ...roleShell(ctx, wt, 'architect', 'writes-worktree'),
      },
      observe,
    ),
    ...(await ctx.mcp.toolsFor('architect', observe)),
  ];
  const vars = {
    project_line: firstLine(ctx.store.state.description),
    project_description: ctx.store.state.description,
    existing_codebase: await codebaseSummary(wt),
    feedback: feedback ? `\n<human-feedback>\n${feedback}\n</human-feedback>\nRevise the existing contracts accordingly.` : '',
  };
  let history: BetaMessageParam[] | undefined;
  let allowed: GuardOutcome['allowed'] = [];
  for (let round = 0; ; round++) {
    const result = await runRoleAgent(ctx, { agentId, role: 'architect', stage: 'architect', tier: ctx.config.roleTiers.architect, tools, vars, history });
    const guard = atStart ? guardContractsAtStart(wt, CONTRACTS_REL, atStart, actor) : { restored: [], allowed: [] };
    allowed = guard.allowed;
    if (guard.restored.length) ctx.store.emit({ type: 'containment', agentId, detail: `changes to locked contracts undone:\n${guard.restored.join('\n')}` });
    const validation = await validateContracts(contractsDir);
    const lastRound = round >= ctx.config.architectRepairRounds;
    // Valid, and nothing of earlier runs undone (or no round left to tell the architect): done. An
    // undone change is told, so the rest of the blueprint is made to fit what stands.
    if (validation.ok && (guard.restored.length === 0 || lastRound)) break;
    const restored = guard.restored.map((r) => `- ${r}`).join('\n');
    if (validation.ok) {
      history = [
        ...result.messages,
        {
          role: 'user',
          content: `The engine undid these changes to contract items earlier runs decided, because you may not make them. Make the rest of the blueprint consistent with those items as they stand (a new ADR may propose a change for the human to decide), then finish again.\n<restored-contracts>\n${restored}\n</restored-contracts>`,
        },
      ];
      continue;
    }
    const problems = [formatProblems(validation.problems), restored].filter(Boolean).join('\n');
    ctx.store.emit({ type: 'log', level: 'warn', message: `contracts invalid after round ${round + 1}:\n${problems}` });
    if (lastRound) {
      return { status: 'halted', reason: `the architect's contracts are still invalid after ${round + 1} rounds:\n${problems}` };
    }
    history = [
      ...result.messages,
      {
        role: 'user',
        content: `The engine validated your contracts and found these problems. Fix exactly these, then finish again.\n<validation-problems>\n${problems}\n</validation-problems>`,
      },
    ];
  }

  restoreFile(wt, `${CONTRACTS_REL}/${AUDIT_FILE}`, auditAtStart);
  const audited = auditAllowedChanges(contractsDir, allowed, actor, `revised by the architect in run ${ctx.store.state.runId}`, firstLine(ctx.store.state.description).slice(0, 200), new Date());
  if (audited) ctx.store.emit({ type: 'log', level: 'info', message: `${agentId}: ${audited} change(s) to contract items of earlier runs recorded in ${AUDIT_FILE}` });
  // The engine commits the contracts, and only them: the architect's own commits are undone and
  // anything its shell left elsewhere is discarded.
  const owned = await commitOwnedChanges(wt, {
    branch: ctx.store.state.integrationBranch,
    engineHead,
    allowed: (p) => p.startsWith(`${CONTRACTS_REL}/`),
    message: `contracts: blueprint for "${firstLine(ctx.store.state.description).slice(0, 60)}"`,
    author: ENGINE_AUTHOR,
  });
  const commit = owned.commit;
  const note = describeOwnership(agentId, owned);
  if (note) ctx.store.emit({ type: 'containment', agentId, detail: note });
  const contracts = await ctx.reloadContracts();
  ctx.store.update((s) => {
    if (commit) s.contractsCommit = commit;
    s.modules = contracts.manifest.modules.map((m) => ({
      name: m.name,
      status: 'pending',
      tier: ctx.config.roleTiers.builder ?? m.builder_model,
      branch: moduleBranch(s.runId, m.name),
      fixCycles: 0,
      qcAttempts: 0,
      usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, calls: 0 },
    }));
  });
  return { status: 'done', detail: `${contracts.manifest.modules.length} modules` };
}

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim()) ?? text).trim();
}
