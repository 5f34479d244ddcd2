/**
 * The few read-only git queries the VS Code layer needs (repository root, file contents at a ref,
 * changed files between two refs). Arguments go to `git` as an array: no shell, no quoting issues.
 */
import { execFile } from 'node:child_process';

const MAX_BUFFER = 64 * 1024 * 1024;

export function git(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...args], { cwd, maxBuffer: MAX_BUFFER, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')}: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

export async function repoRoot(folder: string): Promise<string | undefined> {
  try {
    return (await git(folder, ['rev-parse', '--show-toplevel'])).trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function resolveRef(repo: string, ref: string): Promise<string | undefined> {
  try {
    return (await git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function mergeBase(repo: string, a: string, b: string): Promise<string | undefined> {
  try {
    return (await git(repo, ['merge-base', a, b])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** File contents at a commit; empty when the file does not exist there (an added or deleted file). */
export async function showFile(repo: string, ref: string, file: string): Promise<string> {
  try {
    return await git(repo, ['show', `${ref}:${file}`]);
  } catch {
    return '';
  }
}

export interface ChangedFile {
  status: 'A' | 'M' | 'D' | 'R' | 'C' | 'T';
  path: string;
  /** For renames and copies, the path on the base side. */
  oldPath?: string;
}

export async function changedFiles(repo: string, base: string, head: string): Promise<ChangedFile[]> {
  const out = await git(repo, ['diff', '--name-status', '-z', '-M', base, head]);
  const parts = out.split('\0').filter((p) => p !== '');
  const files: ChangedFile[] = [];
  for (let i = 0; i < parts.length; ) {
    const code = (parts[i++] ?? '').charAt(0) as ChangedFile['status'];
    if (code === 'R' || code === 'C') {
      const oldPath = parts[i++] ?? '';
      files.push({ status: code, path: parts[i++] ?? '', oldPath });
    } else {
      files.push({ status: code, path: parts[i++] ?? '' });
    }
  }
  return files;
}

/**
 * The paths the branch's own commits changed between `base` and `head`: its first-parent commits that
 * are not merges. Merges of other branches into it (a refix merges the integration branch into the
 * module's branch first) bring other modules' files, which are not its work.
 */
export async function ownChangedPaths(repo: string, base: string, head: string): Promise<Set<string>> {
  const out = await git(repo, ['log', '--first-parent', '--no-merges', '--name-only', '-z', '--format=', `${base}..${head}`]);
  return new Set(out.split('\0').map((p) => p.replace(/^\n+/, '')).filter((p) => p !== ''));
}

/** The repository's common git directory (shared by all its worktrees), absolute. */
export async function gitCommonDir(repo: string): Promise<string> {
  const out = (await git(repo, ['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim();
  return out;
}
