/**
 * Creating the record of a new run: the one-active-run check, the run directory and the first
 * state.json. Build runs and standalone audits are recorded the same way, so listing, status,
 * locking and resume treat them alike; they differ only in mode, stages and integration branch.
 */
import type { RunState } from '../contracts/schemas';
import * as fs from 'node:fs';
import * as path from 'node:path';
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
  assertNoOtherActiveRun(await runsRootFor(repoRoot, runsDir));
}

/** No run under `runsRoot` but `except` (the caller's own, whose lock it holds) is being driven. */
export function assertNoOtherActiveRun(runsRoot: string, except?: string): void {
  if (!fs.existsSync(runsRoot)) return;
  for (const id of fs.readdirSync(runsRoot).filter(isRunId).sort().reverse()) {
    if (id === except) continue;
    const runDir = runPaths(runsRoot, id).runDir;
    const owner = runLockOwner(runDir);
    if (owner !== undefined) throw new RunLockedError(owner, runDir);
  }
}

/**
 * Takes the lock of the run in `runDir` (under `runsRoot`) and then makes sure it is the only run
 * being driven: a resume has no earlier check, and two starts can both pass theirs (the model and
 * sandbox checks between it and the lock take seconds). Each sees the other's lock here and at
 * least one stops; in an exact tie both do, which the user fixes by starting again, where two runs
 * would race for one repository. Returns the lock's release.
 */
export function lockAsOnlyActiveRun(runsRoot: string, runDir: string): () => void {
  const releaseLock = acquireRunLock(runDir);
  try {
    assertNoOtherActiveRun(runsRoot, path.basename(runDir));
    return releaseLock;
  } catch (e) {
    releaseLock();
    throw e;
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
  let releaseLock: () => void;
  try {
    releaseLock = lockAsOnlyActiveRun(run.runsRoot, paths.runDir);
  } catch (e) {
    // Another run became active meanwhile: this one leaves nothing behind.
    fs.rmSync(paths.runDir, { recursive: true, force: true });
    throw e;
  }
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
