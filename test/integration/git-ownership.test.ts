/**
 * The engine owns commits (git/ownership.ts) against real repositories: an agent's own commits are
 * undone with its files kept, a switched branch is put back, only allowed paths are committed,
 * generated folders never are even without a .gitignore, and everything else is discarded and listed.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { integrationBranch, moduleBranch } from '../../src/core/git/branches';
import { commitAll, resetHard } from '../../src/core/git/commits';
import { mergeNoFf } from '../../src/core/git/merge';
import { commitOwnedChanges, describeOwnership, ignoredEntries, isGeneratedPath } from '../../src/core/git/ownership';
import { createWorktree } from '../../src/core/git/worktrees';
import { LENDING_MARK, LENT_MARK, provideDependencies } from '../../src/core/stack/dependencyStore';
import { ensureGitignore } from '../../src/core/stack/gitignore';
import { manifestDependencyProblems } from '../../src/core/stack/manifestDependencies';
import { ModulesManifestSchema } from '../../src/core/contracts/schemas';
import { scaffoldMayCommit } from '../../src/core/stages/scaffold';

const RUN = '20250101-120000-deadbeef';
const AGENT = { name: 'builder-core', email: 'builder-core@agents.build-pipeline.invalid' };

function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Agent', GIT_AUTHOR_EMAIL: 'a@x.invalid', GIT_COMMITTER_NAME: 'Agent', GIT_COMMITTER_EMAIL: 'a@x.invalid' },
  }).trim();
}

function write(root: string, rel: string, content: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
}

describe('engine-owned commits (real git)', () => {
  let base: string;
  let repo: string;
  let wt: string;
  let engineHead: string;
  const branch = moduleBranch(RUN, 'core');

  beforeEach(async () => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-own-')));
    repo = path.join(base, 'repo');
    fs.mkdirSync(repo);
    sh(repo, 'init', '-q', '-b', 'main');
    write(repo, 'package.json', '{"name":"x","version":"1.0.0"}\n');
    write(repo, 'src/core/index.js', 'module.exports = 1;\n');
    write(repo, '.orchestration/contracts/modules.json', '{}\n');
    sh(repo, 'add', '.');
    sh(repo, 'commit', '-q', '-m', 'base');
    wt = path.join(base, 'wt');
    engineHead = (await createWorktree(repo, wt, branch, 'HEAD')).head;
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const allowed = (p: string) => p.startsWith('src/core/') || p === '.orchestration/brains/core-builder.md';

  it('the scaffold cannot replace .orchestration (and with it every contract) by a symlink or a file', async () => {
    for (const replacement of ['symlink', 'file'] as const) {
      fs.rmSync(path.join(wt, '.orchestration'), { recursive: true, force: true });
      if (replacement === 'symlink') {
        write(wt, 'fake/contracts/modules.json', '{"forged":true}\n');
        fs.symlinkSync('fake', path.join(wt, '.orchestration'));
      } else {
        write(wt, '.orchestration', 'not a folder\n');
      }
      write(wt, 'src/core/index.js', `module.exports = '${replacement}';\n`);
      const head = sh(wt, 'rev-parse', 'HEAD');
      await commitOwnedChanges(wt, { branch, engineHead: head, allowed: scaffoldMayCommit, message: 'scaffold', author: AGENT });
      assert.equal(sh(wt, 'show', 'HEAD:.orchestration/contracts/modules.json'), '{}', replacement);
      assert.equal(sh(wt, 'cat-file', '-t', 'HEAD:.orchestration'), 'tree', replacement);
      assert.equal(sh(wt, 'show', 'HEAD:src/core/index.js'), `module.exports = '${replacement}';`);
      sh(wt, 'checkout', '-q', '--', '.');
      fs.rmSync(path.join(wt, '.orchestration'), { recursive: true, force: true });
      sh(wt, 'checkout', '-q', 'HEAD', '--', '.orchestration');
    }
  });

  it('undoes the agent\'s own commits, keeps its files, commits only its paths and discards the rest', async () => {
    write(wt, 'src/core/index.js', 'module.exports = 2;\n');
    write(wt, 'src/registry.js', 'stray\n');
    write(wt, 'package.json', '{"name":"x","version":"1.0.0","dependencies":{"pad":"1"}}\n');
    write(wt, '.orchestration/contracts/modules.json', '{"hacked":true}\n');
    sh(wt, 'add', '-A');
    sh(wt, 'commit', '-q', '-m', 'agent: everything');
    write(wt, 'src/core/extra.js', 'uncommitted but mine\n');
    write(wt, 'node_modules/pad/index.js', 'installed\n');
    fs.rmSync(path.join(wt, 'src/core/index.js'));
    write(wt, 'src/core/index.js', 'module.exports = 3;\n');

    const r = await commitOwnedChanges(wt, { branch, engineHead, allowed, message: 'build(core): implement', author: AGENT });
    assert.equal(r.undoneCommits, 1);
    assert.ok(r.commit);
    assert.deepEqual(r.committed, ['src/core/extra.js', 'src/core/index.js']);
    assert.deepEqual(r.leftOut.sort(), ['.orchestration/contracts/modules.json', 'node_modules/pad/index.js', 'package.json', 'src/registry.js']);
    assert.equal(sh(wt, 'log', '--format=%an %s', `${engineHead}..HEAD`), 'builder-core build(core): implement');
    assert.equal(sh(wt, 'status', '--porcelain'), '', 'the worktree equals the branch again');
    assert.equal(fs.readFileSync(path.join(wt, 'package.json'), 'utf8'), '{"name":"x","version":"1.0.0"}\n');
    assert.ok(!fs.existsSync(path.join(wt, 'src/registry.js')));
    assert.equal(fs.readFileSync(path.join(wt, 'src/core/index.js'), 'utf8'), 'module.exports = 3;\n');
    assert.match(describeOwnership('builder-core-0', r), /1 commit\(s\) of its own.*left out of the commit and discarded.*src\/registry\.js/);
  });

  it('puts HEAD back on the module branch when the agent switched to another one, and drops nothing of its work', async () => {
    sh(wt, 'checkout', '-q', '-b', 'agent/side');
    write(wt, 'src/core/index.js', 'module.exports = 4;\n');
    sh(wt, 'commit', '-qam', 'agent: on a side branch');
    const r = await commitOwnedChanges(wt, { branch, engineHead, allowed, message: 'build(core): implement', author: AGENT });
    assert.equal(r.switchedFrom, 'agent/side');
    assert.equal(sh(wt, 'rev-parse', '--abbrev-ref', 'HEAD'), branch);
    assert.deepEqual(r.committed, ['src/core/index.js']);
    assert.equal(sh(wt, 'show', `${branch}:src/core/index.js`), 'module.exports = 4;');
  });

  it('an agent that made its own branch a symbolic ref to the integration branch moves neither with the engine\'s commit, reset or merge', async () => {
    const integration = integrationBranch(RUN);
    sh(repo, 'branch', integration, 'main');
    const integrationTip = sh(repo, 'rev-parse', integration);
    const chain = () => fs.writeFileSync(path.join(repo, '.git/refs/heads', branch), `ref: refs/heads/${integration}\n`);
    // What a shell can do with its own ref file: the engine's commit must land on the module branch.
    write(wt, 'src/core/index.js', 'module.exports = 5;\n');
    chain();
    const r = await commitOwnedChanges(wt, { branch, engineHead, allowed, message: 'build(core): implement', author: AGENT });
    assert.equal(sh(repo, 'rev-parse', integration), integrationTip, 'the integration branch did not move');
    assert.equal(fs.readFileSync(path.join(repo, '.git/refs/heads', branch), 'utf8').trim(), r.commit, 'the module branch is a plain ref at the engine\'s commit');
    assert.equal(sh(wt, 'show', `${branch}:src/core/index.js`), 'module.exports = 5;');
    assert.equal(r.switchedFrom, undefined, 'HEAD itself never left the module branch');
    // A reset (QC's discard, a fix cycle) puts the module branch where it was asked to, as a plain ref.
    chain();
    await resetHard(wt, engineHead);
    assert.equal(sh(repo, 'rev-parse', integration), integrationTip);
    assert.equal(sh(repo, 'rev-parse', branch), engineHead);
    assert.equal(fs.readFileSync(path.join(wt, 'src/core/index.js'), 'utf8'), 'module.exports = 1;\n');
    // Anything else the engine writes there is refused with the reason, before git runs.
    chain();
    await assert.rejects(mergeNoFf(wt, 'main', 'merge main'), /core" was made a symbolic ref to .*integration/);
    await assert.rejects(commitAll(wt, 'm', AGENT), /was made a symbolic ref/);
    assert.equal(sh(repo, 'rev-parse', integration), integrationTip);
    // Pointed at a branch that does not exist yet (git's quick answer fails then): refused all the same,
    // and no such branch is made.
    fs.writeFileSync(path.join(repo, '.git/refs/heads', branch), `ref: refs/heads/${integration}-new\n`);
    await assert.rejects(commitAll(wt, 'm', AGENT), /was made a symbolic ref to .*integration-new/);
    assert.equal(sh(repo, 'branch', '--list', `${integration}-new`), '');
  });

  it("git's merge or cherry-pick state an agent left in the admin folder does not decide the engine's commit (parents, author)", async () => {
    // Another branch's tip, with a file of its own that a forged merge would drop from the result.
    sh(repo, 'checkout', '-q', '-b', 'other');
    write(repo, 'other.txt', 'theirs\n');
    sh(repo, 'add', 'other.txt');
    sh(repo, 'commit', '-q', '-m', 'other');
    const other = sh(repo, 'rev-parse', 'HEAD');
    sh(repo, 'checkout', '-q', 'main');
    const gitDir = sh(wt, 'rev-parse', '--path-format=absolute', '--git-dir');
    for (const state of ['MERGE_HEAD', 'CHERRY_PICK_HEAD']) {
      const before = sh(wt, 'rev-parse', 'HEAD');
      fs.writeFileSync(path.join(gitDir, state), `${other}\n`);
      write(wt, 'src/core/index.js', `module.exports = '${state}';\n`);
      const commit = await commitAll(wt, `team task (${state})`, AGENT);
      assert.ok(commit);
      assert.equal(sh(wt, 'rev-list', '--parents', '-n', '1', commit!), `${commit} ${before}`, `${state}: one parent, the worktree's own head`);
      assert.equal(sh(wt, 'log', '-1', '--format=%an', commit!), AGENT.name, `${state}: the engine's author`);
      assert.ok(!fs.existsSync(path.join(gitDir, state)));
    }
  });

  it('without a commit of the agent: commits a deletion in its folder, unstages and discards what it staged outside', async () => {
    fs.rmSync(path.join(wt, 'src/core/index.js'));
    write(wt, 'package.json', '{"name":"x","version":"2.0.0"}\n');
    sh(wt, 'add', '-A');
    const r = await commitOwnedChanges(wt, { branch, engineHead, allowed, message: 'build(core): remove index', author: AGENT });
    assert.equal(r.undoneCommits, 0);
    assert.deepEqual(r.committed, ['src/core/index.js']);
    assert.deepEqual(r.leftOut, ['package.json']);
    assert.equal(r.commit, sh(wt, 'rev-parse', branch), 'the commit named is the branch head');
    assert.equal(sh(wt, 'show', '--name-status', '--format=', 'HEAD'), 'D\tsrc/core/index.js');
    assert.equal(fs.readFileSync(path.join(wt, 'package.json'), 'utf8'), '{"name":"x","version":"1.0.0"}\n');
    assert.equal(sh(wt, 'status', '--porcelain'), '');
  });

  it('commits paths with spaces and non-ASCII names literally, and names the commit it made', async () => {
    write(wt, 'src/core/a b/ünïcode [1].js', 'x\n');
    write(wt, 'src/core/*.js', 'a literal star\n');
    const r = await commitOwnedChanges(wt, { branch, engineHead, allowed, message: 'build(core): odd names', author: AGENT });
    assert.deepEqual(r.committed, ['src/core/*.js', 'src/core/a b/ünïcode [1].js']);
    assert.equal(r.commit, sh(wt, 'rev-parse', 'HEAD'));
    assert.equal(sh(wt, '-c', 'core.quotePath=false', 'show', '--name-only', '--format=', 'HEAD'), 'src/core/*.js\nsrc/core/a b/ünïcode [1].js');
    const again = await commitOwnedChanges(wt, { branch, engineHead: r.head, allowed, message: 'm', author: AGENT });
    assert.equal(again.commit, null, 'nothing changed since: nothing to commit');
    assert.equal(again.head, r.head);
  });

  it('refuses the main worktree and a non-engine branch before changing anything', async () => {
    write(repo, 'src/core/index.js', 'user work\n');
    await assert.rejects(commitOwnedChanges(repo, { branch, engineHead, allowed, message: 'm', author: AGENT }), /main worktree/);
    assert.equal(fs.readFileSync(path.join(repo, 'src/core/index.js'), 'utf8'), 'user work\n');
    await assert.rejects(commitOwnedChanges(wt, { branch: 'feature/x', engineHead, allowed, message: 'm', author: AGENT }), /not an engine branch/);
  });

  it('never commits a generated folder even when it is allowed and not ignored, and reports ignored ones that appeared', async () => {
    write(wt, 'src/core/__pycache__/x.pyc', 'bytes');
    write(wt, 'src/core/node_modules/dep/index.js', 'x');
    assert.ok(isGeneratedPath('src/core/__pycache__/x.pyc'));
    const r1 = await commitOwnedChanges(wt, { branch, engineHead, allowed, message: 'm', author: AGENT });
    assert.equal(r1.commit, null);
    assert.equal(r1.leftOut.length, 2);

    ensureGitignore(wt, 'Node.js 22');
    sh(wt, 'add', '.gitignore');
    sh(wt, 'commit', '-qm', 'engine: gitignore');
    const head = sh(wt, 'rev-parse', 'HEAD');
    const before = await ignoredEntries(wt);
    write(wt, 'node_modules/pad/index.js', 'x');
    const r2 = await commitOwnedChanges(wt, { branch, engineHead: head, allowed, message: 'm', author: AGENT }, before);
    assert.deepEqual(r2.newIgnored, ['node_modules/']);
    assert.ok(fs.existsSync(path.join(wt, 'node_modules/pad/index.js')), 'ignored files are not the engine\'s to delete');
  });

  it('lists the ignored files that appeared beside a commit, and after a clean-up as the cleaned folder shows them', async () => {
    write(wt, '.gitignore', '*.log\nnode_modules/\n');
    sh(wt, 'add', '.gitignore');
    sh(wt, 'commit', '-qm', 'engine: gitignore');
    const head = sh(wt, 'rev-parse', 'HEAD');
    const before = await ignoredEntries(wt);
    // Nothing left out: the listing runs while the commit is made.
    write(wt, 'src/core/index.js', 'module.exports = 2;\n');
    write(wt, 'node_modules/pad/index.js', 'x');
    const r1 = await commitOwnedChanges(wt, { branch, engineHead: head, allowed, message: 'm', author: AGENT }, before);
    assert.deepEqual(r1.committed, ['src/core/index.js']);
    assert.deepEqual(r1.newIgnored, ['node_modules/']);
    // Left out: build/ held an untracked file and an ignored one; once the untracked one is cleaned
    // away git lists the folder itself as ignored, and that is how it is reported.
    write(wt, 'build/notes.txt', 'not the builder\'s\n');
    write(wt, 'build/out.log', 'log\n');
    const r2 = await commitOwnedChanges(wt, { branch, engineHead: r1.head, allowed, message: 'm', author: AGENT }, before);
    assert.deepEqual(r2.leftOut, ['build/notes.txt']);
    assert.ok(!fs.existsSync(path.join(wt, 'build/notes.txt')));
    const now = await ignoredEntries(wt);
    assert.ok(now.includes('build/'), `git lists the cleaned folder as ignored: ${now.join(', ')}`);
    assert.deepEqual(r2.newIgnored, now.filter((p) => !before.includes(p)), 'as git lists them after the clean-up');
    assert.ok(fs.existsSync(path.join(wt, 'build/out.log')), 'ignored files stay');
  });

  it('commits the rest when a file name is not UTF-8, and says that one was left out and why', async () => {
    write(wt, 'src/core/index.js', 'module.exports = 3;\n');
    // café.txt with a Latin-1 é: a name git cannot be given back once read as UTF-8.
    fs.writeFileSync(Buffer.concat([Buffer.from(path.join(wt, 'src/core/caf')), Buffer.from([0xe9]), Buffer.from('.txt')]), 'latin-1 name\n');
    const r = await commitOwnedChanges(wt, { branch, engineHead, allowed, message: 'build(core): odd bytes', author: AGENT });
    assert.deepEqual(r.committed, ['src/core/index.js']);
    assert.equal(r.notUtf8.length, 1);
    assert.deepEqual(r.leftOut, r.notUtf8);
    assert.equal(sh(wt, 'show', '--name-only', '--format=', 'HEAD'), 'src/core/index.js');
    assert.match(describeOwnership('builder-core-0', r), /not UTF-8/);
    assert.equal(sh(wt, 'status', '--porcelain'), '', 'the worktree equals the branch again');
  });

  it('refuses an engine commit that is not in the repository, changing nothing', async () => {
    write(wt, 'src/core/index.js', 'work\n');
    const headBefore = sh(wt, 'rev-parse', 'HEAD');
    await assert.rejects(commitOwnedChanges(wt, { branch, engineHead: 'f'.repeat(40), allowed, message: 'm', author: AGENT }), /is not a commit/);
    await assert.rejects(commitOwnedChanges(wt, { branch, engineHead: '--all', allowed, message: 'm', author: AGENT }), /is not a commit/);
    assert.equal(sh(wt, 'rev-parse', 'HEAD'), headBefore);
    assert.equal(fs.readFileSync(path.join(wt, 'src/core/index.js'), 'utf8'), 'work\n');
  });

  it('gives a module worktree the installed folders as a hard-linked tree of its own', async () => {
    const store = path.join(base, 'store');
    write(store, 'node_modules/a/index.js', 'a');
    write(store, 'node_modules/a/package.json', '{}');
    for (let i = 0; i < 40; i++) write(store, `node_modules/a/lib/deep/${i % 4}/f${i}.js`, String(i));
    fs.symlinkSync('a', path.join(store, 'node_modules', 'link-to-a'));
    const r = await provideDependencies(store, wt);
    assert.deepEqual(r.dirs, ['node_modules']);
    assert.equal(r.files, 42, 'every file of every nested folder, counted once (the folders are linked concurrently)');
    for (const rel of ['node_modules/a/index.js', 'node_modules/a/lib/deep/3/f39.js']) assert.equal(fs.statSync(path.join(wt, rel)).ino, fs.statSync(path.join(store, rel)).ino, rel);
    assert.equal(fs.readlinkSync(path.join(wt, 'node_modules/link-to-a')), 'a');
    write(wt, 'node_modules/b/index.js', 'added in the worktree');
    assert.ok(!fs.existsSync(path.join(store, 'node_modules/b')), 'an install in the worktree does not reach the store');
    assert.deepEqual((await provideDependencies(store, wt)).dirs, [], 'a worktree that has them is left alone');
    assert.ok(!fs.existsSync(path.join(wt, 'node_modules', LENDING_MARK)), 'a finished tree is not marked unfinished');
    assert.equal(fs.readFileSync(path.join(wt, 'node_modules', LENT_MARK), 'utf8'), '');
    // What a process killed while linking leaves: part of the tree, with the mark. It is made again.
    const other = path.join(base, 'half');
    write(other, `node_modules/${LENDING_MARK}`, '');
    write(other, 'node_modules/a/index.js', 'a');
    const again = await provideDependencies(store, other);
    assert.deepEqual([again.dirs, again.files], [['node_modules'], 42]);
    assert.ok(fs.existsSync(path.join(other, 'node_modules/a/lib/deep/3/f39.js')) && !fs.existsSync(path.join(other, 'node_modules', LENDING_MARK)));
    // Lent at another generation (the store was installed again): made again, the worktree's own additions gone.
    const next = await provideDependencies(store, wt, 'hardlink', 'g2');
    assert.deepEqual(next.dirs, ['node_modules']);
    assert.ok(!fs.existsSync(path.join(wt, 'node_modules/b')));
    assert.equal(fs.readFileSync(path.join(wt, 'node_modules', LENT_MARK), 'utf8'), 'g2');
    // Lent on from a lent tree (a phase's to a teammate's): its marks are its own, not linked.
    const mate = path.join(base, 'mate');
    await provideDependencies(wt, mate, 'hardlink', 'g3');
    assert.equal(fs.readFileSync(path.join(wt, 'node_modules', LENT_MARK), 'utf8'), 'g2', 'the lender keeps its generation');
    assert.equal(fs.readFileSync(path.join(mate, 'node_modules', LENT_MARK), 'utf8'), 'g3');
    // A folder without either mark is not the engine's lending: never touched.
    const own = path.join(base, 'own');
    write(own, 'node_modules/mine/index.js', 'mine');
    assert.deepEqual((await provideDependencies(store, own, 'hardlink', 'g2')).dirs, []);
    assert.ok(fs.existsSync(path.join(own, 'node_modules/mine/index.js')));
  });

  it('appends only missing .gitignore entries and checks that the manifest declares the dependencies', () => {
    write(wt, '.gitignore', 'node_modules\n*.log\n');
    const added = ensureGitignore(wt, 'Python 3.11');
    assert.ok(!added.includes('node_modules/'));
    assert.ok(added.includes('.venv/') && added.includes('__pycache__/'));
    assert.deepEqual(ensureGitignore(wt, 'Python 3.11'), []);
    const manifest = ModulesManifestSchema.parse({
      project: 'p',
      toolchain: { runtime: 'node', install: 'npm ci', test: 'x {module_dir}', integration_test: 'npm test', dev_dependencies: ['jest@^29'] },
      modules: [{ name: 'core', description: 'd', interface: 'interfaces/core.interface.md', dependencies: ['@scope/pkg@1', 'lodash'] }],
      build_order: ['core'],
      assembly_order: ['core'],
    });
    write(wt, 'package.json', JSON.stringify({ dependencies: { '@scope/pkg': '1' }, devDependencies: { jest: '^29' } }));
    assert.deepEqual(manifestDependencyProblems(wt, manifest), ['package.json does not declare lodash (modules.json asks for lodash)']);
  });
});
