/**
 * The run workspace (`<git dir>/build-pipeline/<repo>.code-workspace`: the repository first, the runs
 * folder second) and the starts parked beside it while windows reload into it. Plain files and
 * paths, no `vscode`, so the rules are unit-tested: which file is ours, which folders an empty run
 * workspace gets back, and which extension host may take a parked start (exactly one, and only one
 * whose window opened that workspace).
 */
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The folder beside the runs that holds the run workspace and the parked starts. */
export const RUN_WORKSPACE_DIR = 'build-pipeline';
/**
 * The parked starts, one file each (`build-pipeline/pending-starts/<id>.json`): windows of one
 * repository (its main checkout and its linked worktrees share the git common dir, or two windows on
 * one folder) that press Start within a start's lifetime no longer overwrite each other's, and each
 * start is claimed on its own.
 */
export const PARKED_STARTS_DIR = 'pending-starts';
/**
 * Where a start was parked before the folder above: still read and taken (never written), because an
 * extension update is applied by exactly the reload a parked start waits across.
 */
export const LEGACY_PARKED_FILE = 'pending-start.json';
const RUNS_FOLDER_NAME = '⚙ Build Pipeline runs';
/** What a parked start's id may be: parkStart writes a UUID. */
const PARKED_ID = /^[A-Za-z0-9-]{1,64}$/;
/** The name of a parked start's file in PARKED_STARTS_DIR: its id, so one file per id. */
const PARKED_ENTRY = /^([A-Za-z0-9-]{1,64})\.json$/;
/** A parked start is a few hundred bytes; a larger file is not one (and is not read into memory). */
const PARKED_MAX_BYTES = 64 * 1024;
/** A parked start older than this is stale (the reload never came, or the user went elsewhere). */
export const PARKED_MAX_AGE_MS = 5 * 60_000;

export interface RunWorkspaceFiles {
  /** `<git common dir>/build-pipeline`: the parked starts are kept here too (parkStart) */
  dir: string;
  workspaceFile: string;
  runsRoot: string;
}

export interface WorkspaceFolderEntry {
  path: string;
  name?: string;
}

/**
 * The run workspace of `repo`, a checkout of the repository whose git common dir is `gitCommonDir`.
 * The main checkout's file is `<name>.code-workspace`; a linked worktree's also carries a short hash
 * of its path (`<name>-<hash>.code-workspace`), because every checkout of a repository shares this
 * folder and two of them may have the same folder name: one file for both would let one window's
 * Start rewrite the other window's folders.
 */
export function runWorkspaceFiles(gitCommonDir: string, repo: string): RunWorkspaceFiles {
  const dir = path.join(gitCommonDir, RUN_WORKSPACE_DIR);
  const resolvedRepo = path.resolve(repo);
  // Compared as real paths: git names the common dir without symlinks, the window may name the repository through one.
  const mainCheckout = path.basename(gitCommonDir) === '.git' && samePath(path.dirname(path.resolve(gitCommonDir)), resolvedRepo);
  const name = mainCheckout ? path.basename(resolvedRepo) : `${path.basename(resolvedRepo)}-${createHash('sha256').update(resolvedRepo).digest('hex').slice(0, 8)}`;
  return { dir, workspaceFile: path.join(dir, `${name}.code-workspace`), runsRoot: path.join(dir, 'runs') };
}

