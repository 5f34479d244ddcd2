/**
 * The git layer against real repositories in temp directories: worktrees per module, commits,
 * --no-ff merges into an integration worktree, real and trivial conflicts, failure cleanup, and
 * throughout, a dirty user checkout that must come out byte-identical.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { branchExists, deleteEngineBranch, integrationBranch, moduleBranch } from '../../src/core/git/branches';
import { changedPathsSince, commitAll, diffRange, resetHard } from '../../src/core/git/commits';
import { GitError, type GitErrorReason } from '../../src/core/git/errors';
import { abortMerge, commitMerge, mergeAllNoFf, mergeNoFf, resolveTrivialConflicts } from '../../src/core/git/merge';
import { openRepo } from '../../src/core/git/repo';
import { runGit } from '../../src/core/git/run';
import { assertUserTreeUnchanged, snapshotUserTree, type UserTreeSnapshot } from '../../src/core/git/userTree';
import { createWorktree, listWorktrees, removeWorktree } from '../../src/core/git/worktrees';
import { createThrowawayTree, removeThrowawayTree } from '../../src/core/git/throwaway';
import { addWorktreeForBranch } from '../../src/core/git/engineOps';
import { commitOwnedChanges } from '../../src/core/git/ownership';

const RUN = '20250101-120000-deadbeef';
const BUILDER = { name: 'Builder Bot', email: 'builder@example.invalid' };
const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  tempDirs.push(dir);
  return dir;
}

/** Plain git for setting up and inspecting fixtures, independent of the code under test. */
function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'User',
      GIT_AUTHOR_EMAIL: 'user@example.invalid',
      GIT_COMMITTER_NAME: 'User',
      GIT_COMMITTER_EMAIL: 'user@example.invalid',
    },
  });
}

function write(root: string, rel: string, content: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
}

function read(root: string, rel: string): string {
  return fs.readFileSync(path.join(root, rel), 'utf8');
}

function initRepo(): string {
  const repo = tempDir('bp-git-repo-');
  sh(repo, 'init', '--quiet', '--initial-branch=main');
  write(repo, 'README.md', '# demo\n');
  write(repo, 'src/shared/config.ts', 'export const name = "demo";\nexport const port = 8080;\nexport const debug = false;\n');
  write(repo, 'src/shared/index.ts', "import { name } from './config';\n\nexport { name };\n");
  write(repo, 'src/db/old.ts', 'export const table = "items";\n');
  sh(repo, 'add', '.');
  sh(repo, 'commit', '--quiet', '-m', 'initial');
  return repo;
}

async function expectGitError(promise: Promise<unknown>, reason: GitErrorReason): Promise<GitError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(GitError.is(error, reason), `expected GitError ${reason}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected GitError ${reason}, but the call succeeded`);
}

