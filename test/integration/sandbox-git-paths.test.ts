/**
 * The git paths a sandboxed shell may write (src/core/sandbox/gitPaths.ts), found by reading the
 * worktree's `.git` pointer files instead of asking git: checked against git's own answer in real
 * repositories, for a worktree on a branch, a detached one, the main worktree and a plain folder.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gitWritePaths } from '../../src/core/sandbox/gitPaths';

function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'U', GIT_AUTHOR_EMAIL: 'u@x.invalid', GIT_COMMITTER_NAME: 'U', GIT_COMMITTER_EMAIL: 'u@x.invalid' } }).trim();
}

/** What git itself says the paths are: the linked worktree's admin folder, less what says where git looks. */
function expected(worktree: string): { allow: string[]; deny: string[] } {
  const [gitDir, common] = sh(worktree, 'rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir').split('\n') as [string, string];
  const allow: string[] = [];
  const deny: string[] = [];
  if (gitDir !== common) {
    allow.push(gitDir);
    deny.push(path.join(gitDir, 'config.worktree'), path.join(gitDir, 'commondir'), path.join(gitDir, 'gitdir'), path.join(gitDir, 'HEAD'));
  }
  deny.push(path.join(worktree, '.git'));
  return { allow, deny };
}

describe('sandbox: git write paths from the worktree files', () => {
  let base: string;
  let repo: string;

  before(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-gitpaths-')));
    repo = path.join(base, 'repo');
    fs.mkdirSync(repo);
    sh(repo, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(repo, 'a.txt'), 'a\n');
    sh(repo, 'add', '.');
    sh(repo, 'commit', '-q', '-m', 'base');
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  it('gives what git gives for a linked worktree on an engine branch, and for a detached one', async () => {
    const wt = path.join(base, 'wt');
    sh(repo, 'worktree', 'add', '-q', '-b', 'orchestration/20250101-120000-deadbeef/core', wt);
    assert.deepEqual(await gitWritePaths(wt), expected(wt));
    const detached = path.join(base, 'detached');
    sh(repo, 'worktree', 'add', '-q', '--detach', detached);
    assert.deepEqual(await gitWritePaths(detached), expected(detached));
    // Nothing of the shared store: not the objects, not any ref (its own branch's included).
    const paths = await gitWritePaths(wt);
    const common = path.join(repo, '.git');
    assert.equal(paths.allow.length, 1, JSON.stringify(paths.allow));
    assert.ok(paths.allow[0]!.startsWith(path.join(common, 'worktrees') + path.sep), JSON.stringify(paths.allow));
  });

  it('asks git for the main worktree, and opens nothing of git outside a repository', async () => {
    assert.deepEqual(await gitWritePaths(repo), expected(repo));
    const plain = path.join(base, 'plain');
    fs.mkdirSync(plain);
    assert.deepEqual(await gitWritePaths(plain), { allow: [], deny: [] });
  });

  it('does not follow a `.git` pointer to something that is not a git dir', async () => {
    const odd = path.join(base, 'odd');
    fs.mkdirSync(odd);
    fs.writeFileSync(path.join(odd, '.git'), `gitdir: ${path.join(base, 'nowhere')}\n`);
    assert.deepEqual(await gitWritePaths(odd), { allow: [], deny: [] });
  });
});
