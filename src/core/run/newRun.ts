/**
 * Creating the record of a new run: the one-active-run check, the run directory and the first
 * state.json. Build runs and standalone audits are recorded the same way, so listing, status,
 * locking and resume treat them alike; they differ only in mode, stages and integration branch.
 */
import type { RunState } from '../contracts/schemas';
import * as fs from 'node:fs';
import { runsRootFor } from './runs';
import { acquireRunLock, RunLockedError, runLockOwner } from './lock';
import { createRunDir, isRunId, newRunId, runPaths } from './runDir';
import { RunStore } from './store';
import { emptyUsage } from '../usage';

/**
 * One active run per repository: two runs would race for the same CPU, budget and user attention.
 * Whatever its kind: a pipeline or audit run (state.json) and an implement run (plan-run.json) live
 * side by side under the same runs root and take the same lock, so this reads the locks, not one
 * kind of state file.
 */
export async function assertNoActiveRun(repoRoot: string, runsDir: string | undefined): Promise<void> {
  const root = await runsRootFor(repoRoot, runsDir);
  if (!fs.existsSync(root)) return;
  for (const id of fs.readdirSync(root).filter(isRunId).sort().reverse()) {
    const runDir = runPaths(root, id).runDir;
    const owner = runLockOwner(runDir);
    if (owner !== undefined) throw new RunLockedError(owner, runDir);
  }
}

export interface NewRun {
  runsRoot: string;
  repo: { root: string; branch: string | null; head: string };
  description: string;
  mode: RunState['mode'];
  offline: boolean;
  shellsSandboxed: boolean;
  stageIds: readonly string[];
  /** The branch the run builds on; empty for an audit, which never writes to the repository. */
  integrationBranch: (runId: string) => string;
  secrets: string[];
}

/**
 * The new run's directory, its lock and its first state.json, in that order: the lock is taken before
 * the state exists, so no other process sees (and resumes, or starts beside) a run between its
 * creation and its start. The caller hands the lock to the run, or releases it when the start fails.
 */
export function createRunRecord(run: NewRun): { store: RunStore; releaseLock: () => void } {
  const runId = newRunId();
  const paths = runPaths(run.runsRoot, runId);
  createRunDir(paths);
  const releaseLock = acquireRunLock(paths.runDir);
  const now = new Date().toISOString();
  const state: RunState = {
    version: 1,
    runId,
    runDir: paths.runDir,
    repoRoot: run.repo.root,
    description: run.description,
    mode: run.mode,
    offline: run.offline,
    shellsSandboxed: run.shellsSandboxed,
    baseBranch: run.repo.branch ?? '(detached)',
    baseCommit: run.repo.head,
    integrationBranch: run.integrationBranch(runId),
    status: 'running',
    createdAt: now,
    updatedAt: now,
    stages: run.stageIds.map((id) => ({ id, status: 'pending', attempts: 0, usage: emptyUsage() })),
    modules: [],
    gates: [],
    usage: emptyUsage(),
    agentUsage: {},
    agentCostUsd: {},
    roleUsage: {},
    costUsd: 0,
    merges: [],
  };
  try {
    const store = new RunStore(paths, state, run.secrets);
    store.save();
    return { store, releaseLock };
  } catch (e) {
    releaseLock();
    throw e;
  }
}
