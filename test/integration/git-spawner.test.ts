/**
 * git started from the git host process (src/core/git/spawner.ts): concurrent calls each get their
 * own answer, a failing command its exit code and stderr, a missing directory a clear error; the host
 * gets none of the engine's secrets, a killed host fails its calls and is replaced, a host that cannot
 * start leaves git to the engine's own process, and an idle host never keeps a process alive.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runGit } from '../../src/core/git/run';
import { gitHostMemory, spawnGit, stats } from '../../src/core/git/spawner';

describe('git from the git host process', () => {
  let repo: string;
  before(() => {
    repo = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-spawner-')));
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(repo, `f${i}.txt`), `${i}\n`);
  });
  after(() => fs.rmSync(repo, { recursive: true, force: true }));

  it('answers many concurrent calls each with its own output, and counts them by subcommand', async () => {
    const before = stats['git hash-object']?.count ?? 0;
    const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => runGit(repo, ['hash-object', `f${i}.txt`])));
    const expected = Array.from({ length: 12 }, (_, i) => execFileSync('git', ['hash-object', `f${i}.txt`], { cwd: repo, encoding: 'utf8' }));
    assert.deepEqual(runs.map((r) => r.stdout), expected);
    assert.ok(runs.every((r) => r.exitCode === 0 && r.stderr === ''));
    assert.equal((stats['git hash-object']?.count ?? 0) - before, 12);
  });

  it('reports a failing command with its exit code and stderr, and a program that cannot start as an error', async () => {
    const run = await runGit(repo, ['rev-parse', '--verify', 'no-such-branch']);
    assert.notEqual(run.exitCode, 0);
    assert.match(run.stderr, /Needed a single revision/);
    await assert.rejects(spawnGit(path.join(repo, 'missing-dir'), ['status'], process.env), /ENOENT|spawn/);
  });

  it('gives git its input on stdin, whole, and an index file the caller names instead of the repository index', async () => {
    const big = 'line of input\n'.repeat(100_000);
    const run = await runGit(repo, ['hash-object', '--stdin'], { input: big });
    assert.equal(run.stdout, execFileSync('git', ['hash-object', '--stdin'], { cwd: repo, input: big, encoding: 'utf8' }));
    const blob = run.stdout.trim();
    const indexFile = path.join(repo, '..', `${path.basename(repo)}-side.index`);
    try {
      const added = await runGit(repo, ['update-index', '--add', '-z', '--index-info'], { indexFile, input: `100644 ${blob}\tside.txt\0` });
      assert.equal(added.exitCode, 0, added.stderr);
      assert.equal((await runGit(repo, ['ls-files'], { indexFile })).stdout, 'side.txt\n');
      assert.equal((await runGit(repo, ['ls-files', 'side.txt'])).stdout, '', "the repository's own index is untouched");
    } finally {
      fs.rmSync(indexFile, { force: true });
    }
    // Output split into many pipe reads, multi-byte characters included, comes back whole.
    const wide = 'ünïcödé ✓ 漢字\n'.repeat(20_000);
    const stored = (await runGit(repo, ['hash-object', '-w', '--stdin'], { input: wide })).stdout.trim();
    assert.equal((await runGit(repo, ['cat-file', '-p', stored])).stdout, wide);
    // A command that does not read its input ends as it would without it.
    assert.equal((await runGit(repo, ['rev-parse', '--is-inside-work-tree'], { input: big })).stdout.trim(), 'true');
  });

  /** Runs `script` in a Node process of its own (with `env`) and returns what it printed. */
  const inChild = (script: string, env: NodeJS.ProcessEnv = process.env) => {
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000, env });
    assert.equal(child.status, 0, child.stderr);
    return child.stdout.trim();
  };
  const runJs = path.resolve(__dirname, '../../src/core/git/run.js');
  const spawnerJs = path.resolve(__dirname, '../../src/core/git/spawner.js');

  it('runs git from a process of its own that holds none of the engine’s environment; each call brings its own', () => {
    const script = `
      const { spawnGit, gitHostMemory } = require(${JSON.stringify(spawnerJs)});
      const fs = require('node:fs');
      spawnGit(${JSON.stringify(repo)}, ['var', 'GIT_AUTHOR_IDENT'], { PATH: process.env.PATH, GIT_AUTHOR_NAME: 'Call Env', GIT_AUTHOR_EMAIL: 'call@x.invalid' }).then((r) => {
        const host = gitHostMemory();
        const environ = fs.readFileSync('/proc/' + host.pid + '/environ', 'utf8');
        console.log(JSON.stringify({ ident: r.stdout, hostPid: host.pid, self: process.pid, secret: environ.includes('sk-ant-test-secret'), rss: host.rssMb, own: host.privateMb }));
      });`;
    const out = JSON.parse(inChild(script, { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-test-secret' })) as Record<string, unknown>;
    assert.match(String(out.ident), /^Call Env <call@x\.invalid>/, 'the call’s own environment reached git');
    assert.notEqual(out.hostPid, out.self, 'git came from another process');
    assert.equal(out.secret, false, 'the host’s environment holds no key of the engine’s');
    assert.ok(Number(out.rss) > 0 && Number(out.own) > 0 && Number(out.own) < Number(out.rss), JSON.stringify(out));
  });

  it('a host killed with calls under way fails them with a clear error, and the next call starts a new one', async () => {
    await runGit(repo, ['status', '--porcelain']);
    const first = gitHostMemory();
    assert.ok(first, 'a host is running');
    // A call that takes a while (git runs the alias through sh), the host killed while it runs.
    const slow = spawnGit(repo, ['-c', 'alias.slow=!sleep 5', 'slow'], process.env);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(first.pid, 'SIGKILL');
    await assert.rejects(slow, /the git host exited \(SIGKILL\)/);
    const again = await runGit(repo, ['rev-parse', '--is-inside-work-tree']);
    assert.equal(again.stdout.trim(), 'true');
    const second = gitHostMemory();
    assert.ok(second && second.pid !== first.pid, 'a new host runs the calls');
  });

  it('a host ends with the process it serves, even one killed outright', async () => {
    // The child prints its host's pid once a git call is done and starts a long one (which would keep
    // the host busy for 30 s), then is killed with SIGKILL: nothing of it runs after.
    const script = `
      const { runGit } = require(${JSON.stringify(runJs)});
      const { gitHostMemory, spawnGit } = require(${JSON.stringify(spawnerJs)});
      runGit(${JSON.stringify(repo)}, ['status', '--porcelain']).then(() => {
        void spawnGit(${JSON.stringify(repo)}, ['-c', 'alias.slow=!sleep 30', 'slow'], process.env).catch(() => {});
        setTimeout(() => console.log(gitHostMemory().pid), 200);
      });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const hostPid = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    // The host's state letter from /proc: 'gone' once it is reaped, 'Z' once it exited and awaits reaping.
    const state = () => {
      try {
        return /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${hostPid}/status`, 'utf8'))?.[1] ?? 'gone';
      } catch {
        return 'gone';
      }
    };
    assert.notEqual(state(), 'gone', 'the host runs while its process does');
    child.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (!['gone', 'Z'].includes(state()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(['gone', 'Z'].includes(state()), `the host still runs (state ${state()}) after its process was killed`);
  });

  it('a host that cannot start leaves git to this process, the calls made meanwhile included', () => {
    const script = `
      process.execPath = '/nonexistent/node';
      const { runGit } = require(${JSON.stringify(runJs)});
      const { gitHostMemory } = require(${JSON.stringify(spawnerJs)});
      Promise.all([runGit(${JSON.stringify(repo)}, ['rev-parse', '--is-inside-work-tree']), runGit(${JSON.stringify(repo)}, ['hash-object', 'f1.txt'])])
        .then(async (rs) => { const later = await runGit(${JSON.stringify(repo)}, ['hash-object', 'f2.txt']); console.log(JSON.stringify([...rs, later].map((r) => r.stdout.trim()).concat(String(gitHostMemory())))); });`;
    const out = JSON.parse(inChild(script)) as string[];
    const hash = (f: string) => execFileSync('git', ['hash-object', f], { cwd: repo, encoding: 'utf8' }).trim();
    assert.deepEqual(out, ['true', hash('f1.txt'), hash('f2.txt'), 'null']);
  });

  it('does not keep a process alive once its git calls are done', () => {
    const script = `require(${JSON.stringify(runJs)}).runGit(${JSON.stringify(repo)}, ['status', '--porcelain']).then((r) => console.log('exit', r.exitCode));`;
    // The child must end by itself: a host left referenced would keep it running until the timeout kills it.
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.signal, null, 'the process ended by itself');
    assert.equal(child.stdout.trim(), 'exit 0');
  });
});
