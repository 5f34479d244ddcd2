/**
 * The git paths outside a worktree that an agent's shell may write: the worktree's own admin folder
 * (its index and HEAD's reflog; merge or cherry-pick state it leaves there is dropped before an engine
 * commit, see commits.ts), nothing else of `.git`. Not the object store: every
 * branch of the repository, the user's own among them, is read from it, and a loose object or pack
 * replaced there changes what an engine commit checks out without moving any ref (git trusts an
 * object's name on read). Not the refs: agents never commit (the engine does, outside the sandbox),
 * and a shell that could write its own branch's ref could also make it a symbolic ref to the
 * integration branch, or lock the others. Not `config` or `hooks` either: a hook set there would
 * run outside the sandbox the next time the engine runs git. An agent's `git add` or `git commit`
 * therefore fails, with the sandbox's message; reading git (status, diff, log) works.
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
 * ("gitdir: …"), whose `commondir` names the shared one. Shells start several times per module, and
 * each lookup was a git process. Null when the layout is not that one (a main worktree, a `.git`
 * folder, anything unexpected): git is asked then.
 */
function linkedWorktreeGitPaths(worktree: string): { gitDir: string; common: string } | null {
  try {
    const pointer = /^gitdir: (.+)$/m.exec(fs.readFileSync(path.join(worktree, '.git'), 'utf8'))?.[1]?.trim();
    if (!pointer) return null;
    const gitDir = path.resolve(worktree, pointer);
    const common = path.resolve(gitDir, fs.readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim());
    if (!fs.statSync(path.join(common, 'objects')).isDirectory()) return null;
    return { gitDir, common };
  } catch {
    return null;
  }
}

export async function gitWritePaths(worktree: string): Promise<GitWritePaths> {
  const linked = linkedWorktreeGitPaths(worktree);
  if (linked) return writePathsFor(worktree, linked.gitDir, linked.common);
  let out: string;
  try {
    out = await git(worktree, ['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir']);
  } catch {
    return { allow: [], deny: [] }; // not a git worktree: nothing of git to open
  }
  const [gitDir, common] = out.split('\n');
  if (!gitDir || !common) return { allow: [], deny: [] };
  return writePathsFor(worktree, gitDir, common);
}

function writePathsFor(worktree: string, gitDir: string, common: string): GitWritePaths {
  const allow: string[] = [];
  const deny: string[] = [];
  if (path.resolve(gitDir) !== path.resolve(common)) {
    allow.push(gitDir);
    // A worktree's own config (extensions.worktreeConfig) could set hooks just like the main one, and
    // `commondir` / `gitdir` say where git finds the config and the refs: all three stay closed. So
    // does `HEAD`: it names the branch the engine commits on, and an agent that pointed it at the
    // integration branch would have the engine commit there. Agents never switch branches.
    deny.push(path.join(gitDir, 'config.worktree'), path.join(gitDir, 'commondir'), path.join(gitDir, 'gitdir'), path.join(gitDir, 'HEAD'));
  }
  // The `.git` file inside the worktree names its git dir: pointed elsewhere, the engine's next git
  // command in that worktree would read a config the agent wrote.
  deny.push(path.join(worktree, '.git'));
  return { allow, deny };
}
