/**
 * The git paths outside a worktree that a commit in it writes: the object store, the worktree's own
 * admin folder (index, HEAD, its reflog) and the folders holding its branch's ref and reflog. Nothing
 * else of `.git` is writable: not `config` or `hooks` (a hook set there would run outside the sandbox
 * the next time the engine runs git), not the run directories.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface GitWritePaths {
  allow: string[];
  deny: string[];
}

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
  });
}

/**
 * git's own lookup for a linked worktree, done with file reads: `<worktree>/.git` names the git dir
 * ("gitdir: …"), whose `commondir` names the shared one, and whose `HEAD` names the branch. Shells
 * start several times per module, and each lookup was two git processes. Null when the layout is
 * not that one (a main worktree, a `.git` folder, anything unexpected): git is asked then.
 */
function linkedWorktreeGitPaths(worktree: string): { gitDir: string; common: string; ref: string } | null {
  try {
    const pointer = /^gitdir: (.+)$/m.exec(fs.readFileSync(path.join(worktree, '.git'), 'utf8'))?.[1]?.trim();
    if (!pointer) return null;
    const gitDir = path.resolve(worktree, pointer);
    const common = path.resolve(gitDir, fs.readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim());
    if (!fs.statSync(path.join(common, 'objects')).isDirectory()) return null;
    const head = fs.readFileSync(path.join(gitDir, 'HEAD'), 'utf8');
    const ref = /^ref: (refs\/\S+)\s*$/.exec(head)?.[1] ?? '';
    return { gitDir, common, ref };
  } catch {
    return null;
  }
}

export async function gitWritePaths(worktree: string): Promise<GitWritePaths> {
  const linked = linkedWorktreeGitPaths(worktree);
  if (linked) return writePathsFor(worktree, linked.gitDir, linked.common, linked.ref);
  let out: string;
  try {
    out = await git(worktree, ['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir']);
  } catch {
    return { allow: [], deny: [] }; // not a git worktree: nothing of git to open
  }
  const [gitDir, common] = out.split('\n');
  if (!gitDir || !common) return { allow: [], deny: [] };
  const ref = await git(worktree, ['symbolic-ref', '-q', 'HEAD']).catch(() => '');
  return writePathsFor(worktree, gitDir, common, ref);
}

function writePathsFor(worktree: string, gitDir: string, common: string, ref: string): GitWritePaths {
  const allow = [path.join(common, 'objects')];
  const deny: string[] = [];
  if (path.resolve(gitDir) !== path.resolve(common)) {
    allow.push(gitDir);
    // A worktree's own config (extensions.worktreeConfig) could set hooks just like the main one, and
    // `commondir` / `gitdir` say where git finds the config: all three stay closed. So does `HEAD`: it
    // names the branch whose ref this shell may move (below), and the one the engine commits on; an
    // agent that pointed it at the integration branch would have both. Agents never switch branches.
    deny.push(path.join(gitDir, 'config.worktree'), path.join(gitDir, 'commondir'), path.join(gitDir, 'gitdir'), path.join(gitDir, 'HEAD'));
  }
  // The `.git` file inside the worktree names its git dir: pointed elsewhere, the engine's next git
  // command in that worktree would read a config the agent wrote.
  deny.push(path.join(worktree, '.git'));
  if (ref.startsWith('refs/heads/')) {
    for (const base of [common, path.join(common, 'logs')]) {
      const dir = path.dirname(path.join(base, ref));
      // A bind needs the folder to exist; git would create it on the first commit otherwise.
      fs.mkdirSync(dir, { recursive: true });
      allow.push(dir);
      // git writes a ref through a lock file renamed over it, so its folder must be writable; but that
      // folder holds every branch of the run (`orchestration/<run>/…`), the integration branch that
      // ships among them. The others are held read-only (a rename over or a removal of one fails), so
      // a shell moves its own branch only.
      deny.push(...siblingsOf(dir, path.basename(ref)));
    }
  }
  return { allow, deny };
}

/**
 * The entries of `dir` other than the branch `own`: files and folders alike, but no lock file. A lock
 * is there only while git updates a ref (the engine merging into the integration branch as the shell
 * starts); held read-only, or made again as a placeholder for the sandbox, it would stay behind and
 * refuse every later update of that branch.
 */
function siblingsOf(dir: string, own: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((name) => name !== own && !name.endsWith('.lock'))
      .map((name) => path.join(dir, name));
  } catch {
    return [];
  }
}
