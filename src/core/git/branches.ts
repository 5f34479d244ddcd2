/**
 * Branch names the engine creates: `orchestration/{runId}/integration` and
 * `orchestration/{runId}/{module}`. The run id and module name are validated before they are
 * joined, and the result is checked again by git itself, so nothing a model writes into
 * modules.json can turn into an option, a ref path outside `orchestration/`, or an invalid ref.
 */
import * as os from 'node:os';
import { assertSafeModuleName, quoteUntrusted, UnsafeNameError } from '../contracts/names';
import { GitError } from './errors';
import { failure, runGit, serializedPerRepo } from './run';
import { isRunId } from '../run/runDir';

/** Every branch the engine creates lives under this prefix; it never deletes anything outside it. */
export const ENGINE_BRANCH_PREFIX = 'orchestration/';
export function runIdProblem(runId: unknown): string | null {
  if (typeof runId !== 'string' || !isRunId(runId)) {
    return `run id ${quoteUntrusted(runId)} is not of the form YYYYMMDD-HHMMSS-<8 hex digits>`;
  }
  return null;
}

function assertRunId(runId: string): void {
  const problem = runIdProblem(runId);
  if (problem !== null) throw new GitError('invalidName', problem);
}

export function integrationBranch(runId: string): string {
  assertRunId(runId);
  return `${ENGINE_BRANCH_PREFIX}${runId}/integration`;
}

export function moduleBranch(runId: string, module: string): string {
  assertRunId(runId);
  try {
    assertSafeModuleName(module);
  } catch (error) {
    if (error instanceof UnsafeNameError) throw new GitError('invalidName', error.reason);
    throw error;
  }
  return `${ENGINE_BRANCH_PREFIX}${runId}/${module}`;
}

export function isEngineBranch(name: string): boolean {
  return name.startsWith(ENGINE_BRANCH_PREFIX);
}

/**
 * Asks git whether `name` is a valid branch name (`git check-ref-format --branch`) and requires it
 * to be an engine branch. The pattern checks above should make this redundant; it is the backstop.
 */
export async function assertValidEngineBranch(name: string): Promise<void> {
  if (!isEngineBranch(name) || name.startsWith('-')) {
    throw new GitError('invalidName', `branch ${quoteUntrusted(name)} is not under ${ENGINE_BRANCH_PREFIX}`);
  }
  // git's answer depends on the name alone: asked once per name, not once per worktree operation.
  if (acceptedBranchNames.has(name)) return;
  const run = await runGit(os.tmpdir(), ['check-ref-format', '--branch', name]);
  if (run.exitCode !== 0 || run.stdout.trim() !== name) {
    throw new GitError('invalidName', `git does not accept ${quoteUntrusted(name)} as a branch name`);
  }
  if (acceptedBranchNames.size > 4096) acceptedBranchNames.clear();
  acceptedBranchNames.add(name);
}

const acceptedBranchNames = new Set<string>();

export async function branchExists(repoRoot: string, name: string): Promise<boolean> {
  const run = await runGit(repoRoot, ['rev-parse', '--verify', '--quiet', `refs/heads/${name}^{commit}`]);
  return run.exitCode === 0;
}

/** Deletes an engine branch (never anything outside `orchestration/`). Missing branches are fine. */
export async function deleteEngineBranch(repoRoot: string, name: string): Promise<void> {
  await assertValidEngineBranch(name);
  await serializedPerRepo(repoRoot, async () => {
    if (!(await branchExists(repoRoot, name))) return;
    const args = ['branch', '-D', name];
    const run = await runGit(repoRoot, args);
    if (run.exitCode !== 0) throw failure(args, run);
  });
}
