/** Plain git and file writes for setting up and reading test repositories, independent of the code under test. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `git <args>` in `cwd` as a fixed user, its output trimmed; throws on a non-zero exit. */
export function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'User', GIT_AUTHOR_EMAIL: 'u@x.invalid', GIT_COMMITTER_NAME: 'User', GIT_COMMITTER_EMAIL: 'u@x.invalid' },
  }).trim();
}

/** Writes `content` to `root/rel`, making the folders on the way. */
export function write(root: string, rel: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
}
