/**
 * git started from worker threads (src/core/git/spawner.ts): concurrent calls each get their own
 * answer, a failing command its exit code and stderr, a missing git binary a clear error, and idle
 * workers never keep a process alive; the bench reads the workers' own V8 heaps.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { runGit } from '../../src/core/git/run';
import { GIT_WORKER_POOL_SIZE, gitWorkerHeaps, spawnGit, stats } from '../../src/core/git/spawner';

describe('git from worker threads', () => {
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

  it("reports each running worker's V8 heap (an isolate of its own, outside the engine thread's)", async function () {
    if (typeof (Worker.prototype as { getHeapStatistics?: unknown }).getHeapStatistics !== 'function') this.skip(); // Node 22.16+
    await runGit(repo, ['status', '--porcelain']);
    const heaps = await gitWorkerHeaps();
    assert.equal(heaps.length, GIT_WORKER_POOL_SIZE);
    for (const h of heaps) assert.ok(h.usedMb > 0 && h.totalMb >= h.usedMb, JSON.stringify(h));
  });

  it('does not keep a process alive once its git calls are done', () => {
    const runJs = path.resolve(__dirname, '../../src/core/git/run.js');
    const script = `require(${JSON.stringify(runJs)}).runGit(${JSON.stringify(repo)}, ['status', '--porcelain']).then((r) => console.log('exit', r.exitCode));`;
    // The child must end by itself: a worker left referenced would keep it running until the timeout kills it.
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.signal, null, 'the process ended by itself');
    assert.equal(child.stdout.trim(), 'exit 0');
  });
});
