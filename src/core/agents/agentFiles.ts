/**
 * Reading (and rewriting) a file an agent wrote, from the engine (outside the sandbox): a conflict
 * report, a brain file, session pairs. The agent controls what is at that path, so the file is opened
 * without following a final symlink and without blocking on a FIFO, checked to be a regular file, and
 * the opened file's real location must lie inside the worktree: a folder on the way swapped for a
 * symlink, before or while the engine opens it, cannot lead the read or the write outside. A plain
 * `lstat` then `readFile` did follow a symlinked folder, and a file swapped between the two calls.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What is read at most (the callers' files are a few kilobytes; a larger one is cut here). */
const MAX_BYTES = 4 * 1024 * 1024;

/**
 * The text of `rel` inside `root` when it is a regular file there; undefined when it is missing, a
 * symlink, a folder, a FIFO or anything else, or when it resolves outside `root`.
 */
export function readAgentFile(root: string, rel: string, maxBytes = MAX_BYTES): string | undefined {
  return withAgentFile(root, rel, fs.constants.O_RDONLY, (fd, size) => readOpened(fd, Math.min(maxBytes, size)));
}

/** What a whole read takes at most: a file the engine rewrites must be read whole, or its end is lost. */
const MAX_WHOLE_BYTES = 64 * 1024 * 1024;

/**
 * `readAgentFile` for a file the engine will rewrite: the whole text, or undefined when the file is
 * larger than `maxBytes` (a cut text written back would drop the file's end).
 */
export function readWholeAgentFile(root: string, rel: string, maxBytes = MAX_WHOLE_BYTES): string | undefined {
  return withAgentFile(root, rel, fs.constants.O_RDONLY, (fd, size) => (size > maxBytes ? undefined : readOpened(fd, size)));
}

/** The first `bytes` of an open file as text (fewer if it is shorter now), however many reads that takes. */
function readOpened(fd: number, bytes: number): string {
  const buffer = Buffer.alloc(bytes);
  let read = 0;
  while (read < bytes) {
    const n = fs.readSync(fd, buffer, read, bytes - read, read);
    if (n === 0) break;
    read += n;
  }
  return buffer.subarray(0, read).toString('utf8');
}

/**
 * Replaces the text of the existing regular file `rel` inside `root`, under the same rules as
 * `readAgentFile` (no final symlink, no FIFO, the opened file inside `root`); false when it is not
 * such a file, and then nothing is written anywhere.
 */
export function writeAgentFile(root: string, rel: string, text: string): boolean {
  return (
    withAgentFile(root, rel, fs.constants.O_WRONLY, (fd) => {
      fs.ftruncateSync(fd, 0);
      fs.writeSync(fd, text, 0, 'utf8');
      return true;
    }) ?? false
  );
}

/**
 * Appends `text` to the file `rel` inside `root`, making it (and its folders) when missing, under the
 * same rules: no symlink on the way (a folder or the file itself), nothing but a regular file, and the
 * opened file inside `root`. False when any of that fails; then nothing is written anywhere.
 */
export function appendAgentFile(root: string, rel: string, text: string): boolean {
  const parts = rel.split('/');
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    dir = path.join(dir, part);
    const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (!stat) fs.mkdirSync(dir);
    else if (!stat.isDirectory()) return false; // a symlink (or a file) where a folder should be
  }
  return (
    withAgentFile(root, rel, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, (fd) => {
      fs.writeSync(fd, text, null, 'utf8');
      return true;
    }) ?? false
  );
}

/**
 * `appendAgentFile`, unless the file holds `text` already: a step resumed after a stop that came
 * between its append and its record of it appends nothing twice. 'refused' as `appendAgentFile`'s false.
 */
export function appendAgentFileOnce(root: string, rel: string, text: string): 'appended' | 'present' | 'refused' {
  if (readWholeAgentFile(root, rel)?.includes(text)) return 'present';
  return appendAgentFile(root, rel, text) ? 'appended' : 'refused';
}

/** Opens `rel` under `root` for `mode` and runs `use` on it when it passes the checks above; undefined otherwise. */
function withAgentFile<T>(root: string, rel: string, mode: number, use: (fd: number, size: number) => T): T | undefined {
  const file = path.join(root, rel);
  let fd: number;
  try {
    fd = fs.openSync(file, mode | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || !openedInside(fd, stat, file, fs.realpathSync(root))) return undefined;
    return use(fd, stat.size);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether the open file lies inside `realRoot`. Linux names an open file in /proc. Elsewhere the
 * path's real location is checked and must be the very file that was opened (same device and inode),
 * so a swap after the open is caught as a different file.
 */
function openedInside(fd: number, opened: fs.Stats, file: string, realRoot: string): boolean {
  const inside = (p: string) => p === realRoot || p.startsWith(realRoot + path.sep);
  try {
    return inside(fs.readlinkSync(`/proc/self/fd/${fd}`));
  } catch {
    // no /proc: below
  }
  try {
    const real = fs.realpathSync(file);
    const now = fs.statSync(real);
    return inside(real) && now.dev === opened.dev && now.ino === opened.ino;
  } catch {
    return false;
  }
}

/**
 * Runs each of the agent's files `rels` inside `root` through `scrub` (run/scrub.ts) and rewrites the
 * ones it changed, before the engine commits them: the brain file and training pairs ship with the
 * code. A file that is missing or not a regular file is left alone (the commit's own rules decide).
 */
export function scrubAgentFiles(root: string, rels: readonly string[], scrub: (text: string) => string): string[] {
  const changed: string[] = [];
  for (const rel of rels) {
    const text = readWholeAgentFile(root, rel);
    if (text === undefined) continue;
    const clean = scrub(text);
    if (clean !== text && writeAgentFile(root, rel, clean)) changed.push(rel);
  }
  return changed;
}

/**
 * The entries directly in the folder `relDir` under `root`, as paths relative to `root`, sorted; none
 * when it is missing or not a real folder (a link to one is not followed). Each entry is still to be
 * opened as an agent's file.
 */
export function agentFolderEntries(root: string, relDir: string): string[] {
  try {
    if (!fs.lstatSync(path.join(root, relDir)).isDirectory()) return [];
    return fs
      .readdirSync(path.join(root, relDir))
      .sort()
      .map((n) => `${relDir}/${n}`);
  } catch {
    return [];
  }
}

/** `scrubAgentFiles` for every regular file directly in the folder `relDir` (not followed when it is a link). */
export function scrubAgentFolder(root: string, relDir: string, scrub: (text: string) => string): string[] {
  return scrubAgentFiles(root, agentFolderEntries(root, relDir), scrub);
}

/**
 * Writes `data` at `rel` under `root` as the engine's own file: every folder on the way is made a real
 * folder (a link the agent's shell put there is removed, never followed) and the file is created new,
 * so nothing outside `root` is written. Absent data removes the file.
 */
export function restoreFile(root: string, rel: string, data: string | Buffer | undefined): void {
  let dir = root;
  for (const part of rel.split('/').slice(0, -1)) {
    dir = path.join(dir, part);
    const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (stat?.isDirectory()) continue;
    if (stat) fs.rmSync(dir, { force: true });
    fs.mkdirSync(dir);
  }
  const file = path.join(root, rel);
  fs.rmSync(file, { force: true, recursive: true });
  if (data !== undefined) fs.writeFileSync(file, data, { flag: 'wx' });
}
