/**
 * Builder worktrees appear as workspace folders (SPEC U5), but in a single-folder window the first
 * added folder turns the window into a multi-root workspace, and VS Code restarts the extension host
 * for that (the browser workbench reloads the page). A pipeline running in the host would be killed
 * mid-build. So the switch happens before the run starts: the start request is parked in a file
 * beside the runs (`<git dir>/build-pipeline/pending-start.json`, written synchronously: memento
 * writes can be lost in a page reload), the runs folder is appended as the second folder, and the
 * restarted extension picks the request up and starts the run. If VS Code switches without a
 * restart, the run starts at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { gitCommonDir } from './git/gitCli';

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
export async function switchToMultiRoot(pending: Omit<PendingStart, 'at'>): Promise<void> {
  const file = await pendingFile(pending.repo);
  const runsRoot = path.join(path.dirname(file), 'runs');
  fs.mkdirSync(runsRoot, { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...pending, at: Date.now() } satisfies PendingStart), { mode: 0o600 });
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
  fs.rmSync(file, { force: true });
}

async function pendingFile(repo: string): Promise<string> {
  return path.join(await gitCommonDir(repo), 'build-pipeline', 'pending-start.json');
}

/** The start parked before a restart, if it is for this repository and recent; it is consumed. */
export async function takePendingStart(repo: string): Promise<PendingStart | undefined> {
  const file = await pendingFile(repo).catch(() => undefined);
  if (!file || !fs.existsSync(file)) return undefined;
  let pending: Partial<PendingStart> | undefined;
  try {
    pending = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<PendingStart>;
  } catch {
    pending = undefined;
  }
  fs.rmSync(file, { force: true });
  if (!pending || pending.repo !== repo || typeof pending.description !== 'string' || typeof pending.at !== 'number') return undefined;
  if (Date.now() - pending.at > PENDING_MAX_AGE_MS) return undefined;
  return { repo, description: pending.description, offline: pending.offline === true, at: pending.at };
}
