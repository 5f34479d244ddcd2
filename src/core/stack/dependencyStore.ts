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
        // A lent tree lent on (a phase's to its teammates) keeps its own marks: never linked, or
        // writing one would write the other through the shared file.
        if (entry.name === LENDING_MARK || entry.name === LENT_MARK) return 0;
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
 * In a lent folder while it is being made: a process killed there leaves a folder that has it, which
 * the next call makes again (a folder that merely exists may be half of one, and was taken as whole).
 */
export const LENDING_MARK = '.build-pipeline-lending';
/** In a lent folder once made, holding the `generation` it was lent at (see provideDependencies). */
export const LENT_MARK = '.build-pipeline-lent';

async function readText(file: string): Promise<string | undefined> {
  return fs.readFile(file, 'utf8').catch(() => undefined);
}

/**
 * Gives `worktree` the installed dependency folders of `storeRoot` (the integration worktree) that
 * it does not have yet. A resumed worktree that already has them is left alone; one left half-made
 * by a killed process is made again, and so is one lent at another `generation` (an implement run
 * installs again when a phase changed a manifest). A folder without either mark is not the engine's
 * lending and is never touched.
 */
export async function provideDependencies(storeRoot: string, worktree: string, strategy: ProvideStrategy = 'hardlink', generation = ''): Promise<ProvidedDependencies> {
  const started = Date.now();
  const dirs: string[] = [];
  let files = 0;
  for (const name of INSTALLED_DIRS) {
    const from = path.join(storeRoot, name);
    const to = path.join(worktree, name);
    if (!(await exists(from))) continue;
    if (!(await fs.lstat(from)).isDirectory()) continue;
    if (await exists(to)) {
      const unfinished = await exists(path.join(to, LENDING_MARK));
      const lentAt = await readText(path.join(to, LENT_MARK));
      if (!unfinished && (lentAt === undefined || lentAt === generation)) continue;
      await fs.rm(to, { recursive: true, force: true });
    }
    if (strategy === 'symlink') await fs.symlink(from, to, 'dir');
    else {
      await fs.mkdir(to, { recursive: true });
      await fs.writeFile(path.join(to, LENDING_MARK), '');
      files += await linkTree(from, to, strategy);
      // Written before the lending mark goes, so a kill between the two leaves a tree made again.
      await fs.writeFile(path.join(to, LENT_MARK), generation);
      await fs.rm(path.join(to, LENDING_MARK));
    }
    dirs.push(name);
  }
  return { dirs, files, ms: Date.now() - started };
}
