/**
 * The merge into the user's branch (git/shipMerge.ts) against what a user does while it is prepared:
 * real git, the user's checkout and engine worktrees in a temp folder. The trial merge's tests are the
 * moment the user acts (a base that moved since the start is tested, so the hook runs).
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mergeIntoBase, type ShipMergeInput } from '../../src/core/git/shipMerge';
import { shipInputFor, shipIntoBase } from '../../src/core/ship/shipIntoBase';
import { UNSANDBOXED } from '../../src/core/sandbox/runSandbox';

const INTEGRATION = 'orchestration/20261203-100000-0000aaaa/integration';

describe('shipping into the user\'s branch while the user works', function () {
  this.timeout(60_000);
  let dir: string;
  let repo: string;
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=u', '-c', 'user.email=u@x.invalid', ...args], { cwd, encoding: 'utf8' }).trim();

  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-ship-merge-')));
    repo = path.join(dir, 'repo');
    fs.mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(repo, 'app.js'), 'app\n');
    fs.writeFileSync(path.join(repo, '.gitignore'), 'secret.json\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'user: app');
    // The run's work: a new file, on its integration branch.
    git(repo, 'branch', INTEGRATION);
    const wt = path.join(dir, 'integration');
    git(repo, 'worktree', 'add', '-q', wt, INTEGRATION);
    fs.writeFileSync(path.join(wt, 'feature.js'), 'feature\n');
    git(wt, 'add', '.');
    git(wt, 'commit', '-q', '-m', 'build: feature');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const input = (during: () => void = () => undefined): ShipMergeInput => ({
    repoRoot: repo,
    baseBranch: 'main',
    integrationBranch: INTEGRATION,
    // Not the base's head: the base "moved", so the merge result is tested, and the user acts then.
    baseCommitAtStart: '0'.repeat(40),
    stagingWorktree: path.join(dir, 'ship'),
    stagingBranch: 'orchestration/20261203-100000-0000aaaa/ship',
    message: 'Merge the run',
    testMergeResult: async () => {
      during();
      return { ok: true, output: '' };
    },
  });

  it('a stop that comes while the trial merge is made merges nothing into the base', async () => {
    const before = git(repo, 'rev-parse', 'main');
    const stop = new AbortController();
    // The stop lands during the trial merge's tests (the base "moved"); they pass all the same.
    const outcome = await mergeIntoBase({ ...input(() => stop.abort('cancelled by the user')), signal: stop.signal });
    assert.deepEqual(outcome, { status: 'stopped' });
    assert.equal(git(repo, 'rev-parse', 'main'), before, 'main did not move');
    assert.ok(!fs.existsSync(path.join(dir, 'ship')), 'the trial merge\'s worktree is gone');
    assert.equal(git(repo, 'branch', '--list', 'orchestration/20261203-100000-0000aaaa/ship'), '', 'and its branch');
  });

  it('never overwrites a file the user\'s checkout ignores, which the integration branch tracks: refused, naming it', async () => {
    const wt = path.join(dir, 'integration');
    fs.writeFileSync(path.join(wt, '.gitignore'), '');
    fs.writeFileSync(path.join(wt, 'secret.json'), '{"key":"agent-placeholder"}\n');
    git(wt, 'add', '.');
    git(wt, 'commit', '-q', '-m', 'scaffold: config');
    fs.writeFileSync(path.join(repo, 'secret.json'), '{"key":"USER-SECRET"}\n');
    const before = git(repo, 'rev-parse', 'main');
    const outcome = await mergeIntoBase(input());
    assert.deepEqual(outcome, { status: 'dirtyTree', tree: repo, files: ['secret.json'] });
    assert.equal(fs.readFileSync(path.join(repo, 'secret.json'), 'utf8'), '{"key":"USER-SECRET"}\n');
    assert.equal(git(repo, 'rev-parse', 'main'), before, 'main did not move');
  });

  it('the user switches to another branch meanwhile: main gets the merge by ref, the branch the user is on is untouched', async () => {
    const before = git(repo, 'rev-parse', 'main');
    const outcome = await mergeIntoBase(input(() => git(repo, 'checkout', '-q', '-b', 'my-feature')));
    assert.equal(outcome.status, 'merged');
    assert.equal(git(repo, 'rev-parse', 'my-feature'), before, 'the user\'s branch did not take the merge');
    assert.equal(git(repo, 'rev-parse', 'main'), outcome.status === 'merged' ? outcome.commit : '');
    assert.equal(git(repo, 'rev-parse', 'main^1'), before);
    assert.equal(git(repo, 'status', '--porcelain'), '', 'the user\'s checkout is as they left it');
  });

  it('the user checks main out meanwhile: the checkout is fast-forwarded with it, not left showing the merge reversed', async () => {
    git(repo, 'checkout', '-q', '-b', 'elsewhere');
    const outcome = await mergeIntoBase(input(() => git(repo, 'checkout', '-q', 'main')));
    assert.equal(outcome.status, 'merged');
    assert.equal(git(repo, 'rev-parse', 'HEAD'), git(repo, 'rev-parse', 'main'));
    assert.equal(git(repo, 'status', '--porcelain'), '', 'no staged reversal of the merge');
    assert.ok(fs.existsSync(path.join(repo, 'feature.js')));
  });

  it('a rebase of main under way in another worktree: nothing is moved, and the reason is given', async () => {
    git(repo, 'checkout', '-q', '-b', 'elsewhere');
    const rebasing = path.join(dir, 'rebasing');
    git(repo, 'worktree', 'add', '-q', rebasing, 'main');
    fs.writeFileSync(path.join(rebasing, 'app.js'), 'app, mine\n');
    git(rebasing, 'commit', '-q', '-am', 'user: mine');
    // An interactive rebase stopped at its first commit ("edit"): the worktree is detached meanwhile.
    execFileSync('git', ['-c', 'user.name=u', '-c', 'user.email=u@x.invalid', 'rebase', '-q', '-i', 'HEAD~1'], {
      cwd: rebasing,
      env: { ...process.env, GIT_SEQUENCE_EDITOR: "sed -i 's/^pick/edit/'" },
    });
    const before = git(repo, 'rev-parse', 'main');
    const outcome = await mergeIntoBase(input());
    assert.equal(outcome.status, 'notDelivered');
    assert.match(outcome.status === 'notDelivered' ? outcome.reason : '', /a rebase of main is under way in .*rebasing/);
    assert.equal(git(repo, 'rev-parse', 'main'), before);
    git(rebasing, 'rebase', '--continue');
  });

  it('a stale worktree entry of main (its folder deleted) is not taken for the user\'s checkout: main moves by ref', async () => {
    git(repo, 'checkout', '-q', '-b', 'elsewhere');
    const gone = path.join(dir, 'gone');
    git(repo, 'worktree', 'add', '-q', gone, 'main');
    fs.rmSync(gone, { recursive: true, force: true });
    const outcome = await mergeIntoBase(input());
    assert.equal(outcome.status, 'merged');
    assert.equal(git(repo, 'rev-parse', 'main'), outcome.status === 'merged' ? outcome.commit : '');
  });

  it('shipped again on resume after the base moved on: the record names the merge and the head before it, not the base\'s newest commit', async () => {
    const before = git(repo, 'rev-parse', 'main');
    const ship = () =>
      shipIntoBase({
        repoRoot: repo,
        runId: '20261203-100000-0000aaaa',
        baseBranch: 'main',
        baseCommit: before,
        integrationBranch: INTEGRATION,
        worktreesDir: dir,
        reportsDir: dir,
        title: 'the run',
        testCommand: 'true',
        runTests: async () => ({ ok: true, output: '' }),
        log: () => undefined,
      });
    const first = await ship();
    assert.equal(first.status, 'done');
    const merge = git(repo, 'rev-parse', 'main');
    fs.writeFileSync(path.join(repo, 'later.txt'), 'later\n');
    git(repo, 'add', 'later.txt');
    git(repo, 'commit', '-q', '-m', 'user: later');
    const again = await ship();
    assert.equal(again.status, 'done');
    assert.deepEqual(again.status === 'done' ? [again.shipped.commit, again.shipped.previousHead] : [], [merge, before]);
  });
  it("the user's hooks run for the fast-forward, except when the merge changes the hooks folder itself (a relative core.hooksPath)", async () => {
    const log = path.join(dir, 'hooks.log');
    const hook = (word: string) => `#!/bin/sh\necho ${word} >> '${log}'\n`;
    fs.mkdirSync(path.join(repo, '.husky'));
    fs.writeFileSync(path.join(repo, '.husky', 'post-merge'), hook('user-hook'), { mode: 0o755 });
    git(repo, 'add', '.husky');
    git(repo, 'commit', '-q', '-m', 'user: husky hook');
    const wt = path.join(dir, 'integration');
    git(wt, 'merge', '-q', 'main');
    git(repo, 'config', 'core.hooksPath', '.husky');

    // The run's work does not touch the hooks: the user's hook runs, as for any fast-forward they make.
    const first = await mergeIntoBase(input());
    assert.equal(first.status, 'merged');
    assert.equal(first.status === 'merged' ? first.hooksSkipped : 'x', undefined);
    assert.equal(fs.readFileSync(log, 'utf8'), 'user-hook\n');

    // Now it rewrites the hook: the fast-forward lands without running hooks, and says so.
    fs.writeFileSync(path.join(wt, '.husky', 'post-merge'), hook('agent-hook'), { mode: 0o755 });
    fs.writeFileSync(path.join(wt, 'more.js'), 'more\n');
    git(wt, '-c', 'core.hooksPath=/dev/null', 'add', '.');
    git(wt, '-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-m', 'build: more');
    const second = await mergeIntoBase(input());
    assert.equal(second.status, 'merged');
    assert.match(second.status === 'merged' ? (second.hooksSkipped ?? '') : '', /changes the repository's own hooks \(\.husky\/post-merge\)/);
    assert.equal(fs.readFileSync(log, 'utf8'), 'user-hook\n', 'no hook ran for it');
    assert.ok(fs.existsSync(path.join(repo, 'more.js')), 'the checkout was fast-forwarded');

    // A hook manager's file (lefthook's stubs run what lefthook.yml names) counts as the hooks too.
    fs.writeFileSync(path.join(wt, 'lefthook.yml'), 'post-merge:\n  commands:\n    x:\n      run: echo agent\n');
    git(wt, '-c', 'core.hooksPath=/dev/null', 'add', '.');
    git(wt, '-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-m', 'build: lefthook');
    const third = await mergeIntoBase(input());
    assert.match(third.status === 'merged' ? (third.hooksSkipped ?? '') : '', /\(lefthook\.yml\)/);
    assert.equal(fs.readFileSync(log, 'utf8'), 'user-hook\n', 'no hook ran for it');
  });

  it("a moved base's merge result is tested with the integration worktree's installed dependencies", async () => {
    // What `install` left in the integration worktree (ignored, never committed).
    const installed = path.join(dir, 'integration', 'node_modules', 'shout');
    fs.mkdirSync(installed, { recursive: true });
    fs.writeFileSync(path.join(installed, 'index.js'), "module.exports = (s) => s.toUpperCase() + '!';\n");
    const logs: string[] = [];
    const outcome = await shipIntoBase(
      shipInputFor({
        state: { repoRoot: repo, runId: '20261203-100000-0000aaaa', baseBranch: 'main', baseCommit: '0'.repeat(40), integrationBranch: INTEGRATION },
        worktreesDir: dir,
        reportsDir: dir,
        title: 'the run',
        testCommand: `node -e "if (require('shout')('hi') !== 'HI!') process.exit(1)"`,
        runner: { config: { testTimeoutMs: 60_000 }, signal: new AbortController().signal, sandbox: UNSANDBOXED },
        log: (_level, message) => logs.push(message),
        dependenciesFrom: path.join(dir, 'integration'),
      }),
    );
    assert.equal(outcome.status, 'done', outcome.status === 'done' ? '' : outcome.reason);
    assert.ok(logs.some((l) => /merge result's tree has the installed node_modules/.test(l)), logs.join('\n'));
    assert.ok(!git(repo, 'ls-tree', '-r', '--name-only', 'main').split('\n').some((f) => f.startsWith('node_modules/')), 'the dependencies are not merged');
  });

  it('stopped while the tests run on the merge result of a moved base: nothing is merged, no "tests fail" report, the staging worktree is gone', async () => {
    const before = git(repo, 'rev-parse', 'main');
    const stop = new AbortController();
    // Whenever the stop lands (while the merge is made, or under the 10-s suite), the outcome is the same.
    const timer = setTimeout(() => stop.abort('test stop'), 300);
    try {
      await assert.rejects(
        shipIntoBase(
          shipInputFor({
            state: { repoRoot: repo, runId: '20261203-100000-0000aaaa', baseBranch: 'main', baseCommit: '0'.repeat(40), integrationBranch: INTEGRATION },
            worktreesDir: dir,
            reportsDir: dir,
            title: 'the run',
            testCommand: 'sleep 10',
            runner: { config: { testTimeoutMs: 60_000 }, signal: stop.signal, sandbox: UNSANDBOXED },
            log: () => undefined,
            dependenciesFrom: path.join(dir, 'integration'),
          }),
        ),
        /the run was stopped before it finished/,
      );
    } finally {
      clearTimeout(timer);
    }
    assert.equal(git(repo, 'rev-parse', 'main'), before, 'main unchanged');
    assert.ok(!fs.existsSync(path.join(dir, 'ship-merge.md')), 'no report of failing tests');
    assert.ok(!fs.existsSync(path.join(dir, 'ship')), 'the staging worktree was removed');
    assert.equal(git(repo, 'branch', '--list', 'orchestration/20261203-100000-0000aaaa/ship'), '');
  });
});
