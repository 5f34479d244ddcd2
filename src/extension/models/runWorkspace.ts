/**
 * The run workspace (`<git dir>/build-pipeline/<repo>.code-workspace`: the repository first, the runs
 * folder second) and the start parked beside it while the window reloads into it. Plain files and
 * paths, no `vscode`, so the rules are unit-tested: which file is ours, which folders an empty run
 * workspace gets back, and which extension host may take a parked start (exactly one, and only the
 * one whose window opened that workspace).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The folder beside the runs that holds the run workspace and the parked start. */
export const RUN_WORKSPACE_DIR = 'build-pipeline';
const PARKED_FILE = 'pending-start.json';
const RUNS_FOLDER_NAME = '⚙ Build Pipeline runs';
/** What a parked start's id may be: parkStart writes a UUID. */
const PARKED_ID = /^[A-Za-z0-9-]{1,64}$/;
/** A parked start older than this is stale (the reload never came, or the user went elsewhere). */
export const PARKED_MAX_AGE_MS = 5 * 60_000;

export interface RunWorkspaceFiles {
  /** `<git common dir>/build-pipeline` */
  dir: string;
  workspaceFile: string;
  parkedFile: string;
  runsRoot: string;
}

export interface WorkspaceFolderEntry {
  path: string;
  name?: string;
}

export function runWorkspaceFiles(gitCommonDir: string, repo: string): RunWorkspaceFiles {
  const dir = path.join(gitCommonDir, RUN_WORKSPACE_DIR);
  return { dir, workspaceFile: path.join(dir, `${path.basename(repo)}.code-workspace`), parkedFile: path.join(dir, PARKED_FILE), runsRoot: path.join(dir, 'runs') };
}

/** The folders of a run workspace: the repository first (the folder VS Code never lets us replace), the runs second. */
export function runWorkspaceFolders(repo: string, runsRoot: string): WorkspaceFolderEntry[] {
  return [
    { path: repo, name: path.basename(repo) },
    { path: runsRoot, name: RUNS_FOLDER_NAME },
  ];
}

export function runWorkspaceJson(folders: readonly WorkspaceFolderEntry[]): string {
  return JSON.stringify({ folders, settings: {} }, null, 2) + '\n';
}

/**
 * The files of the run workspace a window has open, when that workspace file is one this extension
 * writes (`…/build-pipeline/<name>.code-workspace`); undefined for any other workspace, so nothing
 * here ever acts on a workspace the user made.
 */
export function ownRunWorkspace(workspaceFile: string | undefined): RunWorkspaceFiles | undefined {
  if (!workspaceFile || !path.isAbsolute(workspaceFile) || !workspaceFile.endsWith('.code-workspace')) return undefined;
  const dir = path.dirname(path.resolve(workspaceFile));
  if (path.basename(dir) !== RUN_WORKSPACE_DIR) return undefined;
  return { dir, workspaceFile: path.resolve(workspaceFile), parkedFile: path.join(dir, PARKED_FILE), runsRoot: path.join(dir, 'runs') };
}

/** Absolute folder paths a workspace file lists (relative ones and URIs are not what this extension writes: left out). */
export function foldersInWorkspaceJson(text: string | undefined): WorkspaceFolderEntry[] {
  if (!text) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const folders = (parsed as { folders?: unknown } | null)?.folders;
  if (!Array.isArray(folders)) return [];
  return folders
    .filter((f): f is { path: string; name?: unknown } => typeof (f as { path?: unknown } | null)?.path === 'string' && path.isAbsolute((f as { path: string }).path))
    .map((f) => (typeof f.name === 'string' ? { path: f.path, name: f.name } : { path: f.path }));
}

/**
 * What an empty run workspace gets back, first source that names an existing repository wins: the
 * folders its file lists; else the repository of the start parked for it, with the runs folder; else
 * the repository the file's location implies (`<repo>/.git/build-pipeline/…`). The last two matter
 * because VS Code rewrites the file from the window's folders: an empty window leaves an empty list.
 * Candidates named by the parked start or the location are only proposals: the caller checks with
 * git that they are the repository this folder belongs to.
 */
