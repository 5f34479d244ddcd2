import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { approveAll, FAST_CONFIG, makeRepo, resumePipeline, runPipeline, scriptedGate, scriptedModel, snapshotUserTree, type TestRepo } from './harness';
import { resumeRun, startRun } from '../../src/core/engine';
import type { GateHandler } from '../../src/core/api';
import { sampleDescription } from '../../src/scripted';
import { readJournal } from '../../src/core/run/journal';
import { answerReader, makePipe } from './pipes';
import { createRunRecord } from '../../src/core/run/newRun';
import { findUnfinishedRun } from '../../src/core/run/runs';

describe('pipeline gates, resume and cancellation', function () {
  this.timeout(180_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('"later" at the blueprint gate stops as awaiting-approval; resume asks again and finishes without redoing the architect', async () => {
    const first = await runPipeline(repo, { gate: scriptedGate([{ decision: 'later' }]) });
    assert.equal(first.result.status, 'awaiting-approval');
    assert.equal(first.result.state.waitingGate, 'blueprint');
    assert.equal(first.result.state.stages[0]!.status, 'waiting');

    const gate = scriptedGate([{ decision: 'approve' }]);
    const second = await resumePipeline(repo, first.result.state.runId, gate);
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
    assert.equal(gate.requests.length, 1);
    const journal = readJournal(path.join(second.result.state.runDir, 'journal.jsonl'));
    assert.equal(journal.filter((e) => e.type === 'agent-started' && e.role === 'architect').length, 1);
  });

  it('a gate asked after the run was cancelled is answered "later" at once: the run stops at that gate instead of hanging', async () => {
    // Like every front end's handler: it answers when the run's abort fires while it waits, and no sooner.
    let asked = 0;
    const untilAbort: GateHandler = (_request, signal) => {
      asked++;
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ decision: 'later' }), { once: true }));
    };
    let cancel: () => void = () => undefined;
    const first = await runPipeline(repo, {
      gate: untilAbort,
      onStart: (c) => (cancel = c),
      // The stop lands in the moment between the run saying it waits and the question reaching the front end.
      onEvent: (e) => {
        if (e.type === 'gate-waiting') cancel();
      },
    });
    assert.equal(asked, 0, 'nobody was asked after the stop');
    assert.equal(first.result.state.waitingGate, 'blueprint');
    assert.equal(first.result.status, 'awaiting-approval', 'stopped at that gate, as a cancel while it waited would');
    const second = await resumePipeline(repo, first.result.state.runId);
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
  });

  it('stopped while the skeleton\'s tests run, the scaffold is not judged on a killed run; the resume scaffolds and finishes', async () => {
    // The skeleton's test run reads a pipe first: the open for writing returns once it does, so the
    // stop lands while that run is under way (the scaffold's first use of the integration test command).
    const fifo = makePipe(path.join(repo.root, '..', `${path.basename(repo.root)}-skeleton-tests.fifo`));
    let cancel: () => void = () => undefined;
    const running = runPipeline(repo, { onStart: (c) => (cancel = c), config: { ...FAST_CONFIG, integrationTestCommand: `cat ${fifo} > /dev/null && node --test` } });
    try {
      await answerReader(fifo, () => cancel());
    } finally {
      fs.rmSync(fifo, { force: true });
    }
    const first = await running;
    assert.equal(first.result.status, 'cancelled', first.result.state.haltReason ?? '');
    assert.notEqual(first.result.state.stages.find((s) => s.id === 'scaffold')!.status, 'done');
    assert.deepEqual(
      first.events.filter((e) => e.type === 'log' && /scaffold does not conform|fails on the skeleton/.test(e.message)),
      [],
      'no scaffold problem recorded for tests the stop killed',
    );
    const second = await resumePipeline(repo, first.result.state.runId);
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
  });

  it('cancel stops every agent, leaves no half-made worktree, and resume finishes without redoing passed modules', async () => {
    const before = snapshotUserTree(repo);
    const handle = await startRun({
      repoRoot: repo.root,
      description: sampleDescription,
      offline: true,
      offlineModel: scriptedModel({ latencyMs: 30 }),
      gate: approveAll,
      config: FAST_CONFIG,
    });
    // Cancel while greeter's builder is at work, after formatter has passed QC.
    handle.onEvent((e) => {
      if (e.type === 'agent-usage' && e.module === 'greeter' && e.role === 'builder') handle.cancel('test cancel');
    });
    const result = await handle.done;
    assert.equal(result.status, 'cancelled');
    assert.equal(result.state.haltReason, 'test cancel');
    const byName = Object.fromEntries(result.state.modules.map((m) => [m.name, m.status]));
    // Assembly streams from the build: formatter is merged if its merge and tests ended before the cancel, passed otherwise.
    assert.ok(['passed', 'merged'].includes(byName['formatter'] ?? ''), JSON.stringify(byName));
    assert.equal(byName['greeter'], 'cancelled');
    assert.deepEqual(snapshotUserTree(repo), before);
    const registered = repo.git('worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice(9));
    for (const d of fs.readdirSync(path.join(result.state.runDir, 'worktrees'))) {
      assert.ok(registered.includes(path.join(result.state.runDir, 'worktrees', d)), `half-made worktree ${d}`);
    }

    const resumed = await resumePipeline(repo, result.state.runId);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    const rebuiltFormatter = resumed.events.filter((e) => e.type === 'agent-started' && e.module === 'formatter');
    assert.equal(rebuiltFormatter.length, 0, 'formatter passed before the cancel and is not rebuilt');
    const landed = repo.git('log', '--first-parent', '--merges', '--format=%s', resumed.result.state.integrationBranch).split('\n').reverse();
    assert.deepEqual(landed, ['integrate: merge formatter module', 'integrate: merge greeter module'], 'each module merged once');
    assert.deepEqual(snapshotUserTree(repo), before);
  });
});

