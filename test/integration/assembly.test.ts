/**
 * Assembly (issue 10): what runs after each merge (the module's and the project-level tests; the full
 * suite on the final head), assembly streaming into the build (both stages running at once), a merge
 * that breaks another module's test through a file both share caught by the full suite and traced
 * back to the first red merge, and a resume after a kill between a merge and its state write.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAST_CONFIG, makeRepo, read, resumePipeline, runPipeline, type TestRepo } from './harness';
import { RunStateSchema, type RunState } from '../../src/core/contracts/schemas';
import { syntheticDescription } from '../../src/scripted';
import { readJournal } from '../../src/core/run/journal';

function landedMerges(repo: TestRepo, state: RunState): string[] {
  const log = repo.git('log', '--first-parent', '--merges', '--format=%s', `${state.baseCommit}..${state.integrationBranch}`);
  return log ? log.split('\n').reverse() : [];
}

/** Assembly's test counts; the time they took is recorded too (the bench's floor uses it), and must add up. */
function testWork(state: RunState): { testProcesses: number; fullSuiteRuns: number } {
  const a = state.assembly;
  assert.ok(a && a.testMs !== undefined && a.testMs > 0, 'assembly records the time its tests took');
  assert.ok(a.fullSuiteMs !== undefined && a.fullSuiteMs > 0 && a.fullSuiteMs <= a.testMs, 'the full suite is part of it');
  return { testProcesses: a.testProcesses, fullSuiteRuns: a.fullSuiteRuns };
}

