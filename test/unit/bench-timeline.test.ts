import * as assert from 'node:assert/strict';
import { buildTimeline } from '../../bench/buildTimeline';
import type { readJournal } from '../../src/core/run/journal';

type Journal = ReturnType<typeof readJournal>;
const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString();

/** a → b: a's builder and QC, then b's, with known gaps between the steps. */
function journal(): Journal {
  return [
    { at: at(0), type: 'stage-started', stage: 'build' },
    { at: at(0.5), type: 'worktree-added', module: 'a', path: '/wt/a', branch: 'orchestration/x/a' },
    { at: at(0.6), type: 'agent-started', agentId: 'builder-a', role: 'builder', module: 'a', model: 'm' },
    { at: at(5), type: 'agent-ended', agentId: 'builder-a', role: 'builder', module: 'a', ok: true },
    { at: at(5.2), type: 'agent-started', agentId: 'qc-a', role: 'qc', module: 'a', model: 'm' },
    { at: at(8), type: 'agent-ended', agentId: 'qc-a', role: 'qc', module: 'a', ok: true },
    { at: at(8.1), type: 'module-status', module: 'a', status: 'passed' },
    { at: at(10.1), type: 'worktree-added', module: 'b', path: '/wt/b', branch: 'orchestration/x/b' },
    { at: at(10.4), type: 'agent-started', agentId: 'builder-b', role: 'builder', module: 'b', model: 'm' },
    { at: at(14), type: 'agent-ended', agentId: 'builder-b', role: 'builder', module: 'b', ok: true },
    { at: at(15), type: 'agent-started', agentId: 'qc-b', role: 'qc', module: 'b', model: 'm' },
    { at: at(17), type: 'agent-ended', agentId: 'qc-b', role: 'qc', module: 'b', ok: true },
    // A fix cycle's second builder does not count as b's first build.
    { at: at(17.5), type: 'agent-started', agentId: 'builder-b-2', role: 'builder', module: 'b', model: 'm' },
    { at: at(19), type: 'agent-ended', agentId: 'builder-b-2', role: 'builder', module: 'b', ok: true },
    { at: at(19.5), type: 'module-status', module: 'b', status: 'passed' },
    { at: at(20), type: 'stage-ended', stage: 'build', status: 'done' },
  ] as Journal;
}

describe('bench: where the build stage’s time goes', () => {
  it('measures each step from the journal, ready counted from the last dependency’s pass', () => {
    const t = buildTimeline(journal(), new Map([['a', []], ['b', ['a']]]))!;
    const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-6, `${actual} ≠ ${expected}`);
    close(t.readyToWorktree.meanMs, (500 + 2000) / 2);
    assert.equal(t.readyToWorktree.maxModule, 'b');
    close(t.readyToWorktree.maxMs, 2000);
    close(t.worktreeToBuilder.meanMs, (100 + 300) / 2);
    close(t.builderToQc.meanMs, (200 + 1000) / 2);
    close(t.qcToPassed.meanMs, (100 + 2500) / 2);
    // No module agent: 0–0.6, 5–5.2, 8–10.4, 14–15, 17–17.5, 19–20.
    close(t.idleMs, 600 + 200 + 2400 + 1000 + 500 + 1000);
    close(t.meanAgents, (4.4 + 2.8 + 3.6 + 2 + 1.5) / 20);
    // The chain is a then b (b passed last); of its engine time, worktree → builder start: 0.1 + 0.3 s.
    assert.equal(t.chain!.modules, 2);
    close(t.chain!.windowMs, 19_500);
    close(t.chain!.builderWaitMs, 400);
    assert.ok(t.chain!.builderWaitMs <= t.chain!.engineMs);
  });

  it('gives nothing for a journal without a build stage, and leaves out a module that never became ready', () => {
    assert.equal(buildTimeline([], new Map()), null);
    const t = buildTimeline(journal(), new Map([['a', []], ['b', ['a', 'never-passed']]]))!;
    assert.equal(t.readyToWorktree.maxModule, 'a');
  });
});