describe('one active run per repository', function () {
  this.timeout(60_000);
  it('refuses a second start while a run is being driven, and allows it once that run stopped', async () => {
    const repo = makeRepo();
    try {
      const first = await startRun({ repoRoot: repo.root, description: sampleDescription, offline: true, offlineModel: scriptedModel(), gate: async () => ({ decision: 'later' }), config: FAST_CONFIG });
      await assert.rejects(
        startRun({ repoRoot: repo.root, description: sampleDescription, offline: true, offlineModel: scriptedModel(), gate: approveAll, config: FAST_CONFIG }),
        (e: Error) => e.name === 'RunLockedError' && new RegExp(`run ${first.runId} is already being driven by process ${process.pid}`).test(e.message),
      );
      assert.equal((await first.done).status, 'awaiting-approval');
      const second = await startRun({ repoRoot: repo.root, description: sampleDescription, offline: true, offlineModel: scriptedModel(), gate: async () => ({ decision: 'later' }), config: FAST_CONFIG });
      assert.equal((await second.done).status, 'awaiting-approval');
    } finally {
      repo.cleanup();
    }
  });
});

describe('one active run per repository: resumes, and starts that passed the first check together', function () {
  this.timeout(120_000);
  it('refuses to resume a run while another run of the repository is being driven, and writes nothing to it', async () => {
    const repo = makeRepo();
    const driver = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const waiting = await runPipeline(repo, { gate: async () => ({ decision: 'later' }) });
      assert.equal(waiting.result.status, 'awaiting-approval');
      const other = await runPipeline(repo, { gate: async () => ({ decision: 'later' }) });
      assert.equal(other.result.status, 'awaiting-approval');
      // The second run is driven by another process now (its lock).
      fs.writeFileSync(path.join(other.result.state.runDir, 'lock'), JSON.stringify({ pid: driver.pid }));
      // The run to offer for resume is the newest one nobody drives.
      assert.equal((await findUnfinishedRun(repo.root))?.runId, waiting.result.state.runId);
      const runDir = waiting.result.state.runDir;
      const files = ['state.json', 'state.changes.jsonl', 'journal.jsonl'].map((f) => path.join(runDir, f));
      const before = files.map((f) => (fs.existsSync(f) ? fs.readFileSync(f) : null));
      await assert.rejects(
        resumePipeline(repo, waiting.result.state.runId),
        (e: Error) => e.name === 'RunLockedError' && e.message.includes(`run ${other.result.state.runId} is already being driven by process ${driver.pid}`),
      );
      assert.deepEqual(files.map((f) => (fs.existsSync(f) ? fs.readFileSync(f) : null)), before);
      assert.ok(!fs.existsSync(path.join(runDir, 'lock')), 'the refused resume left no lock behind');
      // Once that run stopped, the resume goes ahead.
      fs.rmSync(path.join(other.result.state.runDir, 'lock'));
      const resumed = await resumePipeline(repo, waiting.result.state.runId);
      assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    } finally {
      driver.kill('SIGKILL');
      repo.cleanup();
    }
  });

  it('a start whose first check passed makes no run when another run became active before its own lock', async () => {
    const repo = makeRepo();
    const driver = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const other = await runPipeline(repo, { gate: async () => ({ decision: 'later' }) });
      const runsRoot = path.dirname(other.result.state.runDir);
      const runsBefore = fs.readdirSync(runsRoot).sort();
      // What a start that passed its check sees when another start's run took its lock meanwhile:
      // the record is made under the lock, and the check after it finds the other run.
      fs.writeFileSync(path.join(other.result.state.runDir, 'lock'), JSON.stringify({ pid: driver.pid }));
      assert.throws(
        () =>
          createRunRecord({
            runsRoot,
            repo: { root: repo.root, branch: 'main', head: repo.git('rev-parse', 'HEAD') },
            description: 'x',
            mode: 'build',
            offline: true,
            shellsSandboxed: true,
            stageIds: ['architect'],
            integrationBranch: (id) => `orchestration/${id}/integration`,
            secrets: [],
          }),
        (e: Error) => e.name === 'RunLockedError' && e.message.includes(other.result.state.runId),
      );
      assert.deepEqual(fs.readdirSync(runsRoot).sort(), runsBefore, 'no run folder left behind');
    } finally {
      driver.kill('SIGKILL');
      repo.cleanup();
    }
  });
});

