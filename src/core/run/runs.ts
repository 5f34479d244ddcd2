/** Finding runs of a repository: where they live, which exist, which one is unfinished. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunState } from '../contracts/schemas';
import { gitCommonDir } from '../git';
import { isRunId, runPaths } from './runDir';
import { readState } from './store';
import { runLockOwner } from './lock';

export async function runsRootFor(repoRoot: string, configured?: string): Promise<string> {
  if (configured) return path.resolve(repoRoot, configured);
  return path.join(await gitCommonDir(repoRoot), 'build-pipeline', 'runs');
}

/** Every readable run, newest first. A run whose state cannot be read is skipped, not fatal. */
export async function listRuns(repoRoot: string, configuredRunsDir?: string): Promise<RunState[]> {
  const root = await runsRootFor(repoRoot, configuredRunsDir);
  if (!fs.existsSync(root)) return [];
  const out: RunState[] = [];
  for (const id of fs.readdirSync(root).filter(isRunId).sort().reverse()) {
    try {
      out.push(readState(runPaths(root, id).state));
    } catch {
      // a run directory created but not yet initialised, or damaged: not listed
    }
  }
  return out;
}

/** Whether some live process is driving the run right now (its lock is held). */
export function isRunActive(run: RunState): boolean {
  return runLockOwner(run.runDir) !== undefined;
}

/**
 * The newest run that ended before its end (or a process died driving it) and that no process is
 * driving now: the one to offer for resume. A run the CLI or another window drives is not offered;
 * its resume would only meet the lock.
 */
export async function findUnfinishedRun(repoRoot: string, configuredRunsDir?: string): Promise<RunState | undefined> {
  return (await listRuns(repoRoot, configuredRunsDir)).find((r) => (r.status === 'running' || r.status === 'awaiting-approval' || r.status === 'halted') && !isRunActive(r));
}