after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('git layer (real repositories)', () => {
  let repo: string;
  let runDir: string;
  let userSnapshot: UserTreeSnapshot;
  let integration: string;
  const dirtyReadme = '# demo\nwork in progress by the user\n';
  const untrackedNotes = 'my private notes\n';

  before(async () => {
    repo = initRepo();
    runDir = tempDir('bp-git-run-');
    // The user is mid-edit: a modified file, a staged change, and an untracked file.
    write(repo, 'README.md', dirtyReadme);
    write(repo, 'src/shared/config.ts', 'export const name = "demo";\nexport const port = 9090;\nexport const debug = false;\n');
    sh(repo, 'add', 'src/shared/config.ts');
    write(repo, 'notes.txt', untrackedNotes);
    userSnapshot = await snapshotUserTree(repo);
  });

  describe('openRepo', () => {
    it('finds root, branch and HEAD from a subdirectory', async () => {
      const info = await openRepo(path.join(repo, 'src', 'shared'));
      assert.equal(info.root, repo);
      assert.equal(info.branch, 'main');
      assert.equal(info.detached, false);
      assert.equal(info.head, sh(repo, 'rev-parse', 'HEAD').trim());
    });

    it('reports a detached HEAD', async () => {
      const other = initRepo();
      sh(other, 'checkout', '--quiet', '--detach');
      const info = await openRepo(other);
      assert.equal(info.branch, null);
      assert.equal(info.detached, true);
    });

    it("fails with 'noCommits' on an empty repository", async () => {
      const empty = tempDir('bp-git-empty-');
      sh(empty, 'init', '--quiet');
      await expectGitError(openRepo(empty), 'noCommits');
    });

    it("fails with 'notARepo' outside a repository and on a missing directory", async () => {
      await expectGitError(openRepo(tempDir('bp-git-plain-')), 'notARepo');
      await expectGitError(openRepo(path.join(os.tmpdir(), 'bp-does-not-exist-7f3a')), 'notARepo');
    });
  });

  describe('branch names', () => {
    it('builds integration and module branches', () => {
      assert.equal(integrationBranch(RUN), `orchestration/${RUN}/integration`);
      assert.equal(moduleBranch(RUN, 'api'), `orchestration/${RUN}/api`);
    });

    it('refuses bad run ids and hostile module names', () => {
      for (const runId of ['2025-01-01', '20250101-120000-DEADBEEF', '20250101-120000-deadbee', `../${RUN}`, '']) {
        assert.throws(() => integrationBranch(runId), (e: unknown) => GitError.is(e, 'invalidName'), runId);
      }
      for (const name of ['../x', 'a b', 'x.lock', '-rf', 'a~1', 'integration', 'a@{b']) {
        assert.throws(() => moduleBranch(RUN, name), (e: unknown) => GitError.is(e, 'invalidName'), name);
      }
    });
  });

  describe('worktrees, commits and merges', () => {
    let api: string;
    let db: string;
    let base: string;

    before(async () => {
      base = (await openRepo(repo)).head;
      integration = (await createWorktree(repo, path.join(runDir, 'integration'), integrationBranch(RUN), base)).path;
      api = (await createWorktree(repo, path.join(runDir, 'api'), moduleBranch(RUN, 'api'), integrationBranch(RUN))).path;
      db = (await createWorktree(repo, path.join(runDir, 'db'), moduleBranch(RUN, 'db'), integrationBranch(RUN))).path;
    });

    it('creates worktrees on new branches from the start point', async () => {
      const listed = await listWorktrees(repo);
      assert.equal(listed[0]?.path, repo);
      assert.equal(listed[0]?.isMain, true);
      const byBranch = new Map(listed.map((w) => [w.branch, w]));
      assert.equal(byBranch.get(moduleBranch(RUN, 'api'))?.path, api);
      assert.equal(byBranch.get(moduleBranch(RUN, 'db'))?.head, base);
      assert.equal(read(api, 'README.md'), '# demo\n', 'a worktree starts from the commit, not the user’s dirty files');
    });

    it('commits only the given paths, with the given author, even when other changes exist', async () => {
      write(api, 'src/api/index.ts', 'export const api = 1;\n');
      write(api, 'README.md', 'builder scribbled here\n');
      write(api, 'stray.txt', 'outside the module\n');
      const commit = await commitAll(api, 'api: first cut', BUILDER, ['src/api']);
      assert.ok(commit);
      assert.equal(sh(api, 'show', '--name-only', '--format=', commit).trim(), 'src/api/index.ts');
      assert.equal(sh(api, 'log', '-1', '--format=%an <%ae>|%cn').trim(), 'Builder Bot <builder@example.invalid>|Builder Bot');
    });

    it('detects writes outside the module folder: committed, modified and untracked', async () => {
      const changed = await changedPathsSince(api, base);
      assert.deepEqual(changed, ['README.md', 'src/api/index.ts', 'stray.txt']);
    });

    it('resetHard discards uncommitted and untracked work in an engine worktree', async () => {
      const head = sh(api, 'rev-parse', 'HEAD').trim();
      await resetHard(api, head);
      assert.deepEqual(await changedPathsSince(api, base), ['src/api/index.ts']);
      assert.equal(fs.existsSync(path.join(api, 'stray.txt')), false);
    });

    it('returns null when there is nothing to commit', async () => {
      assert.equal(await commitAll(api, 'nothing', BUILDER), null);
      assert.equal(await commitAll(api, 'nothing', BUILDER, ['src/never-written']), null);
    });

    it('refuses to commit in the main worktree or on a non-engine branch, and refuses unsafe paths', async () => {
      await expectGitError(commitAll(repo, 'never', BUILDER), 'notEngineWorktree');
      const feature = path.join(runDir, 'feature');
      sh(repo, 'worktree', 'add', '--quiet', '-b', 'feature/x', feature, base);
      await expectGitError(commitAll(feature, 'never', BUILDER), 'notEngineWorktree');
      sh(repo, 'worktree', 'remove', feature);
      sh(repo, 'branch', '-D', 'feature/x');
      await expectGitError(commitAll(api, 'never', BUILDER, ['../outside']), 'invalidName');
      await expectGitError(commitAll(api, 'never', { name: 'x\n', email: 'a@b' }), 'invalidName');
    });

    it('lists a module branch’s changes with renames for review', async () => {
      fs.rmSync(path.join(db, 'src/db/old.ts'));
      write(db, 'src/db/new.ts', 'export const table = "items";\n');
      write(db, 'src/db/schema.ts', 'export const schema = {};\n');
      assert.ok(await commitAll(db, 'db: schema', BUILDER, ['src/db']));
      const changes = await diffRange(repo, integrationBranch(RUN), moduleBranch(RUN, 'db'));
      assert.deepEqual(changes, [
        { status: 'R', oldPath: 'src/db/old.ts', path: 'src/db/new.ts' },
        { status: 'A', path: 'src/db/schema.ts' },
      ]);
    });

    it('merges module branches --no-ff in order, one merge commit each on the first-parent line', async () => {
      const first = await mergeNoFf(integration, moduleBranch(RUN, 'api'), 'Merge module api');
      const second = await mergeNoFf(integration, moduleBranch(RUN, 'db'), 'Merge module db');
      assert.equal(first.status, 'clean');
      assert.equal(second.status, 'clean');
      const merges = sh(integration, 'log', '--merges', '--first-parent', '--format=%s', integrationBranch(RUN)).trim().split('\n');
      assert.deepEqual(merges, ['Merge module db', 'Merge module api']);
      const parents = sh(integration, 'log', '-1', '--format=%P').trim().split(' ');
      assert.equal(parents.length, 2);
      assert.equal(parents[1], sh(repo, 'rev-parse', moduleBranch(RUN, 'db')).trim());
      assert.equal(sh(integration, 'log', '-1', '--format=%an').trim(), 'Build Pipeline');
    });

    it("reports 'upToDate' when a branch is merged again (resume after a crash)", async () => {
      const head = sh(integration, 'rev-parse', 'HEAD').trim();
      assert.deepEqual(await mergeNoFf(integration, moduleBranch(RUN, 'api'), 'again'), { status: 'upToDate', commit: head });
    });

    it('refuses to merge into the main worktree', async () => {
      await expectGitError(mergeNoFf(repo, moduleBranch(RUN, 'api'), 'never'), 'notEngineWorktree');
    });

    it('merges several branches in a row, one --no-ff merge each, and refuses what mergeNoFf refuses', async () => {
      const wt = (await createWorktree(repo, path.join(runDir, 'combo'), moduleBranch(RUN, 'combo'), base)).path;
      const merged = await mergeAllNoFf(wt, [
        { branch: moduleBranch(RUN, 'api'), message: 'bring in api' },
        { branch: moduleBranch(RUN, 'db'), message: 'bring in db' },
      ]);
      // With the commit each branch was at when merged: a caller checks later that they have not moved.
      const at = (b: string) => sh(repo, 'rev-parse', moduleBranch(RUN, b)).trim();
      assert.deepEqual(merged, { status: 'clean', commit: sh(wt, 'rev-parse', 'HEAD').trim(), theirs: [at('api'), at('db')] });
      assert.deepEqual(sh(wt, 'log', '--merges', '--first-parent', '--format=%s').trim().split('\n'), ['bring in db', 'bring in api']);
      assert.equal(sh(wt, 'log', '-1', '--format=%an').trim(), 'Build Pipeline');
      await expectGitError(mergeAllNoFf(wt, [{ branch: moduleBranch(RUN, 'nowhere'), message: 'x' }]), 'unknown');
      write(wt, 'README.md', 'dirty\n');
      await expectGitError(mergeAllNoFf(wt, [{ branch: moduleBranch(RUN, 'api'), message: 'x' }]), 'dirtyTree');
      sh(wt, 'checkout', '--', 'README.md');
      await expectGitError(mergeAllNoFf(repo, [{ branch: moduleBranch(RUN, 'api'), message: 'x' }]), 'notEngineWorktree');
      await expectGitError(mergeAllNoFf(wt, [{ branch: 'feature/x', message: 'x' }]), 'invalidName');
    });

    it('stops at the first conflicting branch and leaves that merge in progress for the caller', async () => {
      const sides = [];
      for (const side of ['left', 'right']) {
        const wt = (await createWorktree(repo, path.join(runDir, side), moduleBranch(RUN, side), base)).path;
        write(wt, 'src/shared/index.ts', `export const side = '${side}';\n`);
        assert.ok(await commitAll(wt, `${side}: shared index`, BUILDER, ['src/shared/index.ts']));
        sides.push(moduleBranch(RUN, side));
      }
      const wt = (await createWorktree(repo, path.join(runDir, 'both'), moduleBranch(RUN, 'both'), base)).path;
      const merged = await mergeAllNoFf(wt, sides.map((branch) => ({ branch, message: `bring in ${branch}` })));
      assert.equal(merged.status, 'conflict');
      assert.equal(merged.status === 'conflict' && merged.branch, moduleBranch(RUN, 'right'));
      assert.deepEqual(merged.status === 'conflict' && merged.files.map((f) => f.path), ['src/shared/index.ts']);
      await abortMerge(wt);
      assert.equal(sh(wt, 'status', '--porcelain').trim(), '');
      assert.deepEqual(sh(wt, 'log', '--merges', '--format=%s').trim().split('\n'), [`bring in ${moduleBranch(RUN, 'left')}`]);
    });
  });

  describe('conflicts', () => {
    async function twoModules(a: string, b: string, edit: (wt: string, side: 'a' | 'b') => void): Promise<void> {
      const start = sh(integration, 'rev-parse', 'HEAD').trim();
      for (const [name, side] of [
        [a, 'a'],
        [b, 'b'],
      ] as const) {
        const wt = (await createWorktree(repo, path.join(runDir, name), moduleBranch(RUN, name), start)).path;
        edit(wt, side);
        assert.ok(await commitAll(wt, `${name}: change`, BUILDER));
      }
      assert.equal((await mergeNoFf(integration, moduleBranch(RUN, a), `Merge module ${a}`)).status, 'clean');
    }

    it('reports a real conflict with ours/base/theirs hunks, and aborting leaves the worktree clean', async () => {
      await twoModules('ui', 'cfg', (wt, side) => {
        write(wt, 'src/shared/config.ts', `export const name = "demo";\nexport const port = ${side === 'a' ? 3000 : 4000};\nexport const debug = false;\n`);
      });
      const before = sh(integration, 'rev-parse', 'HEAD').trim();
      const result = await mergeNoFf(integration, moduleBranch(RUN, 'cfg'), 'Merge module cfg');
      assert.equal(result.status, 'conflict');
      assert.deepEqual(result.status === 'conflict' ? result.files : [], [
        {
          path: 'src/shared/config.ts',
          hunks: [
            {
              startLine: 2,
              ours: 'export const port = 3000;\n',
              base: 'export const port = 8080;\n',
              theirs: 'export const port = 4000;\n',
            },
          ],
        },
      ]);
      const attempt = await resolveTrivialConflicts(integration, result.status === 'conflict' ? result.files : []);
      assert.equal(attempt.status, 'nonTrivial');
      assert.match(read(integration, 'src/shared/config.ts'), /<<<<<<< /, 'nothing is written when a hunk is not trivial');
      await abortMerge(integration);
      assert.equal(fs.existsSync(path.join(sh(integration, 'rev-parse', '--git-dir').trim(), 'MERGE_HEAD')), false);
      assert.equal(sh(integration, 'status', '--porcelain').trim(), '');
      assert.equal(sh(integration, 'rev-parse', 'HEAD').trim(), before);
    });

    it('auto-resolves an import-order conflict and commits the merge', async () => {
      await twoModules('alpha', 'beta', (wt, side) => {
        const extra = side === 'a' ? "import { alpha } from '../alpha';\n" : "import { beta } from '../beta';\n";
        write(wt, 'src/shared/index.ts', `import { name } from './config';\n${extra}\nexport { name };\n`);
      });
      const before = sh(integration, 'rev-parse', 'HEAD').trim();
      const result = await mergeNoFf(integration, moduleBranch(RUN, 'beta'), 'Merge module beta');
      assert.equal(result.status, 'conflict');
      const resolution = await resolveTrivialConflicts(integration, result.status === 'conflict' ? result.files : []);
      assert.deepEqual(resolution, {
        status: 'resolved',
        files: [{ path: 'src/shared/index.ts', hunks: [{ startLine: 2, rule: 'import-order' }] }],
      });
      const commit = await commitMerge(integration);
      assert.equal(
        read(integration, 'src/shared/index.ts'),
        "import { name } from './config';\nimport { alpha } from '../alpha';\nimport { beta } from '../beta';\n\nexport { name };\n",
      );
      assert.deepEqual(sh(integration, 'log', '-1', '--format=%P', commit).trim().split(' '), [before, sh(repo, 'rev-parse', moduleBranch(RUN, 'beta')).trim()]);
      assert.equal(sh(integration, 'status', '--porcelain').trim(), '');
    });
  });

  describe('priority', () => {
    // The niceness git itself runs at, read by a shell git starts (an alias) from git's /proc entry
    // after the engine had time to set it. (The shell's own could be the one it inherited: under load
    // git may start it before the engine lowers git's priority.)
    const niceness = async (options: { background?: boolean }) =>
      (await runGit(repo, ['-c', 'alias.niceness=!sleep 0.3; cut -d" " -f19 /proc/$PPID/stat', 'niceness'], options)).stdout.trim();

    it('runs git at a lower CPU priority for work done ahead, at the usual one otherwise', async function () {
      if (process.platform !== 'linux') this.skip();
      // git inherits this process's niceness; the lower priority is nice 10 (never a higher priority).
      const own = os.getPriority();
      assert.equal(await niceness({}), String(own));
      assert.equal(await niceness({ background: true }), String(Math.max(own, 10)));
    });
  });

  describe('worktree creation failures', () => {
    /**
     * Every checkout of README.md fails while `during` runs: a required smudge filter that fails,
     * set in the repository's config and info/attributes (shared by every worktree).
     */
    async function withFailingCheckout(during: () => Promise<unknown>): Promise<void> {
      const attributes = path.join(repo, '.git', 'info', 'attributes');
      fs.mkdirSync(path.dirname(attributes), { recursive: true });
      fs.writeFileSync(attributes, 'README.md filter=broken\n');
      sh(repo, 'config', 'filter.broken.smudge', 'false');
      sh(repo, 'config', 'filter.broken.required', 'true');
      try {
        await during();
      } finally {
        fs.rmSync(attributes);
        sh(repo, 'config', '--remove-section', 'filter.broken');
      }
    }

    it('leaves no branch behind when the path already exists as a file, and keeps the file', async () => {
      const blocker = path.join(runDir, 'blocker');
      fs.writeFileSync(blocker, 'not yours\n');
      const branch = moduleBranch(RUN, 'blocked');
      await expectGitError(createWorktree(repo, blocker, branch, 'main'), 'worktreeExists');
      assert.equal(await branchExists(repo, branch), false);
      assert.equal(fs.readFileSync(blocker, 'utf8'), 'not yours\n');
    });

    it('undoes branch, directory and registration when git fails after creating them (a failing checkout)', async () => {
      const target = path.join(runDir, 'nested', 'unfilled');
      const branch = moduleBranch(RUN, 'unfilled');
      await withFailingCheckout(() => expectGitError(createWorktree(repo, target, branch, 'main'), 'unknown'));
      assert.equal(await branchExists(repo, branch), false);
      assert.equal(fs.existsSync(path.join(runDir, 'nested')), false);
      assert.ok(!(await listWorktrees(repo)).some((w) => w.branch === branch));
    });

    it('leaves nothing of a throwaway tree whose checkout fails, and checks out several side by side', async () => {
      const failing = path.join(runDir, 'trees', 'failing');
      await withFailingCheckout(() => expectGitError(createThrowawayTree(repo, failing, 'main'), 'unknown'));
      assert.equal(fs.existsSync(failing), false);
      assert.ok(!(await listWorktrees(repo)).some((w) => w.path === failing));
      const head = sh(repo, 'rev-parse', 'main').trim();
      const trees = await Promise.all(['t1', 't2', 't3', 't4'].map((n) => createThrowawayTree(repo, path.join(runDir, 'trees', n), 'main')));
      for (const tree of trees) {
        assert.equal(sh(tree, 'rev-parse', 'HEAD').trim(), head);
        assert.equal(sh(tree, 'status', '--porcelain').trim(), '');
        assert.equal((await listWorktrees(repo)).find((w) => w.path === tree)?.branch, null, 'detached');
      }
      await Promise.all(trees.map((t) => removeThrowawayTree(repo, t)));
      assert.equal((await listWorktrees(repo)).filter((w) => w.path.includes(`${path.sep}trees${path.sep}`)).length, 0);
    });

    it('re-attaches an existing branch to a new worktree; a failed checkout removes that worktree and keeps the branch, and a failed add removes nothing', async () => {
      const branch = moduleBranch(RUN, 'again');
      const made = await createWorktree(repo, path.join(runDir, 'again-1'), branch, 'main');
      write(made.path, 'src/again.js', 'kept\n');
      sh(made.path, 'add', '.');
      sh(made.path, 'commit', '-qm', 'work');
      const tip = sh(repo, 'rev-parse', branch).trim();
      await removeWorktree(repo, made.path);
      const target = path.join(runDir, 'again-2');
      await withFailingCheckout(() => assert.rejects(addWorktreeForBranch(repo, target, branch), GitError));
      assert.ok(!(await listWorktrees(repo)).some((w) => w.branch === branch), 'the worktree this call made is gone');
      assert.equal(sh(repo, 'rev-parse', branch).trim(), tip, 'the branch and its commits stay');
      // A path that is already there is not this call's: the failed add leaves it as it was.
      write(target, 'mine.txt', 'not git\'s\n');
      await assert.rejects(addWorktreeForBranch(repo, target, branch), GitError);
      assert.equal(fs.readFileSync(path.join(target, 'mine.txt'), 'utf8'), 'not git\'s\n');
      fs.rmSync(target, { recursive: true });
      await addWorktreeForBranch(repo, target, branch);
      assert.equal(fs.readFileSync(path.join(target, 'src/again.js'), 'utf8'), 'kept\n');
      assert.equal(sh(target, 'status', '--porcelain').trim(), '');
      await removeWorktree(repo, target);
    });

    it("refuses an existing branch with 'branchExists' and leaves it alone", async () => {
      const branch = moduleBranch(RUN, 'api');
      const tip = sh(repo, 'rev-parse', branch).trim();
      await expectGitError(createWorktree(repo, path.join(runDir, 'api-again'), branch, 'main'), 'branchExists');
      assert.equal(sh(repo, 'rev-parse', branch).trim(), tip);
      assert.equal(fs.existsSync(path.join(runDir, 'api-again')), false);
    });

    it('refuses branches outside orchestration/', async () => {
      await expectGitError(createWorktree(repo, path.join(runDir, 'x'), 'main2', 'main'), 'invalidName');
      await expectGitError(createWorktree(repo, path.join(runDir, 'x'), 'orchestration/a..b', 'main'), 'invalidName');
    });
  });

  describe('hooks', () => {
    it("runs no hook in an engine worktree: not the repository's, not one a relative core.hooksPath finds in the worktree", async () => {
      const record = path.join(runDir, 'hooks-ran.txt');
      const hookBody = `#!/bin/sh\necho "$0" >> '${record}'\n`;
      const repoHooks = ['post-checkout', 'pre-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit', 'pre-merge-commit', 'post-merge'];
      for (const h of repoHooks) fs.writeFileSync(path.join(repo, '.git', 'hooks', h), hookBody, { mode: 0o755 });
      try {
        const wt = await createWorktree(repo, path.join(runDir, 'hooked'), moduleBranch(RUN, 'hooked'), 'main');
        write(wt.path, 'src/hooked.js', 'x\n');
        const owned = await commitOwnedChanges(wt.path, { branch: wt.branch, engineHead: wt.head, allowed: () => true, message: 'build(hooked)', author: { name: 'b', email: 'b@x.invalid' } });
        assert.ok(owned.commit);
        // A sibling branch from main (one merge base) that deletes a file: so `git merge` itself makes
        // this merge (with one base and no deletion it would be built by path, with no hook to run).
        const other = await createWorktree(repo, path.join(runDir, 'other'), moduleBranch(RUN, 'other'), 'main');
        write(other.path, 'src/other.js', 'y\n');
        fs.rmSync(path.join(other.path, 'README.md'));
        await commitAll(other.path, 'build(other)', { name: 'b', email: 'b@x.invalid' });
        assert.equal((await mergeNoFf(wt.path, moduleBranch(RUN, 'other'), 'bring in other')).status, 'clean');
        assert.equal(fs.existsSync(record), false, `hooks ran: ${fs.existsSync(record) ? fs.readFileSync(record, 'utf8') : ''}`);

        // husky's layout: a relative hooks path, the hook written in the worktree as an agent could.
        sh(repo, 'config', 'core.hooksPath', '.husky/_');
        write(wt.path, '.husky/_/pre-commit', hookBody);
        fs.chmodSync(path.join(wt.path, '.husky/_/pre-commit'), 0o755);
        write(wt.path, 'src/hooked.js', 'x2\n');
        const head = sh(wt.path, 'rev-parse', 'HEAD').trim();
        const again = await commitOwnedChanges(wt.path, { branch: wt.branch, engineHead: head, allowed: (p) => p.startsWith('src/'), message: 'build(hooked) 2', author: { name: 'b', email: 'b@x.invalid' } });
        assert.ok(again.commit, 'committed without running the worktree\'s hook');
        assert.equal(fs.existsSync(record), false, `hooks ran: ${fs.existsSync(record) ? fs.readFileSync(record, 'utf8') : ''}`);
        assert.ok(!fs.existsSync(path.join(wt.path, '.husky/_/pre-commit')), 'left out of the commit, and cleaned away after it');
        // The same git, asked without the engine's settings, runs such a hook: the test can fail.
        write(wt.path, '.husky/_/pre-commit', hookBody);
        fs.chmodSync(path.join(wt.path, '.husky/_/pre-commit'), 0o755);
        write(wt.path, 'src/hooked.js', 'x3\n');
        sh(wt.path, 'add', 'src/hooked.js');
        sh(wt.path, 'commit', '-qm', 'by hand');
        assert.match(fs.readFileSync(record, 'utf8'), /\.husky\/_\/pre-commit/);
      } finally {
        for (const h of repoHooks) fs.rmSync(path.join(repo, '.git', 'hooks', h), { force: true });
        sh(repo, 'config', '--unset', 'core.hooksPath');
      }
    });
  });

  describe('fsmonitor', () => {
    it('runs no fsmonitor hook for the engine, not one a relative core.fsmonitor finds in the worktree', async () => {
      const record = path.join(runDir, 'fsmonitor-ran.txt');
      const wt = await createWorktree(repo, path.join(runDir, 'monitored'), moduleBranch(RUN, 'monitored'), 'main');
      // Written in the worktree, as an agent could; the repository's config names it relative.
      write(wt.path, 'fsm.sh', `#!/bin/sh\necho ran >> '${record}'\nexit 1\n`);
      fs.chmodSync(path.join(wt.path, 'fsm.sh'), 0o755);
      sh(repo, 'config', 'core.fsmonitor', './fsm.sh');
      try {
        write(wt.path, 'src/m.js', 'x\n');
        await commitAll(wt.path, 'build(monitored)', { name: 'b', email: 'b@x.invalid' });
        assert.equal(fs.existsSync(record), false, 'the engine ran the worktree\'s fsmonitor');
        // The same git without the engine's settings runs it: the test can fail.
        sh(wt.path, 'status', '--porcelain');
        assert.ok(fs.existsSync(record));
      } finally {
        sh(repo, 'config', '--unset', 'core.fsmonitor');
      }
    });
  });

  describe('Git LFS', () => {
    it('engine checkouts tell an LFS smudge filter to skip its download (a .lfsconfig in the worktree names the server)', async () => {
      // A stand-in for git-lfs as the user's config installs it: the filter records the variable real
      // git-lfs obeys (GIT_LFS_SKIP_SMUDGE: leave the pointer, fetch nothing) and passes content through.
      const record = path.join(runDir, 'lfs-smudge.txt');
      sh(repo, 'config', 'filter.lfs.smudge', `sh -c 'echo "\${GIT_LFS_SKIP_SMUDGE:-unset}" >> "${record}"; cat'`);
      sh(repo, 'config', 'filter.lfs.clean', 'cat');
      try {
        const made = await createWorktree(repo, path.join(runDir, 'lfs-src'), moduleBranch(RUN, 'lfs-src'), 'main');
        write(made.path, '.gitattributes', '*.bin filter=lfs\n');
        write(made.path, 'asset.bin', 'version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n');
        await commitAll(made.path, 'asset', { name: 'b', email: 'b@x.invalid' });
        fs.rmSync(record, { force: true });
        // A checkout of that commit elsewhere: the smudge filter runs, told to skip.
        await createWorktree(repo, path.join(runDir, 'lfs-dst'), moduleBranch(RUN, 'lfs-dst'), moduleBranch(RUN, 'lfs-src'));
        assert.deepEqual(fs.readFileSync(record, 'utf8').trim().split('\n'), ['1']);
        // The same git without the engine's environment would download: the test can fail.
        fs.rmSync(record);
        sh(repo, 'worktree', 'add', '-q', '--detach', path.join(runDir, 'lfs-plain'), moduleBranch(RUN, 'lfs-src'));
        assert.deepEqual(fs.readFileSync(record, 'utf8').trim().split('\n'), ['unset']);
      } finally {
        sh(repo, 'config', '--unset', 'filter.lfs.smudge');
        sh(repo, 'config', '--unset', 'filter.lfs.clean');
      }
    });
  });

  describe('removing worktrees', () => {
    it("keeps a dirty worktree unless forced, then removes it and keeps the branch", async () => {
      const branch = moduleBranch(RUN, 'scratch');
      const wt = (await createWorktree(repo, path.join(runDir, 'scratch'), branch, 'main')).path;
      write(wt, 'wip.txt', 'unsaved\n');
      await expectGitError(removeWorktree(repo, wt), 'dirtyTree');
      assert.ok(fs.existsSync(wt));
      await removeWorktree(repo, wt, { force: true });
      assert.equal(fs.existsSync(wt), false);
      assert.ok(!(await listWorktrees(repo)).some((w) => w.path === wt));
      assert.equal(await branchExists(repo, branch), true);
      await deleteEngineBranch(repo, branch);
      assert.equal(await branchExists(repo, branch), false);
    });

    it('creates and removes several worktrees in parallel (builders start together)', async () => {
      const names = ['p1', 'p2', 'p3', 'p4'];
      const created = await Promise.all(names.map((n) => createWorktree(repo, path.join(runDir, n), moduleBranch(RUN, n), 'main')));
      assert.deepEqual(created.map((c) => c.branch), names.map((n) => moduleBranch(RUN, n)));
      await Promise.all(created.map((c) => removeWorktree(repo, c.path)));
      const left = (await listWorktrees(repo)).map((w) => w.branch);
      assert.ok(names.every((n) => !left.includes(moduleBranch(RUN, n))));
    });

    it('adds worktrees side by side while others are removed, and every one ends up registered and checked out', async () => {
      const old = await Promise.all(['r1', 'r2', 'r3'].map((n) => createWorktree(repo, path.join(runDir, n), moduleBranch(RUN, n), 'main')));
      const names = ['s1', 's2', 's3', 's4', 's5', 's6'];
      const [created] = await Promise.all([
        Promise.all(names.map((n) => createWorktree(repo, path.join(runDir, n), moduleBranch(RUN, n), 'main'))),
        Promise.all(old.map((o) => removeWorktree(repo, o.path, { force: true }))),
      ]);
      const listed = await listWorktrees(repo);
      for (const c of created) {
        const entry = listed.find((w) => w.branch === c.branch);
        assert.ok(entry, `${c.branch} is registered`);
        assert.equal(sh(c.path, 'rev-parse', 'HEAD').trim(), c.head);
        assert.equal(sh(c.path, 'status', '--porcelain').trim(), '', `${c.path} is a clean checkout`);
      }
      assert.ok(old.every((o) => !listed.some((w) => w.path === o.path) && !fs.existsSync(o.path)));
      await Promise.all(created.map((c) => removeWorktree(repo, c.path)));
    });

    it('lets exactly one of two calls for the same branch create it, and the loser leaves the winner alone', async () => {
      const branch = moduleBranch(RUN, 'twice');
      const results = await Promise.allSettled([
        createWorktree(repo, path.join(runDir, 'twice-a'), branch, 'main'),
        createWorktree(repo, path.join(runDir, 'twice-b'), branch, 'main'),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.ok(GitError.is((lost[0] as PromiseRejectedResult).reason, 'branchExists'), String((lost[0] as PromiseRejectedResult).reason));
      const winner = (won[0] as PromiseFulfilledResult<{ path: string }>).value.path;
      assert.equal(await branchExists(repo, branch), true, "the loser's clean-up did not delete the winner's branch");
      assert.ok((await listWorktrees(repo)).some((w) => w.path === winner && w.branch === branch));
      assert.equal(fs.existsSync(path.join(runDir, winner.endsWith('twice-a') ? 'twice-b' : 'twice-a')), false);
      await removeWorktree(repo, winner);
    });

    it('never removes the main worktree or deletes a non-engine branch', async () => {
      await expectGitError(removeWorktree(repo, repo, { force: true }), 'notEngineWorktree');
      await expectGitError(deleteEngineBranch(repo, 'main'), 'invalidName');
      assert.equal(await branchExists(repo, 'main'), true);
    });
  });

  describe("the user's tree", () => {
    it('notices when the user tree does change (the check can fail)', async () => {
      const other = initRepo();
      write(other, 'README.md', 'dirty\n');
      const before = await snapshotUserTree(other);
      write(other, 'README.md', 'dirty, edited again\n');
      await expectGitError(Promise.resolve().then(async () => assertUserTreeUnchanged(before, await snapshotUserTree(other))), 'userTreeChanged');
      sh(other, 'add', 'README.md');
      const staged = await snapshotUserTree(other);
      write(other, 'README.md', 'dirty, edited again\n');
      sh(other, 'reset', '--quiet');
      assert.notEqual((await snapshotUserTree(other)).indexTreeHash, staged.indexTreeHash);
    });

    it('is byte-identical after everything above', async () => {
      assertUserTreeUnchanged(userSnapshot, await snapshotUserTree(repo));
      assert.equal(read(repo, 'README.md'), dirtyReadme);
      assert.equal(read(repo, 'notes.txt'), untrackedNotes);
      assert.equal(sh(repo, 'diff', '--cached', '--name-only').trim(), 'src/shared/config.ts');
      assert.equal(sh(repo, 'rev-parse', '--abbrev-ref', 'HEAD').trim(), 'main');
    });
  });
});