describe('a resume of a run another process drives', function () {
  this.timeout(120_000);
  it('is refused before it writes anything: the run\'s state and change lines stay as the driving process left them', async () => {
    const repo = makeRepo();
    const driver = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const first = await runPipeline(repo, { gate: async () => ({ decision: 'later' }) });
      assert.equal(first.result.status, 'awaiting-approval');
      const runDir = first.result.state.runDir;
      // Another process drives it now (its lock), and has written a change line since the last snapshot.
      fs.writeFileSync(path.join(runDir, 'lock'), JSON.stringify({ pid: driver.pid }));
      const files = ['state.json', 'state.changes.jsonl'].map((f) => path.join(runDir, f));
      const before = files.map((f) => (fs.existsSync(f) ? fs.readFileSync(f) : null));
      await assert.rejects(resumePipeline(repo, first.result.state.runId), (e: Error) => e.name === 'RunLockedError');
      assert.deepEqual(files.map((f) => (fs.existsSync(f) ? fs.readFileSync(f) : null)), before);
      assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'lock'), 'utf8')).pid, driver.pid, 'the driver\'s lock is untouched');
    } finally {
      driver.kill('SIGKILL');
      repo.cleanup();
    }
  });
});

describe('budget', function () {
  this.timeout(180_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('stops the run when the estimated cost reaches the budget, and a resume with a higher budget finishes it', async () => {
    const first = await runPipeline(repo, { config: { budgetUsd: 0.02 } });
    assert.equal(first.result.status, 'halted');
    // The budget stops the run in the handler of the usage that reached it: that reply's tool calls
    // must not run (no tool call after the last usage the run saw).
    const lastUsage = first.events.map((e) => e.type).lastIndexOf('agent-usage');
    assert.ok(lastUsage >= 0);
    assert.deepEqual(first.events.slice(lastUsage).filter((e) => e.type === 'tool-call'), [], 'no tool ran after the budget stopped the run');
    assert.match(first.result.state.haltReason ?? '', /budget of \$0\.02 reached/);
    assert.ok(first.result.state.costUsd >= 0.02);
    const spent = first.result.state.costUsd;

    const handle = await resumeRun({ repoRoot: repo.root, runId: first.result.state.runId, offline: true, offlineModel: scriptedModel(), gate: approveAll, config: { ...FAST_CONFIG, budgetUsd: 100 } });
    const second = await handle.done;
    assert.equal(second.status, 'succeeded', second.state.haltReason ?? '');
    assert.ok(second.state.costUsd > spent, 'spending carries across the resume');
  });
});
