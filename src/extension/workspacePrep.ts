/**
 * Builder worktrees appear as workspace folders (SPEC U5), but in a single-folder window the first
 * added folder turns the window into a multi-root workspace, and VS Code restarts the extension host
 * for that (the browser workbench reloads the page). A pipeline running in the host would be killed
 * mid-build. So the switch happens before the run starts, and deliberately: a workspace file is
 * written beside the runs (`<git dir>/build-pipeline/<repo>.code-workspace`: the repository first,
 * the runs folder second), the start request is parked in a file of its own next to it (other
 * windows of the repository may park theirs meanwhile), and the window opens that workspace. The
 * extension host of the reloaded window takes the parked start and runs it.
 * Not `updateWorkspaceFolders` on the single-folder window: that creates an untitled workspace, and
 * code-server was seen to reload into it before its file was written, leaving an empty window.
 * A saved workspace also spares the user the "save untitled workspace?" question on close.
 *
 * What makes this deterministic (two CI failures: a parked start that never ran, an empty window):
 * - the caller runs the engine's preflight before the switch, so a refused key or an unknown model
 *   is shown in the window the user is looking at, and nothing is parked or reloaded;
 * - the parked start names the run workspace it waits for, and only a host whose window has that
 *   workspace open takes it (models/runWorkspace.ts). The old host takes it back only if its own
 *   window still answers: an old host that outlives the reload has no window, and a run started
 *   there showed nothing anywhere (its errors included);
 * - a run workspace that comes up without folders gets them back even when its file lists none.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { gitCommonDir, repoRoot } from './git/gitCli';
import {
  ownRunWorkspace,
  parkStart,
  parkedStarts,
  refillCandidates,
  runWorkspaceFiles,
  samePath,
  runWorkspaceFolders,
  runWorkspaceUpdate,
  takeParkedStart,
  type ParkedStart,
  type RunWorkspaceFiles,
  type WorkspaceFolderEntry,
} from './models/runWorkspace';

export type { ParkedStart, RunWorkspaceFiles } from './models/runWorkspace';

export function needsMultiRoot(enabled: boolean): boolean {
  return enabled && vscode.workspace.workspaceFile === undefined && (vscode.workspace.workspaceFolders?.length ?? 0) === 1;
}

/**
 * How long the old extension host waits after the switch before it looks whether the reload
 * happened. The reload can be refused (a "discard unsaved changes?" answered No); then this host is
 * still in charge and starts the run itself, without worktree folders.
 */
const RESTART_GRACE_MS = 30_000;
/** A window that is still there answers a round trip at once; an orphaned host's call never returns. */
const WINDOW_PROBE_MS = 5_000;

/**
 * Parks the start and reopens the window on the run workspace. Resolves with the start to run now if
 * this extension host is still the one in charge afterwards (its window did not reload); with
 * undefined if the reloaded window took it over (or will).
 */
export async function switchToMultiRoot(start: { repo: string; description: string; offline: boolean }): Promise<ParkedStart | undefined> {
  const files = runWorkspaceFiles(await gitCommonDir(start.repo), start.repo);
  fs.mkdirSync(files.runsRoot, { recursive: true });
  // A file from an earlier switch keeps what the user made of it (settings, folders they added).
  const existing = readIfThere(files.workspaceFile);
  const text = runWorkspaceUpdate(existing, runWorkspaceFolders(start.repo, files.runsRoot), files.workspaceFile);
  if (text !== undefined) {
    // Whenever an existing file is changed (folders put back, or not JSON and written afresh), its old text stays beside it.
    if (existing !== undefined) fs.writeFileSync(`${files.workspaceFile}.bak`, existing);
    fs.writeFileSync(files.workspaceFile, text);
  }
  const parked = parkStart(files.dir, { ...start, workspaceFile: files.workspaceFile });
  await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(files.workspaceFile), { forceReuseWindow: true });
  await new Promise((r) => setTimeout(r, RESTART_GRACE_MS));
  // Taken, by the reloaded window as a rule. (If this window refused the reload and another window of
  // this run workspace took this start, that window's own start is left to expire: taking it here
  // instead would make every successful reload depend on the window probe below.)
  if (!parkedStarts(files.dir).some((p) => p.id === parked.id)) return undefined;
  if (!(await windowAnswers())) return undefined; // this host has no window left: the reloaded one takes it
  // Its own start only, by id (the reloaded window may still take it first: the claim decides).
  return takeParkedStart(files.dir, (p) => p.id === parked.id);
}

/** Whether this extension host's window is still connected (a main-thread round trip comes back). */
async function windowAnswers(): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), WINDOW_PROBE_MS)));
  try {
    return await Promise.race([vscode.commands.getCommands(true).then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The run workspace this window has open, if its workspace file is one this extension writes. */
export function runWorkspaceOfWindow(): RunWorkspaceFiles | undefined {
  const file = vscode.workspace.workspaceFile;
  return file?.scheme === 'file' ? ownRunWorkspace(file.fsPath, looksLikeGitDir) : undefined;
}

/** A git directory (a repository's `.git`, or a bare repository) has its HEAD and its objects. */
function looksLikeGitDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'HEAD')) && fs.existsSync(path.join(dir, 'objects'));
}

/**
 * Takes the oldest start parked for this window's run workspace and repository, if there is one. A
 * window cannot tell which start its own host parked before the reload (nothing carries across it),
 * so two windows Start reloads into one run workspace take one each, in the order they come up; a
 * start parked for another run workspace (another worktree's) is left to that workspace's window.
 */
export function takeStartParkedFor(ws: RunWorkspaceFiles, repo: string): ParkedStart | undefined {
  return takeParkedStart(ws.dir, (p) => samePath(p.workspaceFile, ws.workspaceFile) && samePath(p.repo, repo));
}

/**
 * The folders an empty run workspace gets back (see refillCandidates). A repository named by the
 * parked start or implied by the file's location is used only if git agrees it is the repository
 * whose git directory holds this workspace file.
 */
export async function foldersToRefill(ws: RunWorkspaceFiles): Promise<{ folders: WorkspaceFolderEntry[]; from: string } | undefined> {
  const text = readIfThere(ws.workspaceFile);
  const parked = parkedStarts(ws.dir).find((p) => samePath(p.workspaceFile, ws.workspaceFile));
  const found = refillCandidates(ws, text, parked?.repo, (p) => fs.existsSync(p));
  if (!found || found.from === 'file') return found;
  const repo = found.folders[0]!.path;
  const commonDir = await gitCommonDir(repo).catch(() => undefined);
  const owns = samePath(await repoRoot(repo), repo) && samePath(commonDir, path.dirname(ws.dir));
  return owns ? found : undefined;
}

/**
 * Puts the folders back into this window's empty run workspace. Adding the first folder may restart
 * the extension host (the next host then finds the repository); true when VS Code took the update.
 */
export async function refillRunWorkspace(ws: RunWorkspaceFiles, log: vscode.LogOutputChannel): Promise<boolean> {
  if ((vscode.workspace.workspaceFolders?.length ?? 0) > 0) return false;
  const refill = await foldersToRefill(ws);
  if (!refill) {
    log.warn(`The run workspace ${ws.workspaceFile} has no folders, and no repository to put back was found`);
    return false;
  }
  log.warn(`The run workspace opened without its folders; putting back ${refill.folders.map((f) => f.path).join(', ')} (from the ${refill.from})`);
  return vscode.workspace.updateWorkspaceFolders(0, 0, ...refill.folders.map((f) => ({ uri: vscode.Uri.file(f.path), name: f.name })));
}

function readIfThere(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // none yet, or unreadable: both are written afresh
  }
}
