/**
 * Stage 2, scaffold. On a repository that already has code, the project's own tests run first on
 * the base commit (red stops the run before any builder is paid for). Then an agent writes the
 * skeleton (module folders, shared types, the manifest with every declared dependency, the test
 * harness); the engine commits what the agent may change (never the contracts), writes a
 * `.gitignore` for the stack, runs the toolchain's `install` and commits the result (lockfiles, not
 * the installed folders). Conformance: every module folder and the shared types exist inside the
 * worktree, the manifest declares the dependencies, the integration tests are green. One repair
 * round, then a clear failure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentShellEnv } from '../agents/env';
import { ROLE_TOOLS, fileTools } from '../agents/tools';
import { modulePathOf, sharedPathOf } from '../contracts/schemas';
import { commitOwnedChanges, describeOwnership, headCommit, ignoredEntries, integrationBranch } from '../git';
import { runCommand, stoppedError } from '../shell';
import { hasExistingCode } from '../stack/baseline';
import { projectCommands } from '../stack/commands';
import { ensureGitignore } from '../stack/gitignore';
import { manifestDependencyProblems } from '../stack/manifestDependencies';
import { roleShell } from '../sandbox/stageShell';
import { networkRefusalHint } from '../sandbox/networkRefusal';
import { CONTRACTS_REL } from './contracts';
import { scaffoldSlice } from '../contracts/slice';
import { toolObserver } from './architect';
import { runRoleAgent } from './roleAgent';
import { agentAuthor, ENGINE_AUTHOR, type PipelineContext, type Stage, type StageResult } from './context';

export const scaffoldStage: Stage = { id: 'scaffold', title: 'Scaffold', run: runScaffold };

const SCAFFOLD_ROUNDS = 2;
const OUTPUT_TAIL = 4000;

async function runScaffold(ctx: PipelineContext): Promise<StageResult> {
  const wt = ctx.store.paths.integrationWorktree;
  const contracts = ctx.contracts();
  const commands = projectCommands(ctx.config, contracts.manifest);

  if (await hasExistingCode(wt)) {
    const baseline = await baselineCheck(ctx, wt);
    if (baseline) return { status: 'halted', reason: baseline };
  }

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
    const engineHead = await headCommit(wt);
    const ignoredBefore = await ignoredEntries(wt);
    await runRoleAgent(ctx, {
      agentId,
      role: 'scaffold',
      stage: 'scaffold',
      tier: ctx.config.roleTiers.scaffold,
      tools,
      vars: {
        contracts_shared: contracts.shared,
        contracts_slice: scaffoldSlice(contracts),
        project_name: contracts.manifest.project,
        runtime: contracts.manifest.toolchain.runtime,
        install_command: commands.install,
        test_command: commands.integrationTest,
        module_list: contracts.manifest.modules.map((m) => `${m.name} (${modulePathOf(m)}/)`).join(', '),
        shared_path: sharedPathOf(contracts.manifest),
        feedback,
      },
    });

    // The engine commits: never the contracts or anything under .orchestration/, never installed folders.
    const owned = await commitOwnedChanges(
      wt,
      {
        branch: integrationBranch(ctx.store.state.runId),
        engineHead,
        allowed: scaffoldMayCommit,
        message: `scaffold: skeleton for ${contracts.manifest.modules.length} modules`,
        author: agentAuthor('scaffold'),
      },
      ignoredBefore,
    );
    const note = describeOwnership(agentId, owned);
    if (note) ctx.store.emit({ type: 'containment', agentId, detail: note });

    const install = await installDependencies(ctx, wt, 'scaffold: .gitignore and lockfiles after install');
    // No scaffold round can open the network: only the user's allow-list can, so stop and say which.
    if (install.networkHint) return { status: 'halted', reason: `${install.problems.join('\n')}\n${install.networkHint}` };
    const problems = [...install.problems, ...(await conformanceProblems(ctx, wt))];
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

/**
 * The .gitignore for the stack, then `install`, then an engine commit of what that changed
 * (a lockfile, the .gitignore); the installed folders themselves are ignored. Returns the problems,
 * and the hint to allow-list the registry when the sandbox kept the install off the network.
 */
async function installDependencies(ctx: PipelineContext, wt: string, message: string): Promise<{ problems: string[]; networkHint?: string }> {
  const manifest = ctx.contracts().manifest;
  const install = projectCommands(ctx.config, manifest).install;
  const engineHead = await headCommit(wt);
  const added = ensureGitignore(wt, manifest.toolchain.runtime);
  if (added.length) ctx.store.emit({ type: 'log', level: 'info', message: `.gitignore: added ${added.join(' ')}` });
  const run = await runCommand(install, wt, agentShellEnv('engine'), ctx.config.testTimeoutMs, ctx.signal, ctx.sandbox);
  ctx.store.emit({ type: 'log', level: run.exitCode === 0 ? 'info' : 'warn', message: `install \`${install}\` exited ${run.exitCode} in ${run.durationMs} ms` });
  await commitOwnedChanges(wt, {
    branch: integrationBranch(ctx.store.state.runId),
    engineHead,
    allowed: scaffoldMayCommit,
    message,
    author: ENGINE_AUTHOR,
  });
  // Committed as always (the worktree stays clean for what comes next), but a stopped install did not fail.
  if (ctx.signal.aborted) throw stoppedError(`install \`${install}\``, ctx.signal);
  if (run.exitCode === 0) return { problems: [] };
  const outcome = run.timedOut ? 'timed out' : `exited with ${run.exitCode}`;
  const networkHint = networkRefusalHint(install, run.output, ctx.sandbox);
  if (networkHint) ctx.store.emit({ type: 'log', level: 'error', message: networkHint });
  return { problems: [`the install command \`${install}\` ${outcome}:\n${run.output.slice(-OUTPUT_TAIL)}`], networkHint };
}

