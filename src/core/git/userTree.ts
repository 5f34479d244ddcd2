/**
 * Evidence that the engine left the user's checkout alone (SPEC X5): a snapshot of HEAD, the
 * branch, the index and the bytes of every dirty file, taken with read-only git commands.
 *
 * "Read-only" is meant strictly: `git status` normally refreshes and rewrites `.git/index`, so it
 * runs with `--no-optional-locks`; the index is fingerprinted with `git ls-files --stage` (which
 * lists exactly what `git write-tree` would store, without writing objects).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GitError } from './errors';
import { currentBranch, resolveCommit } from './repo';
import { git, splitNul } from './run';

export interface UserTreeSnapshot {
  root: string;
  branch: string | null;
  /** null in a repository without commits. */
  head: string | null;
  statusPorcelain: string;
  /** sha256 of `git ls-files --stage -z`: modes, blob ids and stages of every index entry. */
  indexTreeHash: string;
  /** Path → sha256 of the file's bytes (or a marker for missing files, directories and symlinks). */
  dirtyFileHashes: Record<string, string>;
}

/** Files bigger than this are fingerprinted by size and mtime instead of being read in full. */
const HASH_CONTENT_MAX_BYTES = 64 * 1024 * 1024;

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function fingerprint(file: string): Promise<string> {
  try {
    const stat = await fs.lstat(file);
    if (stat.isSymbolicLink()) return `symlink:${await fs.readlink(file)}`;
    if (stat.isDirectory()) return 'directory';
    if (!stat.isFile()) return 'special';
    if (stat.size > HASH_CONTENT_MAX_BYTES) return `large:${stat.size}:${stat.mtimeMs}`;
    return sha256(await fs.readFile(file));
  } catch {
    return 'absent';
  }
}

/** Paths named by `git status --porcelain=v1 -z` (both sides of a rename). */
function statusPaths(status: string): string[] {
  const fields = splitNul(status);
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i]!;
    paths.push(entry.slice(3));
    // In -z mode a rename or copy is followed by its source path as a separate field.
    if (/[RC]/.test(entry.slice(0, 2))) paths.push(fields[++i] ?? '');
  }
  return paths.filter((p) => p !== '');
}

export async function snapshotUserTree(repoRoot: string): Promise<UserTreeSnapshot> {
  const root = (await git(repoRoot, ['rev-parse', '--show-toplevel'])).trim();
  const statusPorcelain = await git(root, ['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=all']);
  const index = await git(root, ['--no-optional-locks', 'ls-files', '--stage', '-z']);
  const dirtyFileHashes: Record<string, string> = {};
  for (const file of statusPaths(statusPorcelain)) dirtyFileHashes[file] = await fingerprint(path.join(root, file));
  return {
    root,
    branch: await currentBranch(root),
    head: await resolveCommit(root, 'HEAD'),
    statusPorcelain,
    indexTreeHash: sha256(index),
    dirtyFileHashes,
  };
}

/** Human-readable differences between two snapshots; empty when nothing changed. */
export function diffUserTreeSnapshots(before: UserTreeSnapshot, after: UserTreeSnapshot): string[] {
  const changes: string[] = [];
  if (before.branch !== after.branch) changes.push(`branch changed from ${before.branch ?? '(detached)'} to ${after.branch ?? '(detached)'}`);
  if (before.head !== after.head) changes.push(`HEAD moved from ${before.head ?? '(none)'} to ${after.head ?? '(none)'}`);
  if (before.indexTreeHash !== after.indexTreeHash) changes.push('the index (staged changes) changed');
  if (before.statusPorcelain !== after.statusPorcelain) changes.push('git status changed');
  const files = new Set([...Object.keys(before.dirtyFileHashes), ...Object.keys(after.dirtyFileHashes)]);
  for (const file of [...files].sort()) {
    if (before.dirtyFileHashes[file] !== after.dirtyFileHashes[file]) changes.push(`${file} changed`);
  }
  return changes;
}

export function assertUserTreeUnchanged(before: UserTreeSnapshot, after: UserTreeSnapshot): void {
  const changes = diffUserTreeSnapshots(before, after);
  if (changes.length > 0) throw new GitError('userTreeChanged', `the user's working tree changed: ${changes.join('; ')}`);
}