export function refillCandidates(
  ws: RunWorkspaceFiles,
  fileText: string | undefined,
  parkedRepo: string | undefined,
  exists: (p: string) => boolean,
): { folders: WorkspaceFolderEntry[]; from: 'file' | 'parked start' | 'location' } | undefined {
  const listed = foldersInWorkspaceJson(fileText).filter((f) => exists(f.path));
  if (listed.length > 0) return { folders: listed, from: 'file' };
  if (parkedRepo && path.isAbsolute(parkedRepo) && exists(parkedRepo)) return { folders: runWorkspaceFolders(parkedRepo, ws.runsRoot), from: 'parked start' };
  const gitDir = path.dirname(ws.dir);
  if (path.basename(gitDir) === '.git') {
    const repo = path.dirname(gitDir);
    if (exists(repo)) return { folders: runWorkspaceFolders(repo, ws.runsRoot), from: 'location' };
  }
  return undefined;
}

/** A Start waiting for the window to come back on its run workspace. */
export interface ParkedStart {
  /** Which park this is: the host that parked it can tell its own from a newer one. */
  id: string;
  repo: string;
  /** The run workspace whose window is to run it; no other window takes it. */
  workspaceFile: string;
  description: string;
  offline: boolean;
  at: number;
}

/** The parked start in `text` if it is well formed and fresh; untrusted input (a file anyone could have written). */
export function parseParkedStart(text: string, now: number): ParkedStart | undefined {
  let p: Partial<ParkedStart>;
  try {
    p = JSON.parse(text) as Partial<ParkedStart>;
  } catch {
    return undefined;
  }
  if (!p || typeof p !== 'object') return undefined;
  // The id goes into the claim file's name (takeParkedStart): a plain token, never a path.
  if (typeof p.id !== 'string' || !PARKED_ID.test(p.id) || typeof p.repo !== 'string' || typeof p.workspaceFile !== 'string' || typeof p.description !== 'string') return undefined;
  if (!path.isAbsolute(p.repo) || !path.isAbsolute(p.workspaceFile) || p.description.trim() === '') return undefined;
  if (typeof p.at !== 'number' || !Number.isFinite(p.at) || now - p.at > PARKED_MAX_AGE_MS || p.at - now > PARKED_MAX_AGE_MS) return undefined;
  return { id: p.id, repo: p.repo, workspaceFile: path.resolve(p.workspaceFile), description: p.description, offline: p.offline === true, at: p.at };
}

/** Parks a start (written whole, then renamed into place: a reader never sees half a file). */
export function parkStart(file: string, start: Omit<ParkedStart, 'id' | 'at'>, now = Date.now()): ParkedStart {
  const parked: ParkedStart = { ...start, workspaceFile: path.resolve(start.workspaceFile), id: randomUUID(), at: now };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(parked), { mode: 0o600 });
  fs.renameSync(tmp, file);
  return parked;
}

/** The parked start without taking it; a stale or unreadable one is removed. */
export function peekParkedStart(file: string, now = Date.now()): ParkedStart | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const parked = parseParkedStart(text, now);
  if (!parked) fs.rmSync(file, { force: true });
  return parked;
}

/**
 * Takes the parked start if `accept` says it is this caller's. Of several extension hosts taking at
 * once, exactly one gets it (an atomic rename); one it is not meant for leaves it where it is.
 */
export function takeParkedStart(file: string, accept: (p: ParkedStart) => boolean, now = Date.now()): ParkedStart | undefined {
  const seen = peekParkedStart(file, now);
  if (!seen || !accept(seen)) return undefined;
  const taken = `${file}.${process.pid}.${seen.id}.taken`;
  try {
    fs.renameSync(file, taken);
  } catch {
    return undefined; // someone else took it first
  }
  let claimed: ParkedStart | undefined;
  try {
    claimed = parseParkedStart(fs.readFileSync(taken, 'utf8'), now);
  } catch {
    claimed = undefined;
  }
  if (claimed && claimed.id !== seen.id && !fs.existsSync(file)) {
    // Replaced between the look and the rename (a newer Start): not the one this caller accepted; put back.
    fs.renameSync(taken, file);
    return undefined;
  }
  fs.rmSync(taken, { force: true });
  return claimed?.id === seen.id ? claimed : undefined;
}

/** Removes the parked start if it is still the one with this id. */
export function dropParkedStart(file: string, id: string): void {
  if (peekParkedStart(file)?.id === id) takeParkedStart(file, (p) => p.id === id);
}