/** Installs the existing project's dependencies and runs its tests; returns the halt reason when they are red. */
async function baselineCheck(ctx: PipelineContext, wt: string): Promise<string | undefined> {
  const test = projectCommands(ctx.config, ctx.contracts().manifest).integrationTest;
  ctx.store.emit({ type: 'log', level: 'info', message: `existing code found: running \`${test}\` on the base commit before anything is built` });
  const { problems: installProblems, networkHint } = await installDependencies(ctx, wt, 'baseline: .gitignore and lockfiles of the existing project');
  if (networkHint) return `${installProblems[0]?.split('\n')[0] ?? 'the install failed'}. ${networkHint}`;
  const run = await runCommand(test, wt, agentShellEnv('engine'), ctx.config.testTimeoutMs, ctx.signal, ctx.sandbox);
  // Killed by the stop, the existing tests are not red: no baseline report saying so.
  if (ctx.signal.aborted) throw stoppedError(`baseline tests \`${test}\``, ctx.signal);
  if (run.exitCode === 0) {
    // Green tests with a failed install: the existing code may simply have no manifest yet (a folder of
    // scripts); the scaffold writes one and installs again, and stops there if that install fails.
    if (installProblems.length > 0) {
      ctx.store.emit({ type: 'log', level: 'warn', message: `baseline: the existing tests pass, but the install on the base commit failed (the scaffold installs again): ${installProblems[0]!.split('\n')[0]}` });
    }
    return undefined;
  }
  const report = path.join(ctx.store.paths.qc, 'baseline-tests.md');
  const outcome = run.timedOut ? 'timed out' : `exited with ${run.exitCode}`;
  fs.writeFileSync(
    report,
    `# Baseline tests: red before the build\n\nThe repository's own tests (\`${test}\`) ${outcome} on the base commit ` +
      `${ctx.store.state.baseCommit.slice(0, 12)}, before any module was built. Nothing was built.\n\n` +
      `${installProblems.join('\n')}\n\n\`\`\`\n${run.output.slice(-20000)}\n\`\`\`\n<!-- DONE -->\n`,
  );
  const firstProblem = installProblems[0] ? `${installProblems[0].split('\n')[0]}; ` : '';
  return (
    `the existing tests are red on the base commit before anything was built (\`${test}\` ${outcome}); ${firstProblem}` +
    `fix them (or the toolchain commands in the contracts) and start again. Details in ${report}. Output (end):\n${run.output.slice(-OUTPUT_TAIL)}`
  );
}

async function conformanceProblems(ctx: PipelineContext, wt: string): Promise<string[]> {
  const problems: string[] = [];
  const manifest = ctx.contracts().manifest;
  const root = fs.realpathSync(wt);
  const folders = [
    ...manifest.modules.map((m) => ({ label: 'module folder', rel: modulePathOf(m), owner: ` (module ${m.name})` })),
    { label: 'shared types folder', rel: sharedPathOf(manifest), owner: '' },
  ];
  for (const { label, rel, owner } of folders) {
    const dir = path.join(wt, rel);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory() || fs.readdirSync(dir).length === 0) {
      problems.push(`${label} ${rel}/ is missing or empty${owner}`);
      continue;
    }
    // A folder that is a symlink out of the repository would let a builder write elsewhere.
    const real = fs.realpathSync(dir);
    if (real !== path.join(root, rel)) problems.push(`${label} ${rel}/${owner} is a symlink or under one (resolves to ${real}); it must be a real folder in the repository`);
  }
  problems.push(...manifestDependencyProblems(wt, manifest));
  const test = projectCommands(ctx.config, manifest).integrationTest;
  const tests = await runCommand(test, wt, agentShellEnv('engine'), ctx.config.testTimeoutMs, ctx.signal, ctx.sandbox);
  // Killed by the stop, the skeleton's tests are not red: no scaffold round is spent on them.
  if (ctx.signal.aborted) throw stoppedError(`the skeleton's tests \`${test}\``, ctx.signal);
  if (tests.exitCode !== 0) {
    problems.push(`the test command \`${test}\` fails on the skeleton (exit ${tests.exitCode}):\n${tests.output.slice(-2000)}`);
  }
  return problems;
}

/**
 * What the engine commits of the scaffold's work: anything but `.orchestration` (the contracts, memory,
 * training). The folder itself counts: replaced by a file or a symlink, it showed in git's status as
 * the bare name `.orchestration`, and committing that took the deletion of every contract with it.
 */
export function scaffoldMayCommit(rel: string): boolean {
  return rel !== '.orchestration' && !rel.startsWith('.orchestration/');
}
