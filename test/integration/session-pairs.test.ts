import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { readJournal } from '../../src/core/run/journal';
import { TrainingPairSchema } from '../../src/core/training/pairs';
import { checkSessionPairs, sessionPairsRel } from '../../src/core/training/sessionPairs';
import { makeCleanRepo, makeRepo, runPipeline, type TestRepo } from './harness';

function show(repo: TestRepo, ref: string, file: string): string {
  return execFileSync('git', ['show', `${ref}:${file}`], { cwd: repo.root, encoding: 'utf8' });
}

describe("builders' session pairs checked at the builder's hand-over, counted when their module passes QC (M4)", function () {
  this.timeout(240_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('the careless pairs are rejected with their rule (journal, QC report, run dir); the good ones are kept in the builder\'s commit, merged and counted per file', async () => {
    const { result } = await runPipeline(repo);
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const integration = result.state.integrationBranch;
    const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
    const manifest = JSON.parse(show(repo, integration, '.orchestration/training/manifest.json'));
    // Each builder got its own block of pair ids, by its place in the build order.
    const firstIds: Record<string, string> = { formatter: 'qa-10000', greeter: 'qa-10100' };
    for (const module of ['formatter', 'greeter']) {
      const file = `${module}-session-pairs.jsonl`;
      // On the module branch, as the engine committed the builder's work: the five good pairs.
      const branch = `orchestration/${result.state.runId}/${module}`;
      const kept = show(repo, branch, `.orchestration/training/${file}`).trim().split('\n').map((l) => TrainingPairSchema.parse(JSON.parse(l)));
      assert.equal(kept.length, 5, `${module}: the five good pairs, not ${kept.map((p) => p.messages[1].content).join(' | ')}`);
      assert.equal(kept[0]!.metadata.pair_id, firstIds[module]);
      assert.ok(kept.every((p) => p.metadata.created_at && p.metadata.modules_referenced.includes(module) && p.metadata.hop_count >= 1));
      const rejected = fs.readFileSync(path.join(result.state.runDir, 'training', `${module}-session-rejected.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { rule: string; pairId: string });
      assert.deepEqual(rejected.map((r) => r.rule), ['see-the-docs', 'markdown', 'leaks-answer']);
      // Journal: one line naming each rejected pair and its rule.
      const line = journal.find((e) => e.type === 'log' && e.message.startsWith(`training pairs of ${module}:`));
      assert.ok(line && line.type === 'log');
      assert.match(line.message, /5 accepted, 3 rejected \(qa-\d{5}: see-the-docs, qa-\d{5}: markdown, qa-\d{5}: leaks-answer\)/);
      // The module's report says the same.
      const report = fs.readFileSync(path.join(result.state.runDir, 'qc', `${module}-build-qc.md`), 'utf8');
      assert.match(report, /## Training pairs\n5 of the builder's session pairs kept in `\.orchestration\/training\/[a-z]+-session-pairs\.jsonl`; 3 rejected by the quality rules \(see-the-docs, markdown, leaks-answer\)\./);
      assert.match(report, /- qa-\d{5}: leaks-answer: the question already names every value the answer gives/);
      // The manifest counts the file as it is on the integration branch: curate (which every run gets) replaced its state pair.
      const merged = show(repo, integration, `.orchestration/training/${file}`).trim().split('\n');
      assert.equal(merged.length, 4);
      assert.equal(manifest.files[file].accepted, 4);
      assert.equal(manifest.files[file].byType.state_status, 0);
      assert.equal(manifest.files[file].rejected, 3);
      assert.deepEqual(manifest.files[file].rejectedByRule, { 'see-the-docs': 1, markdown: 1, 'leaks-answer': 1 });
      assert.equal(manifest.files[file].byType.factual_recall + manifest.files[file].byType.procedural, 4);
      // The rewrite went into the builder's commit: no engine commit after it moves the branch QC graded.
      const log = repo.git('log', '--format=%an|%s', branch).split('\n');
      assert.match(log[0] ?? '', new RegExp(`^builder-${module}\\|build\\(${module}\\): (implement per contract|fix cycle \\d+)$`));
      assert.equal(result.state.modules.find((m) => m.name === module)!.builtCommit, repo.git('rev-parse', branch), 'the branch QC graded is the one that passed');
    }
    // The bootstrap's entry is still there, counting its file (after curate removed its state pairs).
    assert.equal(manifest.files['bootstrap.jsonl'].accepted, show(repo, integration, '.orchestration/training/bootstrap.jsonl').trim().split('\n').length);
  });

  it("pair ids are unique across the module's training files: a reused id is rejected as duplicate-id, the file keeps the rest", async () => {
    const clean = makeCleanRepo();
    // The engine commits only in its own worktrees (an orchestration/ branch), as on a module branch.
    const runDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-run-')));
    const wt = path.join(runDir, 'greeter');
    try {
      clean.git('worktree', 'add', '-q', '-b', 'orchestration/test/greeter', wt);
      const dir = path.join(wt, '.orchestration', 'training');
      fs.mkdirSync(dir, { recursive: true });
      const line = (id: string, q: string) =>
        JSON.stringify({
          messages: [
            { role: 'system', content: 'You are the project master for greeter-cli.' },
            { role: 'user', content: q },
            { role: 'assistant', content: 'The greeter module exposes greet(name), which trims the name, validates it and returns the greeting text that the formatter module builds.' },
          ],
          metadata: { pair_id: id, taxonomy: 'factual_recall', source_refs: ['contracts/interfaces/greeter.interface.md'], modules_referenced: ['greeter'], hop_count: 1, difficulty: 'basic' },
        });
      // The bootstrap's file already holds qa-00001 (the module branch has it from the integration branch).
      fs.writeFileSync(path.join(dir, 'bootstrap.jsonl'), line('qa-00001', 'What does the greeter module expose?') + '\n');
      const own = [line('qa-10100', 'Which function of greeter do callers use?'), line('qa-10100', 'What is the entry point of greeter?'), line('qa-00001', 'What does greeter give back to a caller?'), line('qa-10101', 'Which module builds the text greeter returns?')];
      fs.writeFileSync(path.join(wt, sessionPairsRel('greeter')), own.join('\n') + '\n');
      execFileSync('git', ['add', '.'], { cwd: wt });
      execFileSync('git', ['-c', 'user.name=builder', '-c', 'user.email=b@x.invalid', 'commit', '-q', '-m', 'builder: pairs'], { cwd: wt });
      const check = checkSessionPairs({
        worktree: wt,
        module: 'greeter',
        runDir,
        nouns: ['greeter', 'formatter', 'greet'],
        subjects: ['greeter', 'formatter'],
        openConflicts: [],
        now: new Date('2026-12-02T00:00:00Z'),
      });
      assert.ok(check);
      assert.deepEqual(check.rejected.map((r) => [r.line, r.rule, r.pairId]), [
        [2, 'duplicate-id', 'qa-10100'],
        [3, 'duplicate-id', 'qa-00001'],
      ]);
      assert.equal(check.entry.rejectedByRule['duplicate-id'], 2);
      const kept = fs.readFileSync(path.join(wt, sessionPairsRel('greeter')), 'utf8').trim().split('\n').map((l) => TrainingPairSchema.parse(JSON.parse(l)).metadata.pair_id);
      assert.deepEqual(kept, ['qa-10100', 'qa-10101']);
      assert.equal(check.entry.rejected, 2);
      // A fix cycle's hand-over checks again: the pairs kept before stay, and the earlier rejections still count, by rule.
      fs.appendFileSync(path.join(wt, sessionPairsRel('greeter')), line('qa-10101', 'Which module does greeter call to build its text?') + '\n');
      const again = checkSessionPairs({ worktree: wt, module: 'greeter', runDir, nouns: ['greeter', 'formatter', 'greet'], subjects: ['greeter', 'formatter'], openConflicts: [], now: new Date('2026-12-03T00:00:00Z') });
      assert.ok(again);
      assert.deepEqual(again.rejected.map((r) => [r.line, r.rule]), [[3, 'duplicate-id']]);
      assert.equal(again.accepted, 2);
      assert.deepEqual(again.entry.rejectedByRule, { 'duplicate-id': 3 });
      assert.equal(again.entry.rejected, 3);
      assert.deepEqual(again.recorded.map((r) => [r.pairId, r.rule]), [['qa-10100', 'duplicate-id'], ['qa-00001', 'duplicate-id'], ['qa-10101', 'duplicate-id']]);
    } finally {
      clean.cleanup();
      fs.rmSync(runDir, { recursive: true, force: true });
    }
  });
});
