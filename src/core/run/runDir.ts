/**
 * The run directory (SPEC M16): `<git common dir>/build-pipeline/runs/<runId>/`. Inside `.git` it
 * survives reboots, is never committed and never shows up in the user's working tree.
 * It holds `state.json` (written atomically), `journal.jsonl`, `qc/`, `conflicts/`, `builds/`,
 * `workers/`, `synthesis/` and the engine's git worktrees under `worktrees/`.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `YYYYMMDD-HHMMSS-<8 hex>`: sortable by time, unique by the random part (SPEC M16). */
export const RUN_ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{8}$/;
export const RUN_SUBDIRS = ['qc', 'conflicts', 'builds', 'workers', 'synthesis', 'worktrees'] as const;

export function newRunId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp =
    `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-` +
    `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${crypto.randomBytes(4).toString('hex')}`;
}

export function isRunId(s: string): boolean {
  return RUN_ID_PATTERN.test(s);
}

export interface RunPaths {
  runDir: string;
  state: string;
  journal: string;
  qc: string;
  conflicts: string;
  builds: string;
  worktrees: string;
  integrationWorktree: string;
}

/** The integration branch's worktree inside a run directory (where the contracts are committed). */
export function integrationWorktreeOf(runDir: string): string {
  return path.join(runDir, 'worktrees', 'integration');
}

export function runPaths(runsRoot: string, runId: string): RunPaths {
  if (!isRunId(runId)) throw new Error(`not a run id: ${JSON.stringify(runId)}`);
  const runDir = path.join(runsRoot, runId);
  return {
    runDir,
    state: path.join(runDir, 'state.json'),
    journal: path.join(runDir, 'journal.jsonl'),
    qc: path.join(runDir, 'qc'),
    conflicts: path.join(runDir, 'conflicts'),
    builds: path.join(runDir, 'builds'),
    worktrees: path.join(runDir, 'worktrees'),
    integrationWorktree: integrationWorktreeOf(runDir),
  };
}

export function createRunDir(paths: RunPaths): void {
  for (const sub of RUN_SUBDIRS) fs.mkdirSync(path.join(paths.runDir, sub), { recursive: true });
}

/** Write-then-rename, with fsync, so a crash leaves either the old or the new file, never half of one. */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(3).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
