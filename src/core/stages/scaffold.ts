/**
 * Stage 2, scaffold: an agent creates the skeleton in the integration worktree; the engine restores
 * the contracts if anything touched them, commits, and checks conformance (every module folder and
 * the shared files exist, the test command runs green). One repair round, then a clear failure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentShellEnv } from '../agents/env';
import { ROLE_TOOLS, fileTools } from '../agents/tools';
import { runRoleAgent } from './roleAgent';
import { commitAll, restorePaths, headCommit } from '../git';
import { runCommand } from '../shell';
import { roleShell } from '../sandbox/stageShell';
import { addUsage } from '../usage';
import { CONTRACTS_REL, moduleDir } from './contracts';
import { toolObserver } from './architect';
import { agentAuthor, type PipelineContext, type Stage, type StageResult } from './context';

export const scaffoldStage: Stage = { id: 'scaffold', title: 'Scaffold', run: runScaffold };

const SCAFFOLD_ROUNDS = 2;

async function runScaffold(ctx: PipelineContext): Promise<StageResult> {
  const wt = ctx.store.paths.integrationWorktree;
  const contracts = ctx.contracts();
  let feedback = '';
  for (let round = 0; round < SCAFFOLD_ROUNDS; round++) {
    const agentId = `scaffold-${round}`;
    const observe = toolObserver(ctx, agentId);
    const tools = [
      ...fileTools(
        ROLE_TOOLS.scaffold,
        {
          workdir: wt,
          readOnlyRoots: [path.join(wt, CONTRACTS_REL)],
          ...roleShell(ctx, wt, 'scaffold', 'writes-worktree'),
        },
        observe,
      ),
      ...(await ctx.mcp.toolsFor('scaffold', observe)),
    ];
    const result = await runRoleAgent(ctx, {
      agentId,
      role: 'scaffold',
      stage: 'scaffold',
      tier: ctx.config.roleTiers.scaffold,
      tools,
      vars: {
        contracts_bundle: contracts.bundle,
        project_name: contracts.manifest.project,
        test_command: ctx.config.integrationTestCommand,
        module_list: contracts.manifest.modules.map((m) => m.name).join(', '),
        feedback,
      },
    });
    ctx.store.update((s) => addUsage(s.stages.find((x) => x.id === 'scaffold')!.usage, result.usage));

    // bash is not path-confined: whatever it did to the contracts is undone before anything is committed.
    const touched = await restorePaths(wt, [CONTRACTS_REL]);
    if (touched.length) {
      ctx.store.emit({ type: 'containment', agentId, detail: `scaffold changed contract files (restored): ${touched.join(', ')}` });
    }
    await commitAll(wt, `scaffold: skeleton for ${contracts.manifest.modules.length} modules`, agentAuthor('scaffold'));

    const problems = await conformanceProblems(ctx, wt);
    if (problems.length === 0) {
      const commit = await headCommit(wt);
      ctx.store.update((s) => (s.scaffoldCommit = commit));
      return { status: 'done', detail: `skeleton at ${commit.slice(0, 8)}` };
    }
    feedback = `\nThe engine checked your skeleton and found these problems; fix them:\n<validation-problems>\n${problems.join('\n')}\n</validation-problems>`;
    ctx.store.emit({ type: 'log', level: 'warn', message: `scaffold does not conform:\n${problems.join('\n')}` });
  }
  return { status: 'halted', reason: `the scaffold does not match the contracts after ${SCAFFOLD_ROUNDS} rounds:\n${feedback}` };
}

async function conformanceProblems(ctx: PipelineContext, wt: string): Promise<string[]> {
  const problems: string[] = [];
  for (const m of ctx.contracts().manifest.modules) {
    const dir = path.join(wt, moduleDir(m.name));
    if (!fs.existsSync(dir) || fs.readdirSync(dir).length === 0) problems.push(`module folder ${moduleDir(m.name)}/ is missing or empty`);
  }
  if (!fs.existsSync(path.join(wt, 'src/shared')) || fs.readdirSync(path.join(wt, 'src/shared')).length === 0) {
    problems.push('shared types folder src/shared/ is missing or empty');
  }
  const tests = await runCommand(ctx.config.integrationTestCommand, wt, agentShellEnv('engine'), ctx.config.testTimeoutMs, ctx.signal, ctx.sandbox);
  if (tests.exitCode !== 0) {
    problems.push(`the test command \`${ctx.config.integrationTestCommand}\` fails on the skeleton (exit ${tests.exitCode}):\n${tests.output.slice(-2000)}`);
  }
  return problems;
}
