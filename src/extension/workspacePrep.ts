/**
 * Builder worktrees appear as workspace folders (SPEC U5), but in a single-folder window the first
 * added folder turns the window into a multi-root workspace, and VS Code restarts the extension host
 * for that (the browser workbench reloads the page). A pipeline running in the host would be killed
 * mid-build. So the switch happens before the run starts: the start request is parked in global
 * state, the runs folder is appended as the second folder, and the restarted extension picks the
 * request up and starts the run. If VS Code switches without a restart, the run starts at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { gitCommonDir } from './git/gitCli';

const PENDING_KEY = 'buildPipeline.pendingStart';
/** A parked start older than this is stale (the restart never came, or the user went elsewhere). */
const PENDING_MAX_AGE_MS = 5 * 60_000;

export interface PendingStart {
  repo: string;
  description: string;
  offline: boolean;
  at: number;
}

export function needsMultiRoot(enabled: boolean): boolean {
  return enabled && vscode.workspace.workspaceFile === undefined && (vscode.workspace.workspaceFolders?.length ?? 0) === 1;
}

/** How long to wait after the switch before trusting that no restart is coming. */
const RESTART_GRACE_MS = 2000;

/**
 * Parks the start and appends the runs folder. Returns only if this extension host survived the
 * switch (or the switch failed); then the parked start is dropped and the caller starts the run.
 */
export async function switchToMultiRoot(state: vscode.Memento, pending: Omit<PendingStart, 'at'>): Promise<void> {
  const runsRoot = path.join(await gitCommonDir(pending.repo), 'build-pipeline', 'runs');
  fs.mkdirSync(runsRoot, { recursive: true });
  await state.update(PENDING_KEY, { ...pending, at: Date.now() } satisfies PendingStart);
  const at = vscode.workspace.workspaceFolders?.length ?? 1;
  const changed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => finish(false), 10_000);
    const sub = vscode.workspace.onDidChangeWorkspaceFolders(() => finish(true));
    function finish(ok: boolean) {
      clearTimeout(timer);
      sub.dispose();
      resolve(ok);
    }
    if (!vscode.workspace.updateWorkspaceFolders(at, 0, { uri: vscode.Uri.file(runsRoot), name: '⚙ Build Pipeline runs' })) finish(false);
  });
  if (await changed) await new Promise((r) => setTimeout(r, RESTART_GRACE_MS));
  await state.update(PENDING_KEY, undefined);
}

/** The start parked before a restart, if it is for this repository and recent; it is consumed. */
export async function takePendingStart(state: vscode.Memento, repo: string): Promise<PendingStart | undefined> {
  const pending = state.get<PendingStart>(PENDING_KEY);
  if (!pending) return undefined;
  await state.update(PENDING_KEY, undefined);
  if (pending.repo !== repo || Date.now() - pending.at > PENDING_MAX_AGE_MS) return undefined;
  return pending;
}
