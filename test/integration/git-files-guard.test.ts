// No agent's write or edit tool may change git's own files (src/core/agents/tools.ts, withoutGitFiles):
// a worktree's `.git` file names the git directory the engine's unsandboxed git commands use. Agents
// without a path policy of their own (a team's builders, the scaffold) were able to rewrite it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileTools, touchesGitFiles } from '../../src/core/agents/tools';
import { commitAll, moduleBranch, createWorktree, uncommittedPaths } from '../../src/core/git';
import { GitError } from '../../src/core/git/errors';
import { agentShellEnv } from '../../src/core/agents/env';

const quiet = { call: () => {}, result: () => {} };

describe("agents' write and edit tools never change git's own files", function () {
  this.timeout(60_000);
  let dir: string;
  let wt: string;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-gitguard-')));
    const repo = path.join(dir, 'repo');
    const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=u', '-c', 'user.email=u@x.invalid', ...args], { cwd, encoding: 'utf8' });
    fs.mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(repo, 'a.txt'), 'a\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'first');
    wt = path.join(dir, 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'feature', wt);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses .git (the worktree pointer), paths under any .git, and a symlink to .git; other files are written', async () => {
    // No `writable` policy: the case of a team builder, which may change any file of its worktree.
    const tools = fileTools(['write', 'edit'], { workdir: wt, readOnlyRoots: [], env: agentShellEnv('test'), bashTimeoutMs: 10_000 }, quiet);
    const tool = (name: string) => tools.find((t) => t.name === name)!;
    const pointer = fs.readFileSync(path.join(wt, '.git'), 'utf8');
    fs.symlinkSync('.git', path.join(wt, 'innocent'));
    const attempts: [string, Record<string, string>][] = [
      ['write', { file_path: '.git', content: 'gitdir: /tmp/evil\n' }],
      ['write', { file_path: path.join(wt, '.git'), content: 'gitdir: /tmp/evil\n' }],
      ['edit', { file_path: '.git', old_string: 'gitdir', new_string: 'gitdir: /tmp/evil #' }],
      ['write', { file_path: 'innocent', content: 'gitdir: /tmp/evil\n' }],
      ['write', { file_path: 'vendor/.git/config', content: '[filter "x"]\n\tclean = id\n' }],
      ['write', { file_path: 'vendor/.GIT/config', content: '[filter "x"]\n\tclean = id\n' }],
    ];
    for (const [name, input] of attempts) {
      const out = await Promise.resolve(tool(name).run(input as never, undefined)).then(
        (r) => `ran: ${String(r)}`,
        (e: Error) => e.message,
      );
      assert.match(out, /one of git's own files/, `${name} ${input.file_path}: ${out}`);
    }
    assert.equal(fs.readFileSync(path.join(wt, '.git'), 'utf8'), pointer, 'the pointer is unchanged');
    assert.ok(!fs.existsSync(path.join(wt, 'vendor')), 'no nested git folder was made');
    await tool('write').run({ file_path: 'src/gitignore-notes.git.md', content: 'fine\n' } as never, undefined);
    assert.equal(fs.readFileSync(path.join(wt, 'src', 'gitignore-notes.git.md'), 'utf8'), 'fine\n');
    assert.equal(execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: wt, encoding: 'utf8' }).trim(), 'feature');
  });

  it('counts only what lies below the agent\'s folder: a folder inside a .git (the run directory) takes writes by absolute path', async () => {
    // Audit workers write their findings into the run directory, which lives under the repository's .git.
    const runDir = path.join(dir, 'repo', '.git', 'build-pipeline', 'runs', 'r1');
    fs.mkdirSync(runDir, { recursive: true });
    const tools = fileTools(['write'], { workdir: runDir, readOnlyRoots: [], env: agentShellEnv('test'), bashTimeoutMs: 10_000 }, quiet);
    await tools[0]!.run({ file_path: path.join(runDir, 'workers', 'security-1.md'), content: 'findings\n' } as never, undefined);
    assert.equal(fs.readFileSync(path.join(runDir, 'workers', 'security-1.md'), 'utf8'), 'findings\n');
    const out = await Promise.resolve(tools[0]!.run({ file_path: path.join(runDir, 'sub', '.git', 'config'), content: 'x' } as never, undefined)).then(String, (e: Error) => e.message);
    assert.match(out, /one of git's own files/);
  });

  it('names a .git segment in any position, separator or case, and nothing else', () => {
    for (const p of ['.git', '/w/.git', 'a/.git/config', 'a\\.git\\config', '.GIT', 'x/.Git/']) assert.ok(touchesGitFiles(p), p);
    for (const p of ['', '.github/workflows/ci.yml', '.gitignore', '.gitattributes', 'a.git', 'git/.gitkeep']) assert.ok(!touchesGitFiles(p), p);
  });

  it('the engine never stages a worktree holding a nested repository, whose own config (a clean filter) git would run outside the sandbox', async () => {
    const repo = path.join(dir, 'repo');
    const engineWt = path.join(dir, 'engine-wt');
    await createWorktree(repo, engineWt, moduleBranch('20250101-120000-deadbeef', 'core'), 'HEAD');
    const marker = path.join(dir, 'PWNED');
    const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=a', '-c', 'user.email=a@x.invalid', ...args], { cwd, encoding: 'utf8' });
    // What an agent's shell can do in its worktree: a repository of its own, with a filter in its config.
    const sub = path.join(engineWt, 'src', 'sub');
    fs.mkdirSync(sub, { recursive: true });
    sh(sub, 'init', '-q');
    sh(sub, 'config', 'filter.x.clean', `sh -c "touch '${marker}'; cat"`);
    fs.writeFileSync(path.join(sub, '.gitattributes'), '* filter=x\n');
    fs.writeFileSync(path.join(sub, 'a.txt'), 'a\n');
    sh(sub, 'add', '.');
    sh(sub, 'commit', '-qm', 'sub');
    fs.rmSync(marker, { force: true });
    fs.appendFileSync(path.join(sub, 'a.txt'), 'b\n');
    fs.writeFileSync(path.join(engineWt, 'src', 'code.js'), 'x\n');
    const refused = (e: unknown) => GitError.is(e, 'nestedRepository') && /src\/sub/.test((e as Error).message);
    // Not yet in the index, then added by the agent itself (a gitlink).
    await assert.rejects(commitAll(engineWt, 'c', { name: 'e', email: 'e@x.invalid' }), refused);
    sh(engineWt, 'add', 'src/sub');
    await assert.rejects(commitAll(engineWt, 'c', { name: 'e', email: 'e@x.invalid' }), refused);
    // The engine's status (every ownership check runs it) does not look inside it either.
    await uncommittedPaths(engineWt);
    assert.ok(!fs.existsSync(marker), 'the nested repository\'s filter never ran');
    // A submodule that is not checked out (no .git in its folder, as in every engine worktree) is no obstacle.
    fs.rmSync(path.join(sub, '.git'), { recursive: true, force: true });
    fs.rmSync(path.join(sub, 'a.txt'));
    fs.rmSync(path.join(sub, '.gitattributes'));
    assert.match(String(await commitAll(engineWt, 'c', { name: 'e', email: 'e@x.invalid' }, ['src/code.js'])), /^[0-9a-f]{40}$/);
  });
});
