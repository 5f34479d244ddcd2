import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { readJournal } from '../../src/core/run/journal';
import { makeRepo, resumePipeline, runPipeline, type TestRepo } from './harness';

function show(repo: TestRepo, ref: string, file: string): string {
  return execFileSync('git', ['show', `${ref}:${file}`], { cwd: repo.root, encoding: 'utf8' });
}

/** A file as the bootstrap's own commit left it (curate later replaces the state pairs on the same branch). */
function atBootstrap(repo: TestRepo, branch: string, file: string): string {
  const commit = execFileSync('git', ['log', '-1', '--format=%H', '--grep=^training: bootstrap pairs', branch], { cwd: repo.root, encoding: 'utf8' }).trim();
  assert.ok(commit, 'the bootstrap commit');
  return show(repo, commit, file);
}

function trainingAgents(runDir: string): string[] {
  return readJournal(path.join(runDir, 'journal.jsonl')).flatMap((e) => (e.type === 'agent-started' && e.agentId.startsWith('training-') ? [e.agentId] : []));
}

describe('Stage 1b bootstrap (M4)', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('bad pairs of each kind are rejected for the right rule; shares and counts go to manifest.json', async () => {
    const { result } = await runPipeline(repo, { scenario: { scenario: 'bootstrap-bad-pairs' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const rejected = fs.readFileSync(path.join(result.state.runDir, 'training', 'bootstrap-rejected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; rule: string });
    // The six bad pairs lead the file, one per rule, in order.
    assert.deepEqual(rejected.slice(0, 6).map((r) => [r.line, r.rule]), [[1, 'schema'], [2, 'proper-noun'], [3, 'length'], [4, 'see-the-docs'], [5, 'markdown'], [6, 'leaks-answer']]);
    const integration = result.state.integrationBranch;
    const kept = atBootstrap(repo, integration, '.orchestration/training/bootstrap.jsonl').trim().split('\n');
    const manifest = JSON.parse(atBootstrap(repo, integration, '.orchestration/training/manifest.json'));
    assert.equal(manifest.files['bootstrap.jsonl'].accepted, kept.length);
    assert.ok(kept.length >= 50, `${kept.length} pairs`);
    assert.equal(manifest.files['bootstrap.jsonl'].rejectedByRule.markdown, 1);
    assert.equal(manifest.files['bootstrap.jsonl'].rejectedByRule['leaks-answer'], 1);
    assert.equal(Object.keys(manifest.shares).length, 7);
    assert.ok(manifest.shares.factual_recall.count > 0);
    assert.match(result.state.stages.find((s) => s.id === 'bootstrap')!.detail ?? '', /pairs accepted, \d+ rejected; factual_recall \d/);
    assert.ok(!kept.some((l) => l.includes('See the docs')));
  });

  it('the pair-count gate fails, the repair round asks for the missing types, and the stage passes', async () => {
    const { result } = await runPipeline(repo, { scenario: { scenario: 'bootstrap-short' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.deepEqual(trainingAgents(result.state.runDir), ['training-bootstrap-1-0', 'training-bootstrap-1-1']);
    const manifest = JSON.parse(atBootstrap(repo, result.state.integrationBranch, '.orchestration/training/manifest.json'));
    assert.ok(manifest.files['bootstrap.jsonl'].accepted >= 50);
    assert.ok(manifest.shares.cross_module.count > 0, 'the repair round added a missing type');
  });

  it('with too few pairs after the repair round the stage fails clearly', async () => {
    const { result } = await runPipeline(repo, { scenario: { scenario: 'bootstrap-stuck' } });
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason ?? '', /Bootstrap: bootstrap produced 10 acceptable training pairs after a repair round; at least 50 are needed \(training\.minPairs\)/);
    assert.equal(result.state.stages.find((s) => s.id === 'scaffold')!.status, 'pending');
  });

  it('kill-and-resume inside 1b: a run stopped while the training agent works resumes in the stage and finishes it', async () => {
    let stop: () => void = () => undefined;
    const first = await runPipeline(repo, {
      onStart: (cancel) => (stop = cancel),
      onEvent: (e) => {
        if (e.type === 'agent-started' && e.agentId.startsWith('training-')) stop();
      },
    });
    assert.equal(first.result.status, 'cancelled');
    assert.equal(first.result.state.stages.find((s) => s.id === 'bootstrap')!.status, 'failed');
    const second = await resumePipeline(repo, first.result.state.runId);
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
    assert.equal(second.result.state.stages.find((s) => s.id === 'bootstrap')!.status, 'done');
    assert.ok(atBootstrap(repo, second.result.state.integrationBranch, '.orchestration/training/bootstrap.jsonl').split('\n').length > 50);
  });
});
