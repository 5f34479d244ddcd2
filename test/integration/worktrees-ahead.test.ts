// Worktrees checked out ahead (src/core/stages/worktreesAhead.ts): a module's worktree is checked
// out while its dependency builds and gets the dependencies merged while the last of them is in QC
// (preparedAhead.ts), taken when that one passes; merged again when a dependency failed QC and was
// fixed meanwhile; one made ahead for a module that never starts is removed; one a stopped run left
// half-prepared is made again on resume.
// The project: synthetic 4-module diamond (mod-01; mod-02 and mod-03 on it; mod-04 on both).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeRepo, resumePipeline, runPipeline, type TestRepo } from './harness';
import { syntheticDescription } from '../../src/scripted';

const DIAMOND = syntheticDescription(4, 'diamond');

describe('module worktrees checked out ahead', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  const branches = () => repo.git('branch', '--list', '--format=%(refname:short)').split('\n').filter(Boolean);
  const registered = () => repo.git('worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice(9));
  /** The engine's merges on a module branch's own line, oldest first. */
  const dependencyMerges = (branch: string) => repo.git('log', '--first-parent', '--merges', '--format=%s', branch).split('\n').filter(Boolean).reverse();

  it('checks out a module\'s worktree while its dependency builds, and merges the dependencies in while the last of them is in QC', async () => {
    // When mod-01 (the root) has passed, before its dependents' preparations begin, their worktrees are
    // there already. (Asked when it passes rather than when it reaches QC: the checkouts ahead run one
    // at a time at a lower priority, and a loaded machine may not have finished the second by then.)
    const seen: string[] = [];
    const handedOver: string[] = [];
    const prepared: Record<string, boolean> = {};
    const { result } = await runPipeline(repo, {
      description: DIAMOND,
      onEvent: (e) => {
        if (e.type === 'module-status' && e.status === 'qc') handedOver.push(e.module);
        if (e.type === 'worktree-added') prepared[e.module] = e.preparedAhead === true;
        if (e.type === 'module-status' && e.module === 'mod-01' && e.status === 'passed' && seen.length === 0) {
          seen.push(...registered().filter((p) => /[\\/]worktrees[\\/]mod-0[234]$/.test(p)).map((w) => path.basename(w)).sort());
        }
      },
    });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const module = (name: string) => result.state.modules.find((m) => m.name === name)!;
    // mod-02 and mod-03 depend on mod-01 alone; mod-04 waits for them and is not checked out yet.
    assert.deepEqual(seen, ['mod-02', 'mod-03']);
    // Prepared while mod-01 was in QC, and taken: the scaffold commit with mod-01's graded commit merged in.
    for (const name of ['mod-02', 'mod-03']) {
      assert.equal(prepared[name], true, `${name} was prepared while mod-01 was in QC`);
      assert.equal(repo.git('rev-list', '--parents', '-n', '1', module(name).baseCommit!), `${module(name).baseCommit} ${result.state.scaffoldCommit} ${module('mod-01').builtCommit}`);
    }
    assert.equal(prepared['mod-01'], false);
    // Its builder started from its dependencies: one merge each, in the order they were handed over to
    // QC, made while the last of them was in QC and taken when it passed.
    const mod04 = module('mod-04');
    const depsInHandOverOrder = handedOver.filter((m) => m === 'mod-02' || m === 'mod-03');
    assert.equal(depsInHandOverOrder.length, 2, handedOver.join(', '));
    assert.deepEqual(dependencyMerges(mod04.branch).slice(0, 2), depsInHandOverOrder.map((dep) => `build(mod-04): bring in dependency ${dep}`));
    assert.equal(prepared['mod-04'], true, 'mod-04 was prepared while its last dependency was in QC');
    for (const dep of ['mod-02', 'mod-03']) repo.git('merge-base', '--is-ancestor', module(dep).builtCommit!, mod04.baseCommit!);
    // Every module's worktree was removed after it passed, those made ahead included.
    assert.ok(!registered().some((w) => w.includes(`${path.sep}worktrees${path.sep}mod-`)), registered().join('\n'));
  });

  it('a worktree prepared while a dependency was in QC is not taken when that dependency fails and is fixed: merged again with the fixed branch', async () => {
    // A chain: mod-03 depends on mod-02 alone, so it is prepared when mod-02's first build is handed
    // over to QC; that build fails QC (FAIL-MAJOR) and its fix cycle passes.
    let prepared: boolean | undefined;
    const notes: string[] = [];
    const { result } = await runPipeline(repo, {
      description: syntheticDescription(3, 'chain'),
      scenario: { scenario: 'qc-major-then-pass', target: 'mod-02' },
      onEvent: (e) => {
        if (e.type === 'worktree-added' && e.module === 'mod-03') prepared = e.preparedAhead === true;
        if (e.type === 'log' && e.message.startsWith('mod-03: ')) notes.push(e.message);
      },
    });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const module = (name: string) => result.state.modules.find((m) => m.name === name)!;
    assert.equal(module('mod-02').fixCycles, 1);
    assert.equal(prepared, false, 'what was prepared with the failed build was not taken');
    assert.ok(
      notes.some((n) => /^mod-03: the worktree prepared while its last dependency was in QC is made again: a dependency was handed over to QC again after it$/.test(n)),
      notes.join('\n'),
    );
    // Based on the commit that passed, one merge of it; the failed build is in mod-02's history only.
    const mod03 = module('mod-03');
    assert.equal(repo.git('rev-list', '--parents', '-n', '1', mod03.baseCommit!), `${mod03.baseCommit} ${result.state.scaffoldCommit} ${module('mod-02').builtCommit}`);
    assert.deepEqual(dependencyMerges(mod03.branch).slice(0, 1), ['build(mod-03): bring in dependency mod-02']);
    assert.ok(!registered().some((w) => w.includes(`${path.sep}worktrees${path.sep}mod-`)), registered().join('\n'));
  });

  it('a worktree checked out ahead for a module that never starts (a dependency failed) is removed with its branch', async () => {
    // When mod-02 fails (after its fix cycle), mod-04's worktree is there, checked out ahead.
    let whileWaiting = false;
    const { result } = await runPipeline(repo, {
      description: DIAMOND,
      scenario: { scenario: 'qc-major-always', target: 'mod-02' },
      config: { fixCycles: 1 },
      onEvent: (e) => {
        if (e.type === 'module-status' && e.module === 'mod-02' && e.status === 'failed') whileWaiting = registered().some((w) => /[\\/]worktrees[\\/]mod-04$/.test(w));
      },
    });
    assert.equal(result.status, 'halted');
    const mod04 = result.state.modules.find((m) => m.name === 'mod-04')!;
    assert.equal(mod04.status, 'cancelled');
    assert.ok(whileWaiting, 'mod-04 was checked out ahead');
    assert.ok(!branches().includes(mod04.branch), `branch ${mod04.branch} left: ${branches().join(', ')}`);
    const wt = path.join(result.state.runDir, 'worktrees', 'mod-04');
    assert.ok(!fs.existsSync(wt), 'no folder left for mod-04');
    assert.ok(!registered().includes(wt), 'no worktree registered for mod-04');
    // The failed module's worktree is kept for the user, as before.
    assert.ok(fs.existsSync(path.join(result.state.runDir, 'worktrees', 'mod-02')));
  });

  it('a worktree a stopped run left half-prepared (one dependency merged, no base recorded) is made again on resume', async () => {
    const first = await runPipeline(repo, { description: DIAMOND, scenario: { scenario: 'qc-major-always', target: 'mod-02' }, config: { fixCycles: 1 } });
    assert.equal(first.result.status, 'halted');
    const state = first.result.state;
    const mod03 = state.modules.find((m) => m.name === 'mod-03')!;
    const mod04 = state.modules.find((m) => m.name === 'mod-04')!;
    // What a run killed in the middle of mod-04's preparation leaves: its branch from the scaffold
    // commit with mod-03 merged in, its worktree, and no base commit in the state.
    const wt = path.join(state.runDir, 'worktrees', 'mod-04');
    repo.git('worktree', 'add', '-q', '-b', mod04.branch, wt, state.scaffoldCommit!);
    const gitIn = (args: string[]) => repo.git('-C', wt, '-c', 'user.name=t', '-c', 'user.email=t@x.invalid', ...args);
    gitIn(['merge', '--no-ff', '-q', '-m', 'build(mod-04): bring in dependency mod-03', mod03.branch]);
    const halfPrepared = gitIn(['rev-parse', 'HEAD']);
    assert.equal(mod04.baseCommit, undefined);

    const resumed = await resumePipeline(repo, state.runId);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    const after = resumed.result.state.modules.find((m) => m.name === 'mod-04')!;
    // Made again from the scaffold commit with both dependencies, not built on the half-prepared one.
    repo.git('merge-base', '--is-ancestor', resumed.result.state.modules.find((m) => m.name === 'mod-02')!.builtCommit!, after.baseCommit!);
    assert.notEqual(repo.git('merge-base', after.baseCommit!, halfPrepared), halfPrepared, 'the half-prepared commit is not in the rebuilt branch');
  });
});
