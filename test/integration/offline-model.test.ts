import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startRun, resumeRun } from '../../src/core/engine';
import { approveAll, FAST_CONFIG, makeRepo, runPipeline, snapshotUserTree, type TestRepo } from './harness';

// The engine does not know the scripted model: offline, the front end must inject a model to talk to.
describe('engine: the offline model is injected, never imported', function () {
  this.timeout(120_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('an offline start without an injected model fails clearly before anything is created', async () => {
    const before = snapshotUserTree(repo);
    await assert.rejects(
      startRun({ repoRoot: repo.root, description: 'Build a greeter module.', offline: true, gate: approveAll, config: FAST_CONFIG }),
      /offline run needs a model to talk to: pass offlineModel/,
    );
    assert.ok(!fs.existsSync(path.join(repo.root, '.git', 'build-pipeline')), 'no run directory');
    assert.equal(repo.git('branch', '--list', 'orchestration/*'), '');
    assert.deepEqual(snapshotUserTree(repo), before);
  });

  it('a resume of an offline run without an injected model fails clearly and leaves the run resumable', async () => {
    const first = await runPipeline(repo, { gate: async () => ({ decision: 'later' }) });
    assert.equal(first.result.status, 'awaiting-approval');
    await assert.rejects(
      resumeRun({ repoRoot: repo.root, runId: first.result.state.runId, gate: approveAll, config: FAST_CONFIG }),
      /offline run needs a model to talk to/,
    );
    const state = JSON.parse(fs.readFileSync(path.join(first.result.state.runDir, 'state.json'), 'utf8'));
    assert.equal(state.status, 'awaiting-approval');
  });
});
