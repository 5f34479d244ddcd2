/**
 * Preparing a standalone audit run. It is recorded like a build run (mode "audit"), so listing,
 * status, locking and resume work the same; it creates no branch and no worktree of the user's, and
 * reads HEAD as of the start (later commits of the user's are not audited half-way through).
 */
import type { StartRunOptions } from '../api';
import { loadConfig, type PipelineConfig } from '../config';
import type { RunState } from '../contracts/schemas';
import { openRepo } from '../git';
import { createRunDir, newRunId, runPaths } from '../run/runDir';
import { assertNoActiveRun, runsRootFor } from '../run/runs';
import { RunStore } from '../run/store';
import { emptyUsage } from '../usage';
import { AUDIT_STAGES } from './stages';

/** Creates the audit run's directory and state; engine.ts's startAudit then drives AUDIT_STAGES. */
export async function prepareAuditRun(opts: StartRunOptions, secrets: string[]): Promise<{ store: RunStore; config: PipelineConfig }> {
  const repo = await openRepo(opts.repoRoot);
  const config = loadConfig(repo.root, opts.config);
  await assertNoActiveRun(repo.root, config.runsDir);
  const runId = newRunId();
  const paths = runPaths(await runsRootFor(repo.root, config.runsDir), runId);
  createRunDir(paths);
  const now = new Date().toISOString();
  const state: RunState = {
    version: 1,
    runId,
    runDir: paths.runDir,
    repoRoot: repo.root,
    description: opts.description,
    mode: 'audit',
    offline: opts.offline,
    baseBranch: repo.branch ?? '(detached)',
    baseCommit: repo.head,
    // An audit has no integration branch: it never writes to the repository.
    integrationBranch: '',
    status: 'running',
    createdAt: now,
    updatedAt: now,
    stages: AUDIT_STAGES.map((s) => ({ id: s.id, status: 'pending', attempts: 0, usage: emptyUsage() })),
    modules: [],
    gates: [],
    usage: emptyUsage(),
    agentUsage: {},
    costUsd: 0,
    merges: [],
  };
  const store = new RunStore(paths, state, secrets);
  store.save();
  return { store, config };
}