describe('assembly: test selection, streaming, rollback and resume', function () {
  this.timeout(300_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('runs the module\'s and the project-level tests after a merge and the full suite on the final head, while the build is still running', async () => {
    let runDir = '';
    const stagesWhenAssemblyStarted: Array<[string, string]> = [];
    const { result, events } = await runPipeline(repo, {
      onEvent: (e) => {
        if (e.type === 'run-started') runDir = e.runDir;
        if (e.type === 'stage-started' && e.stage === 'assemble') {
          const state = RunStateSchema.parse(JSON.parse(fs.readFileSync(path.join(runDir, 'state.json'), 'utf8')));
          for (const s of state.stages.filter((x) => x.id === 'build' || x.id === 'assemble')) stagesWhenAssemblyStarted.push([s.id, s.status]);
        }
      },
    });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    // Both stages start together and are both running in the state; the build ends while assembly runs.
    assert.deepEqual(stagesWhenAssemblyStarted, [['build', 'running'], ['assemble', 'running']]);
    const order = events.filter((e) => e.type === 'stage-started' || e.type === 'stage-ended').map((e) => (e.type === 'stage-started' ? `start ${e.stage}` : e.type === 'stage-ended' ? `end ${e.stage}` : ''));
    assert.ok(order.indexOf('start assemble') < order.indexOf('end build'), order.join(', '));
    // Every merge came after its module passed QC, in assembly order.
    for (const name of ['formatter', 'greeter']) {
      const passed = events.findIndex((e) => e.type === 'module-status' && e.module === name && e.status === 'passed');
      const merged = events.findIndex((e) => e.type === 'merge' && e.module === name);
      assert.ok(passed >= 0 && passed < merged, name);
    }
    assert.deepEqual(landedMerges(repo, result.state), ['integrate: merge formatter module', 'integrate: merge greeter module']);

    const [formatter, greeter] = ['formatter', 'greeter'].map((n) => result.state.merges.find((m) => m.module === n)!);
    assert.equal(formatter!.testScope, 'selected');
    assert.deepEqual(formatter!.testsRun, ['node --test src/formatter/*.test.js', 'node --test tests/*.test.js']);
    assert.equal(greeter!.testScope, 'full');
    assert.deepEqual(greeter!.testsRun, ['node --test']);
    assert.match(greeter!.testReason ?? '', /last module of assembly_order/);
    assert.deepEqual(testWork(result.state), { testProcesses: 3, fullSuiteRuns: 1 });
    const report = read(path.join(result.state.runDir, 'builds', 'assembly-report.md'));
    assert.match(report, /\| formatter \| .* \| clean \| pass \| MERGED \| selected \| `node --test src\/formatter\/\*\.test\.js`, `node --test tests\/\*\.test\.js` \|/);
    assert.match(report, /Assembly test work: 3 test processes, 1 of them the full suite\./);
    // The project-level test the scaffold wrote lives outside every module folder and is on the branch.
    assert.match(repo.git('show', `${result.state.integrationBranch}:tests/modules-load.test.js`), /loads/);
  });

  it('a merge that breaks another module\'s test through a shared file: the final full suite catches it, the first red merge is found, and it and everything after it are rolled back', async () => {
    // mod-01's builder adds a test (in its own folder) leaning on mod-02's scaffold stub. mod-02's
    // merge touches only mod-02's paths, so its selected tests are green; the full suite on the final
    // head (after mod-03) is red, green again before mod-02: mod-02 is the first red merge.
    const { result, events } = await runPipeline(repo, {
      description: syntheticDescription(3, 'chain'),
      scenario: { scenario: 'stub-reliance', target: 'mod-01' },
      config: { fixCycles: 0 },
    });
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason ?? '', /^Assemble: integration tests failed after merging mod-02; the merge was rolled back/);
    assert.deepEqual(landedMerges(repo, result.state), ['integrate: merge mod-01 module']);
    const byModule = new Map(result.state.merges.map((m) => [m.module, m]));
    assert.deepEqual([byModule.get('mod-01')!.status, byModule.get('mod-01')!.testScope], ['MERGED', 'selected']);
    assert.deepEqual([byModule.get('mod-02')!.status, byModule.get('mod-02')!.tests], ['FAILED', 'fail']);
    assert.match(byModule.get('mod-02')!.testReason ?? '', /first red on this merge/);
    assert.deepEqual([byModule.get('mod-03')!.status, byModule.get('mod-03')!.testScope, byModule.get('mod-03')!.testsRun], ['SKIPPED', 'full', ['node --test']]);
    assert.match(byModule.get('mod-03')!.testReason ?? '', /first red after merging mod-02/);
    assert.deepEqual(
      result.state.modules.map((m) => `${m.name}:${m.status}`),
      ['mod-01:merged', 'mod-02:passed', 'mod-03:passed'],
    );
    // mod-01: 2 selected; mod-02: 2 selected (green); mod-03: the full suite (red); walking back: red before mod-03, green before mod-02.
    assert.deepEqual(testWork(result.state), { testProcesses: 7, fullSuiteRuns: 3 });
    const failure = read(path.join(result.state.runDir, 'qc', 'integration-mod-02-qc.md'));
    assert.match(failure, /mod-01 still sees mod-02 as the scaffold left it/);
    assert.ok(events.some((e) => e.type === 'log' && /first red after merging mod-02; rolled back to before it/.test(e.message)));
  });

  it('speculative merge queue: a red merge rolls back every merge after it, which is merged and tested again after the fix', async () => {
    // Wide: mod-02..mod-04 depend on mod-01 only. mod-03's builder adds a test leaning on mod-02's
    // scaffold stub: green in its worktree, red among its own tests once mod-02 is really merged.
    // With the whole build done first and a queue of 3, mod-04 is merged and under test when mod-03 goes red.
    const { result, events } = await runPipeline(repo, {
      description: syntheticDescription(4, 'wide'),
      scenario: { scenario: 'sibling-stub', target: 'mod-03' },
      config: { streamAssembly: false, assemblyQueueDepth: 3 },
    });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const testsOf = (name: string) => events.filter((e) => e.type === 'merge' && e.module === name).map((e) => (e.type === 'merge' ? e.tests : ''));
    assert.deepEqual(['mod-01', 'mod-02', 'mod-03', 'mod-04'].map(testsOf), [['pass'], ['pass'], ['fail', 'pass'], ['not-run', 'pass']]);
    assert.ok(events.some((e) => e.type === 'log' && /merge of mod-03 was red: rolled back with mod-04 after it/.test(e.message)));
    assert.equal(result.state.modules.find((m) => m.name === 'mod-03')!.fixCycles, 1);
    assert.match(read(path.join(result.state.runDir, 'qc', 'integration-mod-03-qc.md')), /mod-03 still sees mod-02 as the scaffold left it/);
    // One merge per module landed, in order; every recorded merge is green; no test tree is left.
    assert.deepEqual(landedMerges(repo, result.state), ['mod-01', 'mod-02', 'mod-03', 'mod-04'].map((n) => `integrate: merge ${n} module`));
    assert.deepEqual(result.state.merges.map((m) => `${m.module}:${m.status}:${m.testScope}`), ['mod-01:MERGED:selected', 'mod-02:MERGED:selected', 'mod-03:MERGED:selected', 'mod-04:MERGED:full']);
    assert.deepEqual(fs.readdirSync(path.join(result.state.runDir, 'worktrees', '.assembly')), []);
    assert.equal(repo.git('worktree', 'list').split('\n').filter((l) => l.includes('.assembly')).length, 0);
  });

  it('a run stopped while assembly had sent a module back to its builder resumes that fix cycle, with the failure, and finishes', async () => {
    let cancel: () => void = () => undefined;
    const first = await runPipeline(repo, {
      description: syntheticDescription(4, 'wide'),
      scenario: { scenario: 'sibling-stub', target: 'mod-03' },
      config: { streamAssembly: false },
      onStart: (c) => (cancel = c),
      onEvent: (e) => {
        if (e.type === 'log' && /mod-03; sending it back to its builder/.test(e.message)) cancel();
      },
    });
    assert.equal(first.result.status, 'cancelled');
    const stopped = first.result.state.modules.find((m) => m.name === 'mod-03')!;
    assert.notEqual(stopped.status, 'passed');
    assert.equal(first.result.state.stages.find((st) => st.id === 'build')!.status, 'done', 'the build stage had ended: a resume skips it');

    const second = await resumePipeline(repo, first.result.state.runId, undefined, { scenario: 'sibling-stub', target: 'mod-03' }, { ...FAST_CONFIG, streamAssembly: false });
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
    assert.ok(second.events.some((e) => e.type === 'log' && /mod-03 is \w+ \(the run stopped while it was back with its builder\); its fix cycle runs again/.test(e.message)));
    const builder = second.events.find((e) => e.type === 'agent-started' && e.role === 'builder' && e.module === 'mod-03');
    assert.ok(builder, 'mod-03 went back to its builder on resume');
    assert.deepEqual(landedMerges(repo, second.result.state), ['mod-01', 'mod-02', 'mod-03', 'mod-04'].map((n) => `integrate: merge ${n} module`));
  });

  it('a run killed between a merge and its state write merges that module once on resume, testing it again', async () => {
    let cancel: () => void = () => undefined;
    const first = await runPipeline(repo, {
      onStart: (c) => (cancel = c),
      onEvent: (e) => {
        if (e.type === 'merge' && e.module === 'formatter' && e.tests === 'pass') cancel();
      },
    });
    assert.equal(first.result.status, 'cancelled');
    // What a kill at that moment leaves: the merge commit on the branch, the state not recording it.
    const stateFile = path.join(first.result.state.runDir, 'state.json');
    const state = RunStateSchema.parse(JSON.parse(read(stateFile)));
    assert.deepEqual(landedMerges(repo, state), ['integrate: merge formatter module']);
    const formatter = state.modules.find((m) => m.name === 'formatter')!;
    formatter.status = 'passed';
    formatter.mergeCommit = undefined;
    state.merges = [];
    fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
    // And test trees a kill mid-test leaves: a detached worktree, and a folder cut short while it was made.
    const testTrees = path.join(state.runDir, 'worktrees', '.assembly');
    repo.git('worktree', 'add', '--quiet', '--detach', path.join(testTrees, 'greeter'), 'HEAD');
    fs.mkdirSync(path.join(testTrees, 'formatter.final-suite', 'src'), { recursive: true });
    fs.writeFileSync(path.join(testTrees, 'formatter.final-suite', 'src', 'left.js'), '// left by the killed run\n');
    // Not a test tree: a branch someone checked out in there by hand is left where it is.
    repo.git('worktree', 'add', '--quiet', '-b', 'someone/work', path.join(testTrees, 'by-hand'), 'HEAD');

    const second = await resumePipeline(repo, state.runId);
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
    assert.deepEqual(landedMerges(repo, second.result.state), ['integrate: merge formatter module', 'integrate: merge greeter module']);
    assert.ok(second.events.some((e) => e.type === 'log' && /found a merge of formatter that the run state does not record/.test(e.message)));
    assert.equal(second.result.state.merges.find((m) => m.module === 'formatter')!.tests, 'pass');
    const journal = readJournal(path.join(second.result.state.runDir, 'journal.jsonl'));
    assert.equal(journal.filter((e) => e.type === 'merge' && e.module === 'formatter' && e.tests === 'pass').length, 2, 'tested before the kill and again after it');
    assert.deepEqual(fs.readdirSync(testTrees), ['by-hand'], 'the test trees the kill left are gone, the checkout by hand is not');
    assert.ok(!/\.assembly\/(greeter|formatter)/.test(repo.git('worktree', 'list')), 'and git no longer lists them');
    assert.ok(second.events.some((e) => e.type === 'log' && e.level === 'warn' && /by-hand where it is: .*not a detached throwaway tree/.test(e.message)));
    assert.ok(second.events.some((e) => e.type === 'log' && /removed 2 test tree\(s\) left by an earlier process/.test(e.message)));
  });
});
