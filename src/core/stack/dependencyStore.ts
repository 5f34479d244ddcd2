/**
 * Installed dependencies for module worktrees. The scaffold runs `install` once, in the integration
 * worktree; every module worktree then gets those folders (node_modules, .venv) without installing
 * again. Three ways were measured (`npm run bench`, "dependencies per worktree"):
 * - symlink: constant time, but one shared folder: a builder's `npm install` in its worktree writes
 *   through the link into the integration worktree's dependencies, where the integration tests would
 *   then pass thanks to a package no manifest declares;
 * - copy: isolated, but reads and writes every byte, per worktree;
 * - hard-link tree (chosen): new folders and links to the same file contents, so it costs one link per
 *   file and no data; a worktree's installs add and remove entries in its own tree only. Package
 *   managers replace files rather than writing into them, so the shared contents are not changed.
 * Hard links need one file system; the run directory holds every worktree, so that holds, and where it
 * does not (EXDEV) the files are copied.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Folders `install` fills at the repository root that module worktrees need. */
export const INSTALLED_DIRS: readonly string[] = ['node_modules', '.venv', 'venv'];

export type ProvideStrategy = 'hardlink' | 'copy' | 'symlink';

export interface ProvidedDependencies {
  dirs: string[];
  files: number;
  ms: number;
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Recreates `from` at `to`: folders made, symlinks copied as symlinks, files hard-linked (or copied).
 * Returns the file count. The entries of a folder are linked concurrently (libuv's thread pool runs
 * the calls), not one after another: a real node_modules has tens of thousands of files, and one
 * round trip per file made every module worktree wait for them in turn.
 */
export async function linkTree(from: string, to: string, strategy: Exclude<ProvideStrategy, 'symlink'> = 'hardlink'): Promise<number> {
  const placeFile = (s: string, d: string): Promise<void> =>
    strategy === 'copy'
      ? fs.copyFile(s, d)
      : fs.link(s, d).catch(async (e: NodeJS.ErrnoException) => {
          if (e.code !== 'EXDEV' && e.code !== 'EPERM') throw e;
          await fs.copyFile(s, d);
        });
  const folder = async (src: string, dst: string): Promise<number> => {
    await fs.mkdir(dst, { recursive: true });
    const counts = await Promise.all(
      (await fs.readdir(src, { withFileTypes: true })).map(async (entry) => {
        const s = path.join(src, entry.name);
        const d = path.join(dst, entry.name);
        if (entry.isDirectory()) return folder(s, d);
        if (entry.isSymbolicLink()) await fs.symlink(await fs.readlink(s), d);
        else if (entry.isFile()) {
          await placeFile(s, d);
          return 1;
        }
        return 0;
      }),
    );
    return counts.reduce((n, c) => n + c, 0);
  };
  return folder(from, to);
}

/**
 * Gives `worktree` the installed dependency folders of `storeRoot` (the integration worktree) that
 * it does not have yet. A resumed worktree that already has them is left alone.
 */
export async function provideDependencies(storeRoot: string, worktree: string, strategy: ProvideStrategy = 'hardlink'): Promise<ProvidedDependencies> {
  const started = Date.now();
  const dirs: string[] = [];
  let files = 0;
  for (const name of INSTALLED_DIRS) {
    const from = path.join(storeRoot, name);
    const to = path.join(worktree, name);
    if (!(await exists(from)) || (await exists(to))) continue;
    if (!(await fs.lstat(from)).isDirectory()) continue;
    if (strategy === 'symlink') await fs.symlink(from, to, 'dir');
    else files += await linkTree(from, to, strategy);
    dirs.push(name);
  }
  return { dirs, files, ms: Date.now() - started };
}
