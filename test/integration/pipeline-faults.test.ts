import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { makeRepo, runPipeline, type TestRepo } from './harness';
import { readJournal } from '../../src/core/run/journal';

/** The code a run produced: file path → blob id, for src/ only (brain files carry timestamps). */
function codeTree(repo: TestRepo, branch: string): string {
  return repo.git('ls-tree', '-r', branch, '--', 'src');
}

describe('pipeline under API faults (rate limits, 5xx, overload bursts, cut streams)', function () {
  this.timeout(240_000);
  let clean: TestRepo;
  let faulty: TestRepo;
  after(() => {
    clean?.cleanup();
    faulty?.cleanup();
  });

  it('completes with the same result as a run without faults', async () => {
    clean = makeRepo();
    const reference = await runPipeline(clean);
    assert.equal(reference.result.status, 'succeeded');

    faulty = makeRepo();
    // 529 ×4 outlasts the SDK's own 2 retries, so the engine's turn retry must take over;
    // 'cut' drops a stream mid tool call, which the SDK does not retry at all.
    const schedule = ['ok', '429', 'ok', '529', '529', '529', '529', 'ok', 'cut', 'ok', '500', 'ok', 'cut', 'cut', 'ok'] as const;
    const { result, events } = await runPipeline(faulty, {
      scenario: { faultSchedule: [...schedule], faultRates: { cut: 0.05, '529': 0.05, '500': 0.03 }, seed: 7 },
    });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.equal(codeTree(faulty, result.state.integrationBranch), codeTree(clean, reference.result.state.integrationBranch));
    const retries = events.filter((e) => e.type === 'agent-retry');
    assert.ok(retries.length >= 3, `engine-level retries: ${retries.length}`);
    // A cut stream never left a half-applied tool call: every tool call in the journal has its result.
    const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
    const calls = journal.filter((e) => e.type === 'tool-call').length;
    const results = journal.filter((e) => e.type === 'tool-result').length;
    assert.equal(calls, results);
    assert.equal(result.summary.retries, retries.length);
  });

  it('gives up with a clear error when the API keeps failing past every retry', async () => {
    const repo = makeRepo();
    try {
      const { result } = await runPipeline(repo, {
        scenario: { faultSchedule: Array(40).fill('529') },
        config: { turnRetries: 2, sdkMaxRetries: 1 },
      });
      assert.equal(result.status, 'halted');
      assert.match(result.state.haltReason ?? '', /Architect: architect-1: model call failed: 529 .*overloaded_error/);
    } finally {
      repo.cleanup();
    }
  });
});
