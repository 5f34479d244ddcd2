/**
 * commitAll, the engine's plain commit (training pairs, memory, resolutions, a teammate's task):
 * what it commits and when it answers "nothing to commit" (null) instead of failing. It tries the
 * commit first and asks the index only after a failure, so these outcomes are pinned here.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { commitAll } from '../../src/core/git';

const ME = { name: 'e', email: 'e@x.invalid' };

describe('commitAll', function () {
  this.timeout(60_000);
  let dir: string;
  let wt: string;
  const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=u', '-c', 'user.email=u@x.invalid', ...args], { cwd, encoding: 'utf8' }).trim();
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-commitall-')));
    const repo = path.join(dir, 'repo');
    fs.mkdirSync(path.join(repo, 'keep'), { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(repo, 'keep', 'a.txt'), 'a\n');
    fs.writeFileSync(path.join(repo, 'gone.txt'), 'g\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'first');
    wt = path.join(dir, 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'orchestration/r/m', wt);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('commits exactly the paths given: a change, a new file, a deletion; not what was staged elsewhere', async () => {
    fs.appendFileSync(path.join(wt, 'keep', 'a.txt'), 'more\n');
    fs.writeFileSync(path.join(wt, 'keep', 'new.txt'), 'n\n');
    fs.rmSync(path.join(wt, 'gone.txt'));
    fs.writeFileSync(path.join(wt, 'elsewhere.txt'), 'e\n');
    git(wt, 'add', 'elsewhere.txt');
    const commit = await commitAll(wt, 'the paths', ME, ['keep', 'gone.txt', 'never-existed.txt']);
    assert.match(String(commit), /^[0-9a-f]{40}$/);
    assert.equal(git(wt, 'rev-parse', 'HEAD'), commit);
    assert.deepEqual(git(wt, 'show', '--name-status', '--format=%an|%s', 'HEAD').split('\n').filter(Boolean), ['e|the paths', 'D\tgone.txt', 'M\tkeep/a.txt', 'A\tkeep/new.txt']);
    assert.equal(git(wt, 'status', '--porcelain'), 'A  elsewhere.txt', 'what was staged elsewhere stays staged, uncommitted');
  });

  it('answers null when there is nothing to commit: unchanged paths, paths that neither exist nor are tracked, an empty list, a clean tree', async () => {
    const head = git(wt, 'rev-parse', 'HEAD');
    assert.equal(await commitAll(wt, 'x', ME, ['keep']), null);
    assert.equal(await commitAll(wt, 'x', ME, ['nowhere', 'keep/nothing.txt']), null);
    assert.equal(await commitAll(wt, 'x', ME, []), null);
    assert.equal(await commitAll(wt, 'x', ME), null);
    // Staged elsewhere, nothing under the paths: still nothing to commit for them.
    fs.writeFileSync(path.join(wt, 'elsewhere.txt'), 'e\n');
    git(wt, 'add', 'elsewhere.txt');
    assert.equal(await commitAll(wt, 'x', ME, ['keep']), null);
    assert.equal(git(wt, 'rev-parse', 'HEAD'), head);
    // Without paths, everything.
    assert.match(String(await commitAll(wt, 'all', ME)), /^[0-9a-f]{40}$/);
    assert.equal(git(wt, 'status', '--porcelain'), '');
  });

  it("an untracked folder named like an index entry does not make its files count as tracked", async () => {
    // ls-files lists it as "100644 <id> 0\tmem/n.md", which without -t reads as the index entry of mem/n.md.
    const crafted = path.join(wt, `100644 ${'0'.repeat(40)} 0\tmem`);
    fs.mkdirSync(crafted);
    fs.writeFileSync(path.join(crafted, 'n.md'), 'n\n');
    assert.equal(await commitAll(wt, 'x', ME, ['mem/n.md']), null);
  });

  it('a commit git refuses with something staged is an error, not "nothing to commit"', async () => {
    fs.appendFileSync(path.join(wt, 'keep', 'a.txt'), 'more\n');
    // An empty message with --no-edit: git refuses ("Aborting commit due to empty commit message").
    await assert.rejects(commitAll(wt, '', ME, ['keep']), /commit/);
  });
});
