/**
 * The stack comes from the contracts (X8): the Python sample end to end, an existing JavaScript
 * repository whose own tests stay green while modules are added where its layout puts them, and one
 * whose red tests stop the run before any builder starts. Real git, real SDK, the scripted model.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { makeRepo, runPipeline, scriptedGate, snapshotUserTree, read, type TestRepo } from './harness';
import { readJournal } from '../../src/core/run/journal';
import { pythonDescription } from '../../src/scripted';

function checkout(repo: TestRepo, branch: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(repo.root, '..', 'bp-stack-check-'));
  repo.git('worktree', 'add', '-q', '--detach', dir, branch);
  return { dir, remove: () => repo.git('worktree', 'remove', '--force', dir) };
}

/** Turns the test repository into an existing JavaScript project with its own package.json, code and tests. */
function existingProject(repo: TestRepo, testPasses: boolean): void {
  const pkg = { name: 'existing-app', version: '1.0.0', private: true, scripts: { test: 'node --test' } };
  fs.writeFileSync(path.join(repo.root, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  fs.mkdirSync(path.join(repo.root, 'lib', 'util'), { recursive: true });
  fs.writeFileSync(path.join(repo.root, 'lib', 'util', 'index.js'), "'use strict';\nmodule.exports = { double: (n) => n * 2 };\n");
  fs.writeFileSync(
    path.join(repo.root, 'lib', 'util', 'index.test.js'),
    [
      "'use strict';",
      "const test = require('node:test');",
      "const assert = require('node:assert/strict');",
      "const { double } = require('./index.js');",
      `test('existing: double doubles', () => assert.equal(double(21), ${testPasses ? 42 : 41}));`,
      '',
    ].join('\n'),
  );
  repo.git('add', 'package.json', 'lib');
  repo.git('commit', '-q', '-m', 'user: existing app with its own tests');
}

describe('pipeline, stacks from the contracts', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('Python sample: the toolchain from the contracts is shown at the gate verbatim, installed, run, and the result passes its unittest suite', async () => {
    const before = snapshotUserTree(repo);
    const gate = scriptedGate([]);
    const { result, events } = await runPipeline(repo, { description: pythonDescription, gate });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.deepEqual(result.state.modules.map((m) => `${m.name}:${m.status}`), ['tokenizer:merged', 'counter:merged']);

    // The human saw the exact command lines before anything ran.
    const request = gate.requests[0]!;
    assert.deepEqual(
      request.commands?.map((c) => c.command),
      ['python3 -m venv --without-pip .venv', '.venv/bin/python -m unittest discover -s {module_dir} -t .', '.venv/bin/python -m unittest discover -s wordstats -t .'],
    );
    assert.match(request.summary, /tokenizer \(sonnet, wordstats\/tokenizer\/\)/);
    assert.match(request.summary, /\n {4}\.venv\/bin\/python -m unittest discover -s \{module_dir\} -t \.\n/);

    // The builders and QC ran the module command with the module's path filled in.
    const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
    const commands = journal.filter((e) => e.type === 'tool-call' && e.tool === 'bash').map((e) => (e.type === 'tool-call' ? e.input : ''));
    assert.ok(commands.some((c) => c.includes('.venv/bin/python -m unittest discover -s wordstats/counter -t .')), commands.join('\n'));
    assert.ok(events.some((e) => e.type === 'log' && /install `python3 -m venv --without-pip \.venv` exited 0/.test(e.message)));

    const integration = result.state.integrationBranch;
    const files = repo.git('ls-tree', '-r', '--name-only', integration).split('\n');
    for (const f of ['pyproject.toml', 'wordstats/tokenizer/__init__.py', 'wordstats/counter/test_counter.py', 'wordstats/shared/types.py', '.gitignore']) assert.ok(files.includes(f), f);
    assert.ok(!files.some((f) => f.startsWith('.venv/') || f.includes('__pycache__')), 'installed and generated files are never committed');
    assert.match(repo.git('show', `${integration}:.gitignore`), /^\.venv\/$/m);
    const wt = checkout(repo, integration);
    try {
      const run = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'wordstats', '-t', '.'], { cwd: wt.dir, encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stderr, /Ran 9 tests/);
    } finally {
      wt.remove();
    }
    assert.deepEqual(snapshotUserTree(repo), before);
  });

  it('existing repository, green tests: its stack and layout are kept, its tests run first and stay green after the new modules are merged', async () => {
    existingProject(repo, true);
    const userPackage = read(path.join(repo.root, 'package.json'));
    const gate = scriptedGate([]);
    const { result, events } = await runPipeline(repo, { gate });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    // The engine ran the project's own tests before anything was built.
    const order = events.filter((e) => (e.type === 'log' && /existing code found/.test(e.message)) || (e.type === 'agent-started' && e.role === 'scaffold'));
    assert.equal(order[0]?.type, 'log', 'the baseline test run comes before the scaffold agent');
    // The architect kept the layout (lib/) and the project's own test command.
    assert.deepEqual(gate.requests[0]!.commands?.map((c) => c.command).slice(1), ['node --test {module_dir}/*.test.js', 'npm test']);
    const integration = result.state.integrationBranch;
    const files = repo.git('ls-tree', '-r', '--name-only', integration).split('\n');
    for (const f of ['lib/formatter/index.js', 'lib/greeter/index.test.js', 'lib/util/index.test.js']) assert.ok(files.includes(f), f);
    assert.ok(!files.some((f) => f.startsWith('src/')), 'no second layout beside the existing one');
    assert.equal(repo.git('show', `${integration}:package.json`), userPackage.trimEnd(), 'the project manifest is the user\'s own');
    const wt = checkout(repo, integration);
    try {
      const run = spawnSync('npm', ['test'], { cwd: wt.dir, encoding: 'utf8' });
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /existing: double doubles/);
      assert.match(run.stdout, /greet/);
    } finally {
      wt.remove();
    }
  });

  it('existing code without a manifest: the baseline install fails but its tests pass, so the run goes on with a warning', async () => {
    fs.writeFileSync(path.join(repo.root, 'tool.js'), "'use strict';\nconsole.log('a script of the user');\n");
    repo.git('add', 'tool.js');
    repo.git('commit', '-q', '-m', 'user: one script, no package.json');
    const { result, events } = await runPipeline(repo, { config: { stopAfter: 'scaffold' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.ok(events.some((e) => e.type === 'log' && /existing code found/.test(e.message)), 'the baseline ran');
    assert.ok(
      events.some((e) => e.type === 'log' && e.level === 'warn' && /baseline: the existing tests pass, but the install on the base commit failed/.test(e.message)),
      'the failed install is reported as a warning',
    );
    assert.equal(result.state.stages.find((s) => s.id === 'scaffold')!.status, 'done');
  });

  it('existing repository, red tests: the run stops before the scaffold and before any builder, with the failing output', async () => {
    existingProject(repo, false);
    const before = snapshotUserTree(repo);
    const { result } = await runPipeline(repo);
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason ?? '', /existing tests are red on the base commit before anything was built \(`npm test` exited with 1\)/);
    assert.match(result.state.haltReason ?? '', /existing: double doubles/);
    const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
    const roles = journal.filter((e) => e.type === 'agent-started').map((e) => (e.type === 'agent-started' ? e.role : ''));
    // Stage 1b (bootstrap, the training-data agent) sits between the blueprint gate and this check.
    assert.deepEqual(roles.filter((r) => r !== 'training'), ['architect'], 'no scaffold or builder agent was paid for');
    assert.equal(result.state.stages.find((s) => s.id === 'build')!.status, 'pending');
    assert.deepEqual(repo.git('branch', '--list', 'orchestration/*', '--format=%(refname:short)').split('\n'), [result.state.integrationBranch]);
    assert.match(read(path.join(result.state.runDir, 'qc', 'baseline-tests.md')), /Nothing was built/);
    assert.deepEqual(snapshotUserTree(repo), before);
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: path.join(result.state.runDir, 'worktrees', 'integration'), encoding: 'utf8' });
    assert.equal(status.trim(), '');
  });
});
