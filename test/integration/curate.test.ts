import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { purgeExpired } from '../../src/core/training/expiry';
import type { PipelineEvent } from '../../src/core/events';
import { integrationWorktreeOf } from '../../src/core/run/runDir';
import { makeRepo, resumePipeline, runPipeline, type TestRepo } from './harness';

const DAY = 86_400_000;

function pairLine(taxonomy: string, created: string): string {
  return JSON.stringify({
    messages: [
      { role: 'system', content: 's' },
      { role: 'user', content: `q ${taxonomy}` },
      { role: 'assistant', content: 'a' },
    ],
    metadata: { pair_id: 'qa-00001', taxonomy, source_refs: ['x'], modules_referenced: [], hop_count: 1, difficulty: 'basic', created_at: created },
  });
}

describe('Stage 7 curate (M11)', function () {
  this.timeout(240_000);

  it('expiry by type: state after 14 days, interface after 60, architecture after 90 (clock given)', () => {
    const created = '2026-01-01T00:00:00.000Z';
    const text = ['state_status', 'factual_recall', 'architectural_reasoning', 'counterfactual', 'procedural'].map((t) => pairLine(t, created)).join('\n') + '\n{torn';
    const at = (days: number) => new Date(Date.parse(created) + days * DAY + 1);
    assert.deepEqual(purgeExpired(text, at(13)).purged, { state: 0, interface: 0, architecture: 0 });
    assert.deepEqual(purgeExpired(text, at(14)).purged, { state: 1, interface: 0, architecture: 0 });
    assert.deepEqual(purgeExpired(text, at(60)).purged, { state: 1, interface: 2, architecture: 0 });
    const late = purgeExpired(text, at(90));
    assert.deepEqual(late.purged, { state: 1, interface: 2, architecture: 2 });
    assert.deepEqual(late.untouched, ['{torn']);
  });

  describe('in a run', () => {
    let repo: TestRepo;
    beforeEach(() => (repo = makeRepo()));
    afterEach(() => repo.cleanup());

    it('purges expired pairs by type with a clock it is given, compresses L2 into L3, writes the memory report; a killed curate resumes', async () => {
      // In the repository's config file, so the resumed run keeps the 1-summary window too.
      fs.writeFileSync(path.join(repo.root, '.build-pipeline.json'), JSON.stringify({ memory: { l2Window: 1 } }));
      let stop: () => void = () => undefined;
      const { result: first } = await runPipeline(repo, {
        scenario: { scenario: 'qc-major-then-pass' },
        onStart: (cancel) => (stop = cancel),
        // Kill the first curate attempt as it starts: resume must finish it.
        onEvent: (e: PipelineEvent) => {
          if (e.type === 'stage-started' && e.stage === 'curate') stop();
        },
      });
      assert.equal(first.status, 'cancelled');
      const runDir = first.state.runDir;
      const bootstrapBefore = execFileSync('git', ['show', `${first.state.integrationBranch}:.orchestration/training/bootstrap.jsonl`], { cwd: repo.root, encoding: 'utf8' });
      const stateBefore = bootstrapBefore.split('\n').filter((l) => l.includes('"state_status"')).length;
      assert.ok(stateBefore > 0);

      const second = await resumePipeline(repo, first.state.runId);
      assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
      const report = JSON.parse(fs.readFileSync(path.join(runDir, 'memory-report.json'), 'utf8'));
      // resumePipeline uses the system clock: only a pair older than its type's window goes, so nothing expired on resume...
      assert.equal(report.l4.purged.state + report.l4.purged.interface + report.l4.purged.architecture, 0);
      assert.ok(report.compressed > 0, 'L2 beyond the window (1 per role) went into L3');
      assert.ok(report.l3.records >= report.compressed);
      assert.equal(report.l2.byRole['greeter-builder'], 1);
      assert.ok(report.l4.byType.state_status > 0);
      assert.ok(report.l1.files >= 2);
      assert.match(fs.readFileSync(path.join(runDir, 'report.md'), 'utf8'), /## Memory[\s\S]*\| L4 training pairs \| \d+ \|/);
      assert.match(second.result.state.stages.find((s) => s.id === 'curate')!.detail ?? '', /^memory: L1 \d+ brains/);
      // The training agent rewrote the brain to the final state (no engine-appended line), keeping its sections.
      const brain = execFileSync('git', ['show', `${first.state.integrationBranch}:.orchestration/brains/greeter-builder.md`], { cwd: repo.root, encoding: 'utf8' });
      assert.match(brain, /^# greeter Builder Brain\n## Last Updated: end of run/);
      assert.match(brain, /## Current State\nFinal state: status merged, QC PASS, 1 fix cycle\(s\), merged into orchestration\/[^/]+\/integration\./);
      for (const s of ['Key Decisions Made', 'Dependencies Used', 'Known Issues', 'Next Steps']) assert.match(brain, new RegExp(`## ${s}`));
      assert.doesNotMatch(brain, /## Final state \(run/);
      assert.equal(report.regenerated.brainsRewritten, 2);
      assert.equal(report.regenerated.brainsByEngine, 0);
      // State pairs: the bootstrap's (written before any module was built) were replaced by ones about the final state.
      const branch = first.state.integrationBranch;
      const show = (f: string) => execFileSync('git', ['show', `${branch}:.orchestration/training/${f}`], { cwd: repo.root, encoding: 'utf8' });
      assert.ok(!show('bootstrap.jsonl').includes('"state_status"'));
      assert.ok(!show('greeter-session-pairs.jsonl').includes('"state_status"'));
      const state = show('state.jsonl').trim().split('\n').map((l) => JSON.parse(l) as { messages: { content: string }[]; metadata: { taxonomy: string } });
      assert.equal(state.length, 3, 'one per module and one about the run');
      assert.ok(state.every((p) => p.metadata.taxonomy === 'state_status'));
      assert.match(state.find((p) => /greeter/.test(p.messages[1]!.content))!.messages[2]!.content, /QC PASS, 1 fix cycle\(s\), merged into/);
      assert.equal(report.regenerated.statePairs, 3);
      assert.equal(report.regenerated.superseded, stateBefore + 2, "the bootstrap's state pairs and one per builder's session file");
      assert.equal(report.l4.byType.state_status, 3);
      const manifest = JSON.parse(show('manifest.json'));
      assert.equal(manifest.files['state.jsonl'].accepted, 3);
      assert.match(fs.readFileSync(path.join(runDir, 'report.md'), 'utf8'), /\| state pairs regenerated \| 3 \|/);
    });

    it("a training agent that fails in curate does not fail the run: every brain file gets the engine's final-state line", async () => {
      const events: PipelineEvent[] = [];
      // A refusal on the Stage 7 task only (Stage 1b's training agent is the same role): the curate agent fails at once.
      const { result } = await runPipeline(repo, { scenario: { replyFaults: [{ kind: 'refusal', role: 'training', task: 'curate-state' }] }, onEvent: (e) => events.push(e) });
      assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
      const curate = result.state.stages.find((s) => s.id === 'curate')!;
      assert.equal(curate.status, 'done');
      const warning = events.find((e) => e.type === 'log' && e.level === 'warn' && /^curate: the training agent curate-\d+ failed/.test(e.message));
      assert.ok(warning, 'the failure is said in the log');
      const report = JSON.parse(fs.readFileSync(path.join(result.state.runDir, 'memory-report.json'), 'utf8'));
      assert.deepEqual([report.regenerated.brainsRewritten, report.regenerated.brainsByEngine, report.regenerated.statePairs], [0, 2, 0]);
      const branch = result.state.integrationBranch;
      for (const module of ['greeter', 'formatter']) {
        const brain = execFileSync('git', ['show', `${branch}:.orchestration/brains/${module}-builder.md`], { cwd: repo.root, encoding: 'utf8' });
        // The fallback: one line under a heading naming the run, after the builder's own sections.
        const fallback = new RegExp(`\n## Final state \\(run ${result.state.runId}\\)\n\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z: merged, QC PASS, 0 fix cycle\\(s\\), merged into ${branch.replace(/[/.]/g, '\\$&')}\\.\n$`);
        assert.match(brain, fallback, brain);
        assert.doesNotMatch(brain, /## Last Updated: end of run/, 'not rewritten by the agent');
      }
    });

    it('a brains folder swapped for a link to outside before curate: nothing outside is read or written', async function () {
      if (process.platform !== 'linux') this.skip();
      const outside = fs.mkdtempSync(path.join(repo.root, '..', 'bp-outside-brains-'));
      const planted = path.join(outside, 'greeter-builder.md');
      fs.writeFileSync(planted, 'not a brain: a file of the user\n');
      let runDir = '';
      try {
        const { result } = await runPipeline(repo, {
          // The agent fails, so the engine itself would append the final state to every brain it finds.
          scenario: { replyFaults: [{ kind: 'refusal', role: 'training', task: 'curate-state' }] },
          onEvent: (e: PipelineEvent) => {
            if (e.type === 'run-started') runDir = e.runDir;
            if (e.type === 'stage-started' && e.stage === 'curate') {
              const brains = path.join(integrationWorktreeOf(runDir), '.orchestration', 'brains');
              fs.rmSync(brains, { recursive: true });
              fs.symlinkSync(outside, brains);
            }
          },
        });
        const curate = result.state.stages.find((s) => s.id === 'curate')!;
        assert.equal(curate.status, 'done', result.state.haltReason ?? '');
        assert.equal(fs.readFileSync(planted, 'utf8'), 'not a brain: a file of the user\n', 'the file outside is untouched');
        const report = JSON.parse(fs.readFileSync(path.join(result.state.runDir, 'memory-report.json'), 'utf8'));
        assert.deepEqual([report.regenerated.brainsRewritten, report.regenerated.brainsByEngine], [0, 0], 'no brain taken through the link');
      } finally {
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });

    it('a training file swapped for a link to outside before curate: the file outside is neither read into the repository nor rewritten', async function () {
      if (process.platform !== 'linux') this.skip();
      const outside = fs.mkdtempSync(path.join(repo.root, '..', 'bp-outside-training-'));
      const planted = path.join(outside, 'user-file.jsonl');
      let runDir = '';
      let before = '';
      try {
        const { result } = await runPipeline(repo, {
          onEvent: (e: PipelineEvent) => {
            if (e.type === 'run-started') runDir = e.runDir;
            if (e.type === 'stage-started' && e.stage === 'curate') {
              // The bootstrap pairs (state pairs among them, which curate drops) moved outside, a link left in their place.
              const file = path.join(integrationWorktreeOf(runDir), '.orchestration', 'training', 'bootstrap.jsonl');
              before = fs.readFileSync(file, 'utf8');
              fs.writeFileSync(planted, before);
              fs.rmSync(file);
              fs.symlinkSync(planted, file);
            }
          },
        });
        assert.equal(result.state.stages.find((s) => s.id === 'curate')!.status, 'done', result.state.haltReason ?? '');
        assert.ok(before.includes('"state_status"'), 'the file held state pairs curate would drop');
        assert.equal(fs.readFileSync(planted, 'utf8'), before, 'the file outside was not rewritten');
      } finally {
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });

    it('with a clock 30 days on at curate, state pairs are purged and the others kept', async () => {
      // The clock stands still until curate starts, then jumps 30 days.
      let offset = 0;
      const { result } = await runPipeline(repo, {
        clock: () => new Date(Date.now() + offset),
        onEvent: (e: PipelineEvent) => {
          if (e.type === 'stage-started' && e.stage === 'curate') offset = 30 * DAY;
        },
      });
      assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
      const report = JSON.parse(fs.readFileSync(path.join(result.state.runDir, 'memory-report.json'), 'utf8'));
      assert.ok(report.l4.purged.state > 0);
      assert.equal(report.l4.purged.interface, 0);
      assert.equal(report.l4.purged.architecture, 0);
      assert.ok(report.l4.byType.factual_recall > 0);
      const kept = execFileSync('git', ['show', `${result.state.integrationBranch}:.orchestration/training/bootstrap.jsonl`], { cwd: repo.root, encoding: 'utf8' });
      assert.ok(!kept.includes('"state_status"'));
    });
  });
});
