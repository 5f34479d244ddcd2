// The set-up the engine makes during an agent's first model call (agents/tools.ts `afterwards`): when
// it fails, the agent is stopped at once with the set-up's own error, instead of going on (and paying
// for model calls) with tools that can only fail. Here the builder's set-up question (what git
// ignores in its worktree) fails because the worktree's index is unreadable.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeRepo, runPipeline, type TestRepo } from './harness';

/** The index file of a linked worktree: `<gitdir>/index`, the gitdir named by the worktree's `.git` file. */
function indexOf(worktree: string): string {
  const gitdir = /^gitdir: (.+)$/m.exec(fs.readFileSync(path.join(worktree, '.git'), 'utf8'))![1]!.trim();
  return path.join(path.resolve(worktree, gitdir), 'index');
}

describe("an agent whose set-up fails", function () {
  this.timeout(240_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('is stopped at its first model call with the set-up error; no tool of it runs', async () => {
    const { result, events } = await runPipeline(repo, {
      // Model calls slow enough that the set-up fails while the builder's first call is still under way.
      scenario: { latencyMs: 400 },
      onEvent: (e) => {
        // Fired synchronously, as the worktree is handed to the builder: its set-up comes next.
        if (e.type === 'worktree-added' && e.module === 'greeter') fs.writeFileSync(indexOf(e.path), 'not an index\n');
      },
    });
    assert.notEqual(result.status, 'succeeded');
    const builder = 'builder-greeter-0';
    assert.ok(events.some((e) => e.type === 'agent-started' && e.agentId === builder), 'the builder was started');
    const calls = events.filter((e) => e.type === 'agent-usage' && e.agentId === builder).length;
    const tools = events.filter((e) => (e.type === 'tool-call' || e.type === 'tool-result') && e.agentId === builder).length;
    assert.ok(calls <= 1, `the builder made ${calls} model calls`);
    assert.equal(tools, 0, 'none of its tools ran');
    const greeter = result.state.modules.find((m) => m.name === 'greeter')!;
    assert.equal(greeter.status, 'failed');
    assert.match(`${greeter.detail ?? ''} ${result.state.haltReason ?? ''}`, /ls-files|index/i);
    assert.ok(!events.some((e) => e.type === 'agent-started' && e.role === 'qc' && e.module === 'greeter'), 'no QC for a build that never ran');
  });
});
