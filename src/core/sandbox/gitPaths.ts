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

export async function gitWritePaths(worktree: string): Promise<GitWritePaths> {
  let out: string;
  try {
    out = await git(worktree, ['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir']);
  } catch {
    return { allow: [], deny: [] }; // not a git worktree: nothing of git to open
  }
  const [gitDir, common] = out.split('\n');
  if (!gitDir || !common) return { allow: [], deny: [] };
  const ref = await git(worktree, ['symbolic-ref', '-q', 'HEAD']).catch(() => '');
  const allow = [path.join(common, 'objects')];
  const deny: string[] = [];
  if (path.resolve(gitDir) !== path.resolve(common)) {
    allow.push(gitDir);
    // A worktree's own config (extensions.worktreeConfig) could set hooks just like the main one.
    deny.push(path.join(gitDir, 'config.worktree'));
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
    }
  }
  return { allow, deny };
}