/** Whether two paths name the same folder, symlinks resolved (a path that does not exist is taken as written). */
export function samePath(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
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
 * The run workspace file to write before a switch, given the one already there (`existing`, at
 * `workspaceFile`), or undefined to leave it as it is. A file that starts with the repository and
 * lists the runs folder is the user's too by now (settings, folders they added): it is left alone.
 * One that lacks them, or has another folder first (the extension takes the first folder for the
 * repository), gets them first and keeps everything else; only a missing file, or one that is not a
 * JSON object (VS Code's comments, trailing commas), is written afresh.
 */
export function runWorkspaceUpdate(existing: string | undefined, required: readonly WorkspaceFolderEntry[], workspaceFile: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = existing === undefined ? undefined : JSON.parse(existing);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return runWorkspaceJson(required);
  // VS Code writes folders relative to the workspace file; they are compared where they point.
  const base = path.dirname(workspaceFile);
  const pathOf = (f: unknown) => {
    const p = (f as { path?: unknown } | null)?.path;
    return typeof p === 'string' ? path.resolve(base, p) : undefined;
  };
  const folders = Array.isArray((parsed as { folders?: unknown }).folders) ? (parsed as { folders: unknown[] }).folders : [];
  const listed = folders.map(pathOf);
  const inPlace = samePath(listed[0], required[0]!.path) && required.every((r) => listed.some((p) => samePath(p, r.path)));
  if (inPlace) return undefined;
  const kept = folders.filter((f) => !required.some((r) => samePath(pathOf(f), r.path)));
  return JSON.stringify({ ...parsed, folders: [...required, ...kept] }, null, 2) + '\n';
}

/**
 * The files of the run workspace a window has open, when that workspace file is one this extension
 * writes (`<git dir>/build-pipeline/<name>.code-workspace`); undefined for any other workspace, so
 * nothing here ever acts on a workspace the user made. The folder above `build-pipeline` must be a
 * git directory (`isGitDir`): a user's own checkout named build-pipeline with a workspace file in it
 * is theirs.
 */
export function ownRunWorkspace(workspaceFile: string | undefined, isGitDir: (dir: string) => boolean): RunWorkspaceFiles | undefined {
  if (!workspaceFile || !path.isAbsolute(workspaceFile) || !workspaceFile.endsWith('.code-workspace')) return undefined;
  const dir = path.dirname(path.resolve(workspaceFile));
  if (path.basename(dir) !== RUN_WORKSPACE_DIR || !isGitDir(path.dirname(dir))) return undefined;
  return { dir, workspaceFile: path.resolve(workspaceFile), runsRoot: path.join(dir, 'runs') };
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
  /** Which park this is: it names the start's file, and the host that parked it asks for its own by it. */
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
  // The id names the start's file (parkStart, and a legacy start put where every host finds it): a plain token, never a path.
  if (typeof p.id !== 'string' || !PARKED_ID.test(p.id) || typeof p.repo !== 'string' || typeof p.workspaceFile !== 'string' || typeof p.description !== 'string') return undefined;
  if (!path.isAbsolute(p.repo) || !path.isAbsolute(p.workspaceFile) || p.description.trim() === '') return undefined;
  if (typeof p.at !== 'number' || !Number.isFinite(p.at) || now - p.at > PARKED_MAX_AGE_MS || p.at - now > PARKED_MAX_AGE_MS) return undefined;
  return { id: p.id, repo: p.repo, workspaceFile: path.resolve(p.workspaceFile), description: p.description, offline: p.offline === true, at: p.at };
}

/**
 * Parks a start in a file of its own, `<pipelineDir>/pending-starts/<id>.json`: a fresh id, so no
 * other window's start is replaced; written whole, then renamed into place, so a reader never sees
 * half a file. A start's file never changes after that, it is only claimed or removed.
 */
export function parkStart(pipelineDir: string, start: Omit<ParkedStart, 'id' | 'at'>, now = Date.now()): ParkedStart {
  const parked: ParkedStart = { ...start, workspaceFile: path.resolve(start.workspaceFile), id: randomUUID(), at: now };
  const dir = path.join(pipelineDir, PARKED_STARTS_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${parked.id}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(parked), { mode: 0o600 });
  fs.renameSync(tmp, file);
  return parked;
}

/** The fresh, well-formed starts parked in `pipelineDir`, oldest first, without taking any; stale and malformed ones are removed. */
export function parkedStarts(pipelineDir: string, now = Date.now()): ParkedStart[] {
  return parkedEntries(pipelineDir, now).map((e) => e.start);
}

/**
 * Takes the oldest parked start `accept` says is this caller's. Its file is first renamed to a name
 * of this caller's own and only then read: of several extension hosts taking at once, the rename
 * succeeds for one, so each start is taken exactly once. Starts meant for another window are left
 * where they are (looked at, never moved).
 */
export function takeParkedStart(pipelineDir: string, accept: (p: ParkedStart) => boolean, now = Date.now()): ParkedStart | undefined {
  const dir = path.join(pipelineDir, PARKED_STARTS_DIR);
  for (const seen of parkedEntries(pipelineDir, now)) {
    if (!accept(seen.start)) continue;
    const claimed = claim(seen.file, dir);
    if (!claimed) continue; // another host claimed it first: it is theirs
    const start = readParkedStart(claimed, now);
    if (typeof start === 'object' && accept(start)) {
      discard(claimed);
      return start;
    }
    // Only the legacy file can change between the look and the claim (an older version of the
    // extension rewrote it in place): a start that is not this caller's goes where every host finds it.
    if (typeof start === 'object') republish(claimed, dir, start);
    else discard(claimed);
  }
  return undefined;
}

/** Removes the parked start with this id, if it is still parked (claimed as a take is: atomic). True if this call removed it. */
export function dropParkedStart(pipelineDir: string, id: string, now = Date.now()): boolean {
  return takeParkedStart(pipelineDir, (p) => p.id === id, now) !== undefined;
}

/** A parked start and the file it was read from. */
interface ParkedEntry {
  file: string;
  start: ParkedStart;
}

function parkedEntries(pipelineDir: string, now: number): ParkedEntry[] {
  const dir = path.join(pipelineDir, PARKED_STARTS_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    names = [];
  }
  const entries: ParkedEntry[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const id = PARKED_ENTRY.exec(name)?.[1];
    if (!id) {
      discardIfLeftover(file, now);
      continue;
    }
    const start = readParkedStart(file, now);
    // A start's file never changes, so one that holds no fresh start, or not the start its name says, can go at once.
    if (typeof start === 'object' && start.id === id) entries.push({ file, start });
    else if (start !== 'missing') discard(file);
  }
  const legacyFile = path.join(pipelineDir, LEGACY_PARKED_FILE);
  const legacy = readParkedStart(legacyFile, now);
  if (typeof legacy === 'object') entries.push({ file: legacyFile, start: legacy });
  else if (legacy === 'malformed') discardLegacy(legacyFile, dir, now);
  return entries.sort((a, b) => a.start.at - b.start.at || (a.start.id < b.start.id ? -1 : a.start.id > b.start.id ? 1 : 0));
}

/** The start in `file`; 'missing' if there is no such file (any more), 'malformed' if it holds no fresh start. */
function readParkedStart(file: string, now: number): ParkedStart | 'missing' | 'malformed' {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return 'missing';
  }
  // Only a plain file is read: a FIFO would block the extension host, a link could point anywhere.
  if (!stat.isFile() || stat.size > PARKED_MAX_BYTES) return 'malformed';
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'malformed';
  }
  return parseParkedStart(text, now) ?? 'malformed';
}

