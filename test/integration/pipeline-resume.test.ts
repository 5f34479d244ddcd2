import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeRepo, resumePipeline, runPipeline, scriptedGate, snapshotUserTree, type TestRepo } from './harness';
import { readJournal } from '../../src/core/run/journal';

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

  it('cancel stops every agent, leaves no half-made worktree, and resume finishes without redoing passed modules', async () => {
    const before = snapshotUserTree(repo);
    let cancel: () => void = () => {};
    const cancelled = runPipeline(repo, {
      scenario: { latencyMs: 30 },
      onStart: (c) => (cancel = c),
    });
    // Cancel once formatter has passed QC and greeter is being built.
    const { result } = await (async () => {
      const r = cancelled;
      const poll = setInterval(() => {
        const dirs = fs.readdirSync(path.join(repo.root, '.git', 'build-pipeline', 'runs'));
        const state = JSON.parse(fs.readFileSync(path.join(repo.root, '.git', 'build-pipeline', 'runs', dirs[0]!, 'state.json'), 'utf8'));
        const greeter = state.modules?.find((m: { name: string }) => m.name === 'greeter');
        if (greeter && ['building', 'qc'].includes(greeter.status)) {
          clearInterval(poll);
          cancel();
        }
      }, 20);
      try {
        return await r;
      } finally {
        clearInterval(poll);
      }
    })();
    assert.equal(result.status, 'cancelled');
    const formatter = result.state.modules.find((m) => m.name === 'formatter')!;
    assert.equal(formatter.status, 'passed');
    assert.deepEqual(snapshotUserTree(repo), before);

    const resumed = await resumePipeline(repo, result.state.runId);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    const rebuiltFormatter = resumed.events.filter((e) => e.type === 'agent-started' && e.module === 'formatter');
    assert.equal(rebuiltFormatter.length, 0, 'formatter passed before the cancel and is not rebuilt');
    assert.deepEqual(snapshotUserTree(repo), before);
  });
});
