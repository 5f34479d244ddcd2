// The extension's engine process (issue #10: the engine's spawns blocked the extension host): a run
// started through src/extension/engineProcess/client.ts lives in the forked dist/engineHost.js, and
// the handle the extension gets behaves like the in-process engine's: events, state, gates answered
// across the process boundary, cancel, resume, and errors that keep their name and message.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GateAnswer, GateRequest } from '../../src/core/api';
import type { PipelineEvent } from '../../src/core/events';
import { checkInEngineProcess, disconnectEngines, EngineProcessGoneError, resumeInEngineProcess, startInEngineProcess } from '../../src/extension/engineProcess/client';
import { sampleDescription } from '../../src/scripted';
import { FAST_CONFIG, makeRepo, projectRoot, type TestRepo } from './harness';
import { ENGINE_ENV, ENGINE_NODE_FLAGS } from '../../src/core/engineNodeFlags';

const HOST = path.join(projectRoot(), 'dist', 'engineHost.js');

describe('engine process: a run in a process of its own, driven like the in-process engine', function () {
  this.timeout(300_000);
  let repo: TestRepo;
  before(function () {
    if (!fs.existsSync(HOST)) throw new Error(`${HOST} is missing: run npm run build first`);
  });
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('asks the gate across the process, stops at "later", and a resume there runs build and assembly to the end', async () => {
    const requests: GateRequest[] = [];
    const first = await startInEngineProcess(
      'build',
      { repoRoot: repo.root, description: sampleDescription, offline: true, approver: 'test', config: FAST_CONFIG, gate: async (r) => (requests.push(r), { decision: 'later' }) },
      HOST,
    );
    assert.match(first.runDir, new RegExp(first.runId));
    assert.equal(first.state().runId, first.runId);
    const result = await first.done;
    assert.equal(result.status, 'awaiting-approval');
    assert.deepEqual(requests.map((r) => r.gate), ['blueprint']);
    assert.match(requests[0]!.title, /Blueprint ready/);
    assert.equal(first.state().status, 'awaiting-approval', 'state() is the final state');

    const events: PipelineEvent[] = [];
    const answers: GateAnswer[] = [];
    const resumed = await resumeInEngineProcess(
      { repoRoot: repo.root, runId: first.runId, offline: true, approver: 'test', config: FAST_CONFIG, gate: async () => (answers.push({ decision: 'approve' }), { decision: 'approve' }) },
      HOST,
    );
    resumed.onEvent((e) => events.push(e));
    const end = await resumed.done;
    assert.equal(end.status, 'succeeded', end.summary.reason ?? '');
    assert.equal(answers.length, 1);
    const started = events.filter((e) => e.type === 'stage-started').map((e) => (e as { stage: string }).stage);
    assert.ok(started.includes('build') && started.includes('assemble'), started.join(', '));
    assert.ok(events.some((e) => e.type === 'module-status' && e.status === 'merged'), 'module events arrive');
    assert.equal(events[0]?.type, 'run-started', 'the first event too, sent with the start itself');
    assert.equal(resumed.state().status, 'succeeded');
    assert.ok(resumed.state().modules.every((m) => m.status === 'merged'), JSON.stringify(resumed.state().modules.map((m) => m.status)));
  });

  it('cancel reaches the engine: the run ends cancelled, resumable', async () => {
    const handle = await startInEngineProcess(
      'build',
      { repoRoot: repo.root, description: sampleDescription, offline: true, approver: 'test', config: FAST_CONFIG, gate: async () => ({ decision: 'approve' }) },
      HOST,
    );
    handle.onEvent((e) => {
      if (e.type === 'stage-started' && e.stage === 'build') handle.cancel('test cancel');
    });
    const result = await handle.done;
    assert.equal(result.status, 'cancelled');
    const state = JSON.parse(fs.readFileSync(path.join(handle.runDir, 'state.json'), 'utf8')) as { status: string };
    assert.equal(state.status, 'cancelled');
  });

  it('the window going away at a gate: the run stops awaiting approval, as with the engine in the extension host', async () => {
    const handle = await startInEngineProcess(
      'build',
      {
        repoRoot: repo.root,
        description: sampleDescription,
        offline: true,
        config: FAST_CONFIG,
        gate: () => {
          setImmediate(disconnectEngines);
          return new Promise<GateAnswer>(() => undefined); // nobody will answer
        },
      },
      HOST,
    );
    await assert.rejects(handle.done, /engine process exited \(code 0\) before the run ended/);
    const state = JSON.parse(fs.readFileSync(path.join(handle.runDir, 'state.json'), 'utf8')) as { status: string; waitingGate?: string };
    assert.equal(state.status, 'awaiting-approval');
    assert.equal(state.waitingGate, 'blueprint');
  });

  it('the window going away mid-build: the engine process stops at once, the run stays "running" and resumes to the end', async () => {
    const handle = await startInEngineProcess(
      'build',
      { repoRoot: repo.root, description: sampleDescription, offline: true, config: FAST_CONFIG, gate: async () => ({ decision: 'approve' }) },
      HOST,
    );
    handle.onEvent((e) => {
      if (e.type === 'module-status' && e.status === 'building') disconnectEngines();
    });
    await assert.rejects(handle.done, /engine process exited/);
    const state = JSON.parse(fs.readFileSync(path.join(handle.runDir, 'state.json'), 'utf8')) as { status: string };
    assert.equal(state.status, 'running', 'offered for resume when the window reopens (findUnfinishedRun)');
    const resumed = await resumeInEngineProcess({ repoRoot: repo.root, runId: handle.runId, offline: true, config: FAST_CONFIG, gate: async () => ({ decision: 'approve' }) }, HOST);
    const end = await resumed.done;
    assert.equal(end.status, 'succeeded', end.summary.reason ?? '');
  });

  it('a start that fails rejects with the engine\'s error, name and message kept', async () => {
    const notARepo = fs.mkdtempSync(path.join(repo.root, '..', 'bp-not-a-repo-'));
    try {
      await assert.rejects(
        startInEngineProcess('build', { repoRoot: notARepo, description: sampleDescription, offline: true, config: FAST_CONFIG, gate: async () => ({ decision: 'approve' }) }, HOST),
        (e: Error) => e instanceof Error && e.message.length > 0 && !/engine process exited/.test(e.message),
      );
    } finally {
      fs.rmSync(notARepo, { recursive: true, force: true });
    }
  });

  // What Start runs before it reloads the window into the run workspace (workspacePrep.ts).
  it("a start's checks alone: an unknown model is a PreflightError with its setting, passing checks resolve; neither creates anything", async () => {
    const runsRoot = path.join(repo.root, '.git', 'build-pipeline');
    const branches = () => repo.git('branch', '--list', '--format=%(refname:short)');
    const before = branches();
    const opts = { repoRoot: repo.root, description: sampleDescription, offline: true, gate: async () => ({ decision: 'approve' as const }) };
    await assert.rejects(
      checkInEngineProcess({ ...opts, config: { ...FAST_CONFIG, tierModels: { haiku: 'claude-no-such-model' } } }, HOST),
      (e: Error & { reason?: string; setting?: { vscode: string } }) =>
        e.name === 'PreflightError' && e.reason === 'model' && /claude-no-such-model/.test(e.message) && /buildPipeline\.models\.haiku/.test(e.setting?.vscode ?? ''),
    );
    await checkInEngineProcess({ ...opts, config: FAST_CONFIG }, HOST);
    assert.equal(fs.existsSync(runsRoot), false, 'no run directory, no runs folder');
    assert.equal(branches(), before, 'no branch');
  });

  it("the engine process starts with the engine's V8 flags and malloc setting, and keeps a MALLOC_ARENA_MAX the user set", async () => {
    // A host that reports how it was started, then exits.
    const host = path.join(repo.root, '..', `bp-reporting-host-${process.pid}.js`);
    fs.writeFileSync(
      host,
      "process.on('message', () => { process.send({ kind: 'started', runId: 'r', runDir: '/r', state: { execArgv: process.execArgv, arenas: process.env.MALLOC_ARENA_MAX } }, () => process.exit(3)); });\n",
    );
    const startedWith = async () => {
      const handle = await startInEngineProcess('build', { repoRoot: repo.root, description: 'x', offline: true, gate: async () => ({ decision: 'approve' }) }, host);
      await handle.done.catch(() => undefined);
      return handle.state() as unknown as { execArgv: string[]; arenas?: string };
    };
    const saved = process.env.MALLOC_ARENA_MAX;
    try {
      delete process.env.MALLOC_ARENA_MAX;
      const plain = await startedWith();
      for (const flag of ENGINE_NODE_FLAGS) assert.ok(plain.execArgv.includes(flag), `${flag} in ${JSON.stringify(plain.execArgv)}`);
      assert.equal(plain.arenas, ENGINE_ENV.MALLOC_ARENA_MAX);
      process.env.MALLOC_ARENA_MAX = '6';
      assert.equal((await startedWith()).arenas, '6');
    } finally {
      if (saved === undefined) delete process.env.MALLOC_ARENA_MAX;
      else process.env.MALLOC_ARENA_MAX = saved;
      fs.rmSync(host, { force: true });
    }
  });

  it('events sent in the same burst as the start reach the first subscriber, in order, even when the run ended in that burst', async () => {
    const host = path.join(repo.root, '..', `bp-burst-host-${process.pid}.js`);
    fs.writeFileSync(
      host,
      "process.on('message', () => {\n" +
        "  process.send({ kind: 'started', runId: 'r', runDir: '/r', state: {} });\n" +
        "  for (const stage of ['one', 'two', 'three']) process.send({ kind: 'event', event: { type: 'stage-started', stage } });\n" +
        "  process.send({ kind: 'done', result: { status: 'succeeded', state: {}, summary: {} } }, () => process.exit(0));\n" +
        "});\n",
    );
    try {
      const handle = await startInEngineProcess('build', { repoRoot: repo.root, description: 'x', offline: true, gate: async () => ({ decision: 'approve' }) }, host);
      // Subscribed only once the run has ended (in the same burst): the events are still there.
      await handle.done;
      const seen: string[] = [];
      handle.onEvent((e) => seen.push(e.type === 'stage-started' ? e.stage : e.type));
      assert.deepEqual(seen, ['one', 'two', 'three']);
    } finally {
      fs.rmSync(host, { force: true });
    }
  });

  it('a host that dies mid-run rejects `done` with a message that says to resume', async () => {
    const dying = path.join(repo.root, '..', `bp-dying-host-${process.pid}.js`);
    fs.writeFileSync(dying, "process.on('message', () => { process.send({ kind: 'started', runId: 'r', runDir: '/r', state: {} }, () => process.exit(3)); });\n");
    try {
      const handle = await startInEngineProcess('build', { repoRoot: repo.root, description: 'x', offline: true, gate: async () => ({ decision: 'approve' }) }, dying);
      await assert.rejects(handle.done, /engine process exited \(code 3\) before the run ended; resume/);
      // Typed, so the window words it as the process's end, not as an error the engine reported.
      await assert.rejects(handle.done, (e: unknown) => e instanceof EngineProcessGoneError);
    } finally {
      fs.rmSync(dying, { force: true });
    }
  });
});