/** Renames `file` to a name of this caller's own in `dir`; undefined if another caller renamed it first (the rename succeeds for one). */
function claim(file: string, dir: string): string | undefined {
  const claimed = path.join(dir, `${path.basename(file)}.${process.pid}.${randomUUID()}.claimed`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.renameSync(file, claimed);
    return claimed;
  } catch {
    return undefined;
  }
}

/** Puts a claimed start back as a start of its own (`<id>.json`), where every host looks. */
function republish(claimed: string, dir: string, start: ParkedStart): void {
  try {
    fs.renameSync(claimed, path.join(dir, `${start.id}.json`));
  } catch {
    discard(claimed);
  }
}

/**
 * The legacy file is rewritten in place by an older version, so a malformed one is claimed before it
 * is removed: a start written there meanwhile is kept (as a start of its own), not deleted unseen.
 */
function discardLegacy(legacyFile: string, dir: string, now: number): void {
  const claimed = claim(legacyFile, dir);
  if (!claimed) return;
  const start = readParkedStart(claimed, now);
  if (typeof start === 'object') republish(claimed, dir, start);
  else discard(claimed);
}

/**
 * A `.tmp` (parkStart) or `.claimed` (takeParkedStart) file lives for one write or one read; one
 * older than a parked start may live was left by a host that died in between.
 */
function discardIfLeftover(file: string, now: number): void {
  if (!file.endsWith('.tmp') && !file.endsWith('.claimed')) return; // not ours: left alone
  try {
    const stat = fs.lstatSync(file);
    // ctime: a rename sets it, and the claimed name is what says how long the claim has lasted.
    if (stat.isFile() && now - Math.max(stat.mtimeMs, stat.ctimeMs) > PARKED_MAX_AGE_MS) discard(file);
  } catch {
    // gone already
  }
}

function discard(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // not a plain file (a folder someone put there): left as it is, and never read as a start
  }
}
