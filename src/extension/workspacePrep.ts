/**
 * Builder worktrees appear as workspace folders (SPEC U5), but in a single-folder window the first
 * added folder turns the window into a multi-root workspace, and VS Code restarts the extension host
 * for that (the browser workbench reloads the page). A pipeline running in the host would be killed
 * mid-build. So the switch happens before the run starts, and deliberately: a workspace file is
 * written beside the runs (`<git dir>/build-pipeline/<repo>.code-workspace`: the repository first,
 * the runs folder second), the start request is parked in a file next to it, and the window opens
 * that workspace. The restarted extension picks the request up and starts the run.
 * Not `updateWorkspaceFolders` on the single-folder window: that creates an untitled workspace, and
 * code-server was seen to reload into it before its file was written, leaving an empty window.
 * A saved workspace also spares the user the "save untitled workspace?" question on close.
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

/**
 * How long the old extension host waits after the switch before it concludes that no restart is
 * coming and starts the run itself. The old host can outlive the page reload by seconds, so this is
 * long; whoever takes the parked start first (an atomic rename) is the one that starts the run.
 */
const RESTART_GRACE_MS = 30_000;

/**
 * Parks the start and reopens the window on a workspace of the repository plus the runs folder.
 * Resolves with the start to run now if this extension host is still the one in charge afterwards;
 * with undefined if the restarted host took it over.
 */
export async function switchToMultiRoot(pending: Omit<PendingStart, 'at'>): Promise<PendingStart | undefined> {
  const file = await pendingFile(pending.repo);
  const dir = path.dirname(file);
  const runsRoot = path.join(dir, 'runs');
  fs.mkdirSync(runsRoot, { recursive: true });
  const workspaceFile = path.join(dir, `${path.basename(pending.repo)}.code-workspace`);
  const workspace = {
    folders: [
      { path: pending.repo, name: path.basename(pending.repo) },
      { path: runsRoot, name: '⚙ Build Pipeline runs' },
    ],
    settings: {},
  };
  fs.writeFileSync(workspaceFile, JSON.stringify(workspace, null, 2) + '\n');
  fs.writeFileSync(file, JSON.stringify({ ...pending, at: Date.now() } satisfies PendingStart), { mode: 0o600 });
  await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(workspaceFile), { forceReuseWindow: true });
  await new Promise((r) => setTimeout(r, RESTART_GRACE_MS));
  return takePendingStart(pending.repo);
}

async function pendingFile(repo: string): Promise<string> {
  return path.join(await gitCommonDir(repo), 'build-pipeline', 'pending-start.json');
}

/** The start parked before a restart, if it is for this repository and recent; it is consumed. */
export async function takePendingStart(repo: string): Promise<PendingStart | undefined> {
  const file = await pendingFile(repo).catch(() => undefined);
  if (!file) return undefined;
  // Rename first: of two extension hosts racing for the parked start, exactly one gets it.
  const taken = `${file}.${process.pid}.taken`;
  try {
    fs.renameSync(file, taken);
  } catch {
    return undefined;
  }
  let pending: Partial<PendingStart> | undefined;
  try {
    pending = JSON.parse(fs.readFileSync(taken, 'utf8')) as Partial<PendingStart>;
  } catch {
    pending = undefined;
  }
  fs.rmSync(taken, { force: true });
  if (!pending || pending.repo !== repo || typeof pending.description !== 'string' || typeof pending.at !== 'number') return undefined;
  if (Date.now() - pending.at > PENDING_MAX_AGE_MS) return undefined;
  return { repo, description: pending.description, offline: pending.offline === true, at: pending.at };
}

/**
 * The window came up on the run workspace this extension wrote, but with no folders in it: seen once
 * in code-server right after the switch (the workbench read the workspace as empty), which left an
 * empty window and the parked start waiting for a repository that never arrived. The file on disk
 * still lists the repository and the runs folder, so they are put back (which restarts the extension
 * host again; the restarted host then finds the repository and takes the parked start). True when
 * folders were put back. Only our own file is trusted: `<git dir>/build-pipeline/<name>.code-workspace`.
 */
export function refillOwnWorkspace(): boolean {
  const file = vscode.workspace.workspaceFile;
  if (!file || file.scheme !== 'file' || (vscode.workspace.workspaceFolders?.length ?? 0) > 0) return false;
  if (path.basename(path.dirname(file.fsPath)) !== 'build-pipeline' || !file.fsPath.endsWith('.code-workspace')) return false;
  let folders: { path: string; name?: string }[];
  try {
    const parsed = JSON.parse(fs.readFileSync(file.fsPath, 'utf8')) as { folders?: unknown };
    folders = Array.isArray(parsed.folders) ? parsed.folders.filter((f): f is { path: string; name?: string } => typeof f?.path === 'string' && path.isAbsolute(f.path)) : [];
  } catch {
    return false;
  }
  const present = folders.filter((f) => fs.existsSync(f.path));
  if (present.length === 0) return false;
  return vscode.workspace.updateWorkspaceFolders(0, 0, ...present.map((f) => ({ uri: vscode.Uri.file(f.path), name: f.name })));
}
