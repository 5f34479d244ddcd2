// Outcomes a run must reach and prove from its own records: the backlog, a module out of fix
// cycles, a scaffold that never conforms, and the wave limits over a whole run (from the journal).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeRepo, read, runPipeline, type TestRepo } from './harness';
import { readJournal } from '../../src/core/run/journal';
import { defaultConfig } from '../../src/core/config';
import type { ModelTier } from '../../src/core/contracts/schemas';
import { syntheticDescription, type ReceivedRequest } from '../../src/scripted';

function firstUserText(req: ReceivedRequest): string {
  const content = req.messages[0]?.content ?? '';
  return typeof content === 'string' ? content : content.map((b) => (b['type'] === 'text' ? String(b['text']) : '')).join('\n');
}

describe('pipeline outcomes proven from the run records', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('MINOR findings of a passing module reach qc/backlog.md, one line per finding, naming the module', async () => {
    // A test command naming the folder makes Node run index.js, not the tests: QC grades with the test
    // file itself and notes the command as a MINOR finding (scripted QC, from the evidence it ran).
    const { result, events } = await runPipeline(repo, { config: { moduleTestCommand: 'node --test {module_dir}' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const minors = events.flatMap((e) => (e.type === 'module-verdict' ? e.verdict.findings.filter((f) => f.severity === 'MINOR').map((f) => ({ module: e.module, f })) : []));
    assert.ok(minors.length >= 2, `MINOR findings seen: ${minors.length}`);
    const backlog = read(path.join(result.state.runDir, 'qc', 'backlog.md')).trim().split('\n');
    assert.equal(backlog.length, minors.length);
    for (const { module, f } of minors) {
      assert.ok(backlog.some((l) => l.startsWith(`- [${module}] **MINOR**`) && l.includes(f.text.replace(/\n/g, ' ').slice(0, 80))), `${module}: ${f.text.slice(0, 80)}`);
    }
    // A MINOR finding does not cost a fix cycle.
    assert.deepEqual(result.state.modules.map((m) => [m.name, m.verdict, m.fixCycles]), [
      ['formatter', 'PASS', 0],
      ['greeter', 'PASS', 0],
    ]);
  });

  it('a module that is still FAIL-MAJOR when its fix cycles run out fails with its QC report; only the modules before it are assembled', async () => {
    const { result, events } = await runPipeline(repo, { scenario: { scenario: 'qc-major-always', target: 'greeter' }, config: { fixCycles: 1 } });
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason ?? '', /not every module passed QC:\ngreeter: failed \(still FAIL-MAJOR after 1 fix cycles\)/);
    const greeter = result.state.modules.find((m) => m.name === 'greeter')!;
    assert.deepEqual([greeter.status, greeter.verdict, greeter.fixCycles, greeter.qcAttempts], ['failed', 'FAIL-MAJOR', 1, 2]);
    // Assembly streams from the build: formatter, before greeter in assembly_order, was merged and tested as soon as it passed QC.
    assert.equal(result.state.modules.find((m) => m.name === 'formatter')!.status, 'merged');
    const verdicts = events.filter((e) => e.type === 'module-verdict' && e.module === 'greeter').map((e) => (e.type === 'module-verdict' ? e.verdict.verdict : ''));
    assert.deepEqual(verdicts, ['FAIL-MAJOR', 'FAIL-MAJOR']);
    // Both QC reports are on disk and name the finding that was never fixed.
    const qcDir = path.join(result.state.runDir, 'qc');
    for (const f of ['greeter-build-qc.attempt-1.md', 'greeter-build-qc.md']) {
      const report = read(path.join(qcDir, f));
      assert.match(report, /## Verdict: FAIL-MAJOR/);
      assert.match(report, /never throws the documented/);
    }
    // Assembly stopped before greeter only because the build did: it is pending again, to resume with the build.
    assert.equal(result.state.stages.find((s) => s.id === 'assemble')!.status, 'pending');
    assert.deepEqual(result.state.merges.map((m) => `${m.module}:${m.status}`), ['formatter:MERGED']);
    // The failed module's worktree is kept for the user to look at.
    assert.ok(greeter.worktree && fs.existsSync(greeter.worktree), 'failed worktree kept');
  });

  it('a scaffold that fails its conformance check gets one repair round with the problems, then halts clearly', async () => {
    const requests: ReceivedRequest[] = [];
    const { result } = await runPipeline(repo, { scenario: { scenario: 'scaffold-nonconforming', target: 'greeter', onRequest: (r) => requests.push(r) } });
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason ?? '', /^Scaffold: the scaffold does not match the contracts after 2 rounds/);
    assert.match(result.state.haltReason ?? '', /module folder src\/greeter\/ is missing or empty/);
    assert.equal(result.state.stages.find((s) => s.id === 'scaffold')!.status, 'failed');
    assert.equal(result.state.stages.find((s) => s.id === 'build')!.status, 'pending');
    const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
    const scaffolds = journal.filter((e) => e.type === 'agent-started' && e.role === 'scaffold').map((e) => (e.type === 'agent-started' ? e.agentId : ''));
    assert.deepEqual(scaffolds, ['scaffold-0', 'scaffold-1']);
    assert.ok(!journal.some((e) => e.type === 'agent-started' && e.role === 'builder'), 'no builder is paid for');
    // The repair round was told what was wrong.
    const repair = requests.map(firstUserText).find((t) => /role: scaffold/.test(t) && /<validation-problems>/.test(t));
    assert.ok(repair, 'the second scaffold round received the problems');
    assert.match(repair, /src\/greeter\/ is missing or empty/);
    assert.deepEqual(repo.git('branch', '--list', '--format=%(refname:short)').split('\n').filter((b) => b.startsWith('orchestration/')), [result.state.integrationBranch]);
  });

  it('wave limits are never exceeded during a full run, counted from agent-started/agent-ended in the journal', async () => {
    const waveLimits = { opus: 1, sonnet: 2, haiku: 1 };
    const { result } = await runPipeline(repo, { description: syntheticDescription(7, 'wide'), config: { waveLimits } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const tierOf = new Map(Object.entries(defaultConfig().tierModels).map(([tier, model]) => [model, tier as ModelTier]));
    const running: Record<ModelTier, number> = { opus: 0, sonnet: 0, haiku: 0 };
    const peak: Record<ModelTier, number> = { opus: 0, sonnet: 0, haiku: 0 };
    const agentTier = new Map<string, ModelTier>();
    for (const e of readJournal(path.join(result.state.runDir, 'journal.jsonl'))) {
      if (e.type === 'agent-started') {
        const tier = tierOf.get(e.model);
        assert.ok(tier, `unknown model ${e.model}`);
        agentTier.set(e.agentId, tier);
        peak[tier] = Math.max(peak[tier], ++running[tier]);
        assert.ok(running[tier] <= waveLimits[tier], `${running[tier]} ${tier} agents at once when ${e.agentId} started (limit ${waveLimits[tier]})`);
      }
      if (e.type === 'agent-ended') running[agentTier.get(e.agentId)!]--;
    }
    assert.deepEqual(running, { opus: 0, sonnet: 0, haiku: 0 }, 'every agent that started ended');
    // The run did press against the limits: otherwise this test could not fail.
    assert.deepEqual(peak, waveLimits);
  });

  it('with one slot per tier, a module\'s QC goes before the next module\'s first build (the wave limiter serves critical-path work first)', async () => {
    // Every builder and QC on sonnet, one at a time: the order of their starts is the limiter's order.
    const waveLimits = { opus: 1, sonnet: 1, haiku: 1 };
    const { result } = await runPipeline(repo, { description: syntheticDescription(4, 'wide'), config: { waveLimits, roleTiers: { ...defaultConfig().roleTiers, builder: 'sonnet', qc: 'sonnet' } } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const starts = readJournal(path.join(result.state.runDir, 'journal.jsonl'))
      .filter((e) => e.type === 'agent-started' && (e.role === 'builder' || e.role === 'qc'))
      .map((e) => (e.type === 'agent-started' ? `${e.role}:${e.module}` : ''));
    // The root first; then each leaf's QC right after its own builder, where arrival order would have
    // run every leaf's builder first and every QC after them. (Which leaf goes first depends on whose
    // worktree is ready first.)
    assert.deepEqual(starts.slice(0, 2), ['builder:mod-01', 'qc:mod-01']);
    const leaves = starts.slice(2);
    assert.equal(leaves.length, 6, starts.join(', '));
    for (let i = 0; i < leaves.length; i += 2) assert.deepEqual([leaves[i], leaves[i + 1]], [leaves[i], leaves[i]!.replace('builder:', 'qc:')], starts.join(', '));
    assert.deepEqual(leaves.filter((x) => x.startsWith('builder:')).sort(), ['builder:mod-02', 'builder:mod-03', 'builder:mod-04']);
  });
});
