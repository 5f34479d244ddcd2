/**
 * Stage 1, the architect: writes the contracts in the integration branch's worktree; the engine
 * validates them and feeds every problem back for a bounded number of repair rounds, then commits
 * them on the integration branch. The user's own tree is never written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BetaMessageParam } from '@anthropic-ai/sdk/resources/beta';
import { roleShell } from '../sandbox/stageShell';
import { networkNote } from '../sandbox/config';
import { ROLE_TOOLS, fileTools, type ToolObserver } from '../agents/tools';
import { formatProblems, validateContracts } from '../contracts/validator';
import { runRoleAgent } from './roleAgent';
import { commitAll, discardUncommitted, headCommit, listTrackedFiles, moduleBranch } from '../git';
import { addUsage } from '../usage';
import { CONTRACTS_REL } from './contracts';
import { ENGINE_AUTHOR, type PipelineContext, type Stage, type StageResult } from './context';

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
        summary: c.manifest.modules
          .map((m) => `${m.name} (${m.builder_model})${m.depends_on.length ? ` ← ${m.depends_on.join(', ')}` : ''}: ${m.description}`)
          .join('\n')
          // One line, the last: what the shells' network allows (the install step needs its registry).
          .concat(`\n${networkNote(ctx.config.sandbox)}`),
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
  const tools = [
    ...fileTools(
      ROLE_TOOLS.architect,
      {
        workdir: wt,
        readOnlyRoots: [],
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
  for (let round = 0; ; round++) {
    const result = await runRoleAgent(ctx, { agentId, role: 'architect', stage: 'architect', tier: ctx.config.roleTiers.architect, tools, vars, history });
    ctx.store.update((s) => addUsage(s.stages.find((x) => x.id === 'architect')!.usage, result.usage));
    const validation = await validateContracts(path.join(wt, CONTRACTS_REL));
    if (validation.ok) break;
    const problems = formatProblems(validation.problems);
    ctx.store.emit({ type: 'log', level: 'warn', message: `contracts invalid after round ${round + 1}:\n${problems}` });
    if (round >= ctx.config.architectRepairRounds) {
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

  const commit = await commitAll(wt, `contracts: blueprint for "${firstLine(ctx.store.state.description).slice(0, 60)}"`, ENGINE_AUTHOR, [CONTRACTS_REL]);
  // Files the architect's shell left outside the contracts are not part of the blueprint.
  const stray = await discardUncommitted(wt, await headCommit(wt));
  if (stray.length) ctx.store.emit({ type: 'containment', agentId, detail: `architect changed files outside the contracts (discarded): ${stray.join(', ')}` });
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

/** A short, bounded picture of what is already in the repository, for the architect. */
async function codebaseSummary(worktree: string): Promise<string> {
  const files = await listTrackedFiles(worktree);
  const visible = files.filter((f) => !f.startsWith('.orchestration/'));
  if (visible.length === 0) return 'None: this is a new project.';
  const shown = visible.slice(0, 150).map((f) => `- ${f}`);
  const readme = ['README.md', 'readme.md'].map((r) => path.join(worktree, r)).find((p) => fs.existsSync(p));
  const readmeText = readme ? `\n\nREADME (first 2000 characters):\n${fs.readFileSync(readme, 'utf8').slice(0, 2000)}` : '';
  return `${visible.length} tracked files${visible.length > 150 ? ' (first 150 shown)' : ''}:\n${shown.join('\n')}${readmeText}`;
}
