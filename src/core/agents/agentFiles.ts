/**
 * Reading a file an agent wrote, from the engine (outside the sandbox): a conflict report, a brain
 * file, session pairs. The agent controls what is at that path, so the file is opened without
 * following a final symlink and without blocking on a FIFO, checked to be a regular file, and the
 * opened file's real path (`/proc/self/fd/N`) must lie inside the worktree: a folder on the way
 * swapped for a symlink, before or while the engine opens it, cannot lead the read outside. A plain
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
  let fd: number;
  try {
    fd = fs.openSync(path.join(root, rel), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (!fs.fstatSync(fd).isFile()) return undefined;
    const realRoot = fs.realpathSync(root);
    const opened = openedPath(fd);
    if (opened === undefined || (opened !== realRoot && !opened.startsWith(realRoot + path.sep))) return undefined;
    const buffer = Buffer.alloc(Math.min(maxBytes, fs.fstatSync(fd).size));
    const read = fs.readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read).toString('utf8');
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Where an open file really is: Linux names it in /proc; elsewhere undefined (and the read refused). */
function openedPath(fd: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}
