// The final head's full suite run while the last module of assembly_order is in QC
// (src/core/assembly/finalSuiteAhead.ts): used for the merge when it tested that very tree and was
// green; a run on a build that then failed QC is not, and the fixed build's run is. The scripted
// model answers in 500 ms, so the last module is still in QC when the one before it is merged.
import * as assert from 'node:assert/strict';
import { makeRepo, runPipeline, type TestRepo } from './harness';
import { syntheticDescription } from '../../src/scripted';
import type { PipelineEvent } from '../../src/core/events';

const CHAIN = syntheticDescription(3, 'chain');

function aheadNotes(events: readonly PipelineEvent[]): { ran: string[]; used: string[] } {
  const logs = events.flatMap((e) => (e.type === 'log' && e.message.startsWith('assembly: ') ? [e.message] : []));
  return {
    ran: logs.flatMap((m) => /^assembly: the final head's full suite runs while mod-03 is in QC \(its merge made ahead, tree ([0-9a-f]{12})\)$/.exec(m)?.[1] ?? []),
    used: logs.filter((m) => m === 'assembly: the merge of mod-03 is the tree its full suite ran on while it was in QC (green): not run again'),
  };
}

describe('the final head\'s full suite, run while its module is in QC', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('runs on the merge made ahead and stands for the real merge, which has that very tree: the suite is not run again', async () => {
    const { result, events } = await runPipeline(repo, { description: CHAIN, scenario: { latencyMs: 500 } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const notes = aheadNotes(events);
    assert.equal(notes.ran.length, 1, JSON.stringify(notes));
    assert.equal(notes.used.length, 1);
    // The tree tested ahead is the final head's (the last merge's; later stages commit after it), and
    // that merge is recorded as tested in full, green.
    const mergeOf03 = result.state.merges.find((m) => m.module === 'mod-03')!;
    const finalTree = repo.git('rev-parse', `${mergeOf03.commit}^{tree}`);
    assert.ok(finalTree.startsWith(notes.ran[0]!), `${finalTree} vs ${notes.ran[0]}`);
    assert.deepEqual([mergeOf03.status, mergeOf03.tests, mergeOf03.testScope], ['MERGED', 'pass', 'full']);
    // Counted once, as the final head's full suite: mod-01 and mod-02 two selected runs each, then that one.
    assert.deepEqual([result.state.assembly?.testProcesses, result.state.assembly?.fullSuiteRuns, result.state.assembly?.fullSuitesAhead], [5, 1, 1]);
    // Its own tree is gone.
    assert.ok(!repo.git('worktree', 'list', '--porcelain').includes('mod-03.final-suite'));
  });

  it('a run on a build that fails QC is not used: the fixed build gets its own run, and that one stands for the merge', async () => {
    const { result, events } = await runPipeline(repo, { description: CHAIN, scenario: { scenario: 'qc-major-then-pass', target: 'mod-03', latencyMs: 500 } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.equal(result.state.modules.find((m) => m.name === 'mod-03')!.fixCycles, 1);
    const notes = aheadNotes(events);
    assert.equal(notes.ran.length, 2, JSON.stringify(notes));
    assert.notEqual(notes.ran[0], notes.ran[1], 'the failed build and the fixed one merge to different trees');
    assert.equal(notes.used.length, 1);
    const mergeOf03 = result.state.merges.find((m) => m.module === 'mod-03')!;
    assert.ok(repo.git('rev-parse', `${mergeOf03.commit}^{tree}`).startsWith(notes.ran[1]!));
    // Only the used run counts as assembly's. The first was stopped at the FAIL (counted apart only if it had finished).
    assert.deepEqual([result.state.assembly?.testProcesses, result.state.assembly?.fullSuiteRuns], [5, 1]);
    assert.ok([1, 2].includes(result.state.assembly?.fullSuitesAhead ?? 0), String(result.state.assembly?.fullSuitesAhead));
  });
});
