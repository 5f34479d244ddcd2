// Stage 6 (ship) and the second gate: the scripted shipping agent through the real SDK, then the one
// engine merge into the user's branch, on real git repositories.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { GateAnswer, GateHandler, GateRequest } from '../../src/core/api';
import type { ReceivedRequest } from '../../src/scripted';
import type { PipelineEvent } from '../../src/core/events';
import { readJournal } from '../../src/core/run/journal';
import { FAST_CONFIG, makeCleanRepo, makeRepo, read, resumePipeline, runPipeline, type TestRepo } from './harness';
import { fingerprint } from './audit.test';

const FULL = { ...FAST_CONFIG, stopAfter: undefined };

/** Approves the blueprint; at the ship gate plays `ship` in order (then approves). */
function gates(ship: (GateAnswer | ((req: GateRequest) => GateAnswer))[]): GateHandler & { shipRequests: GateRequest[] } {
  const shipRequests: GateRequest[] = [];
  const handler = (async (req: GateRequest) => {
    if (req.gate !== 'ship') return { decision: 'approve' };
    shipRequests.push(req);
    const next = ship.shift() ?? { decision: 'approve' };
    return typeof next === 'function' ? next(req) : next;
  }) as unknown as GateHandler & { shipRequests: GateRequest[] };
  handler.shipRequests = shipRequests;
  return handler;
}

/**
 * A clean repository holding an existing JavaScript project whose package.json has its own `test`,
 * `build` and `lint` scripts (the scripted architect keeps them: `npm test`, `npm run build`,
 * `npm run lint`). `build.js` and `lint.js` exit with the given codes and say so.
 */
function projectWithBuildAndLint(build: 0 | 1, lint: 0 | 1): TestRepo {
  const repo = makeCleanRepo();
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(repo.root, rel)), { recursive: true });
    fs.writeFileSync(path.join(repo.root, rel), text);
  };
  write('package.json', JSON.stringify({ name: 'existing-app', version: '1.0.0', private: true, scripts: { test: 'node --test', build: 'node build.js', lint: 'node lint.js' } }, null, 2) + '\n');
  write('build.js', `console.log(${JSON.stringify(build ? 'build: cannot compile lib/greeter (scripted failure)' : 'build: ok')});\nprocess.exit(${build});\n`);
  write('lint.js', `console.log(${JSON.stringify(lint ? 'lint: lib/greeter/index.js:1 prefer-const (scripted warning)' : 'lint: clean')});\nprocess.exit(${lint});\n`);
  write('lib/double.js', "'use strict';\nmodule.exports = { double: (n) => n * 2 };\n");
  write('lib/double.test.js', "'use strict';\nconst test = require('node:test');\nconst assert = require('node:assert/strict');\nconst { double } = require('./double');\ntest('existing: double doubles', () => assert.equal(double(21), 42));\n");
  repo.git('add', '.');
  repo.git('commit', '-q', '-m', 'user: existing app with build and lint scripts');
  return repo;
}

function parents(repo: TestRepo, rev: string): string[] {
  return repo.git('rev-list', '--parents', '-n', '1', rev).split(' ').slice(1);
}

describe('Stage 6 ship and the ship gate (scripted model, real git)', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  afterEach(() => repo.cleanup());

  it('approved on a clean tree: one --no-ff merge commit on main, history intact, the checkout follows', async () => {
    repo = makeCleanRepo();
    const oldHead = repo.git('rev-parse', 'main');
    const gate = gates([]);
    const { result } = await runPipeline(repo, { gate, config: FULL });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const req = gate.shipRequests[0]!;
    assert.match(req.title, /merge orchestration\/.*\/integration into main/);
    assert.match(req.summary, /formatter PASS, greeter PASS/);
    assert.match(req.summary, /Tests: pass/);
    assert.match(read(req.openPath!), /## Changes against main/);

    const main = repo.git('rev-parse', 'main');
    const [first, second] = parents(repo, main);
    assert.equal(first, oldHead, 'the old head is the first parent');
    // The shipped commit is the integration branch as it was at the gate, and nothing came after it:
    // Stage 7 (curate) ran before the gate, so the memory the next run starts from is on main.
    assert.equal(second, repo.git('rev-parse', result.state.integrationBranch), 'nothing was committed after the ship');
    assert.ok(repo.git('ls-tree', '--name-only', 'main', '.orchestration/training/').split('\n').includes('.orchestration/training/state.jsonl'), 'the state pairs curate regenerated are on main');
    assert.match(repo.git('show', 'main:.orchestration/brains/greeter-builder.md'), new RegExp(`^## Last Updated: end of run|^## Final state \\(run ${result.state.runId}\\)`, 'm'), "the builder's brain is in its final state on main");
    assert.ok(repo.git('ls-tree', '--name-only', 'main', '.orchestration/memory/summaries/').includes('shipper.jsonl'), "the shipping agent's own summary is on main");
    assert.equal(result.state.shipped?.commit, main);
    const report = JSON.parse(read(path.join(result.state.runDir, 'report.json')));
    assert.deepEqual(report.shipped, { branch: 'main', commit: main });
    assert.match(read(path.join(result.state.runDir, 'report.md')), /\| shipped \| into main as [0-9a-f]{12} \|/);
    assert.equal(repo.git('status', '--porcelain', '--untracked-files=all'), '', 'the checkout moved with the branch, nothing left over');
    assert.match(read(path.join(repo.root, 'CHANGELOG.md')), /## \[0\.2\.0\]/);
    assert.match(read(path.join(repo.root, 'README.md')), /## greeter-cli\n\nBuilt by Build Pipeline/);
    assert.equal(JSON.parse(read(path.join(repo.root, 'package.json'))).version, '0.2.0');
    assert.ok(fs.existsSync(path.join(repo.root, 'src', 'greeter', 'index.js')));
  });

  it("the shipping agent's changes beyond the release files are not shipped: an install script, a dependency, a file its shell left", async () => {
    repo = makeCleanRepo();
    // And what a stopped shipping agent may have left uncommitted in the integration worktree: a
    // build script in package.json. It is judged against the commit, not taken as the starting point.
    const leftover = (e: PipelineEvent) => {
      if (e.type !== 'stage-started' || e.stage !== 'ship') return;
      const runs = path.join(repo.root, '.git', 'build-pipeline', 'runs');
      const file = path.join(runs, fs.readdirSync(runs)[0]!, 'worktrees', 'integration', 'package.json');
      const pkg = JSON.parse(read(file)) as { scripts?: Record<string, string> };
      fs.writeFileSync(file, JSON.stringify({ ...pkg, scripts: { ...pkg.scripts, prepare: 'node steal.js' } }, null, 2) + '\n');
    };
    const { result, events } = await runPipeline(repo, { scenario: { scenario: 'shipper-overreach' }, gate: gates([]), onEvent: leftover, config: FULL });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const pkg = JSON.parse(repo.git('show', 'main:package.json')) as { version: string; scripts?: Record<string, string>; dependencies?: Record<string, string> };
    assert.equal(pkg.version, '0.2.0', 'the version bump is kept');
    assert.equal(pkg.scripts?.['postinstall'], undefined);
    assert.equal(pkg.scripts?.['prepare'], undefined, "a stopped agent's leftover is not the baseline");
    assert.equal(pkg.dependencies?.['left-pad'], undefined);
    for (const ref of ['main', result.state.integrationBranch]) assert.ok(!repo.git('ls-tree', '--name-only', ref).split('\n').includes('release-notes.tmp'), ref);
    assert.ok(!fs.existsSync(path.join(repo.root, 'release-notes.tmp')));
    const notes = events.filter((e) => e.type === 'containment' && e.agentId.startsWith('shipper-')).map((e) => (e as { detail: string }).detail).join('\n');
    assert.match(notes, /package\.json: the shipping agent changed more than the version; the rest was undone \(its version change kept\)/);
    assert.match(notes, /left out of the commit and discarded .*release-notes\.tmp/);
  });

  it('on a dirty tree: stops at the gate naming the files, changes nothing, and ships after the tree is clean', async () => {
    repo = makeRepo();
    const before = fingerprint(repo);
    const { result } = await runPipeline(repo, { gate: gates([]), config: FULL });
    assert.equal(result.status, 'awaiting-approval', result.state.haltReason ?? '');
    for (const f of ['notes.txt', 'staged.txt', 'untracked.txt']) assert.match(result.state.haltReason ?? '', new RegExp(f.replace('.', '\\.')));
    const after = fingerprint(repo);
    // Only the engine's own refs may differ: every user file, the index, HEAD and main are byte-identical.
    for (const key of Object.keys(before).filter((k) => k !== '<refs>' && k !== '<worktrees>')) assert.equal(after[key], before[key], key);
    const mainRef = (refs: string) => refs.split('\n').find((l) => l.startsWith('refs/heads/main '));
    assert.equal(mainRef(after['<refs>']!), mainRef(before['<refs>']!));
    assert.equal(result.state.stages.find((s) => s.id === 'ship')!.status, 'waiting');

    repo.git('stash', 'push', '-q', '--include-untracked');
    const resumed = await resumePipeline(repo, result.state.runId, gates([]), {}, FULL);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    assert.equal(parents(repo, 'main').length, 2);
    const journal = read(path.join(result.state.runDir, 'journal.jsonl'));
    assert.equal((journal.match(/"agentId":"shipper-/g) ?? []).length > 0, true);
    assert.equal(resumed.events.filter((e) => e.type === 'agent-started' && e.role === 'shipper').length, 0, 'the release was not prepared twice');
  });

  it('base moved since the start: merged when clean and green; a conflicting move stops at the gate with a report', async () => {
    repo = makeCleanRepo();
    const userCommit = (file: string, content: string) => () => {
      fs.writeFileSync(path.join(repo.root, file), content);
      repo.git('add', file);
      repo.git('commit', '-q', '-m', `user: ${file}`);
      return { decision: 'approve' } as GateAnswer;
    };
    const { result } = await runPipeline(repo, { gate: gates([userCommit('later.txt', 'user work after the start\n')]), config: FULL });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const [first] = parents(repo, 'main');
    assert.equal(repo.git('log', '-1', '--format=%s', first!), 'user: later.txt');
    assert.ok(fs.existsSync(path.join(repo.root, 'later.txt')));

    const other = makeCleanRepo();
    try {
      const conflicting = () => {
        fs.writeFileSync(path.join(other.root, 'CHANGELOG.md'), '# Changelog\n\nmy own entry\n');
        other.git('add', 'CHANGELOG.md');
        other.git('commit', '-q', '-m', 'user: changelog');
        return { decision: 'approve' } as GateAnswer;
      };
      const moved = other.git('rev-parse', 'HEAD');
      const r2 = await runPipeline(other, { gate: gates([conflicting]), config: FULL });
      assert.equal(r2.result.status, 'awaiting-approval', r2.result.state.haltReason ?? '');
      assert.match(r2.result.state.haltReason ?? '', /conflicts in CHANGELOG\.md/);
      assert.match(read(path.join(r2.result.state.runDir, 'conflicts', 'ship-merge.md')), /CHANGELOG\.md/);
      assert.notEqual(other.git('rev-parse', 'main'), moved, 'the user commit is there');
      assert.equal(parents(other, 'main').length, 1, 'no merge landed');
      assert.equal(other.git('status', '--porcelain'), '');
    } finally {
      other.cleanup();
    }
  });

  it('request changes sends the feedback to the shipping agent; reject leaves main alone and the integration branch for the user', async () => {
    repo = makeCleanRepo();
    const { result } = await runPipeline(repo, { gate: gates([{ decision: 'changes', feedback: 'Mention the MIT licence' }]), config: FULL });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.match(read(path.join(repo.root, 'CHANGELOG.md')), /Mention the MIT licence/);
    assert.deepEqual(result.state.gates.filter((g) => g.gate === 'ship').map((g) => g.decision), ['changes', 'approve']);

    const other = makeCleanRepo();
    try {
      const head = other.git('rev-parse', 'main');
      const r2 = await runPipeline(other, { gate: gates([{ decision: 'reject', reason: 'not now' }]), config: FULL });
      assert.equal(r2.result.status, 'halted');
      assert.match(r2.result.state.haltReason ?? '', /rejected at the ship gate: not now/);
      assert.equal(other.git('rev-parse', 'main'), head);
      assert.ok(other.git('rev-parse', '--verify', r2.result.state.integrationBranch));
    } finally {
      other.cleanup();
    }
  });

  it('stopped at the gate (decide later) and resumed: merges exactly once', async () => {
    repo = makeCleanRepo();
    const { result } = await runPipeline(repo, { gate: gates([{ decision: 'later' }]), config: FULL });
    assert.equal(result.status, 'awaiting-approval');
    const head = repo.git('rev-parse', 'main');
    const resumed = await resumePipeline(repo, result.state.runId, gates([]), {}, FULL);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    assert.deepEqual(parents(repo, 'main')[0], head);
    assert.equal(repo.git('rev-list', '--first-parent', '--count', `${head}..main`), '1', 'one merge commit on main, made once');
  });

  it('a run stored with curate after ship (as runs were made before) resumes in that order: the ship gate is asked once, then curate', async () => {
    repo = makeCleanRepo();
    const { result } = await runPipeline(repo, { gate: gates([{ decision: 'later' }]), config: FULL });
    assert.equal(result.status, 'awaiting-approval');
    // What such a run left at its ship gate: curate listed last and still pending.
    const stateFile = path.join(result.state.runDir, 'state.json');
    const state = JSON.parse(read(stateFile)) as { stages: { id: string; status: string; attempts: number; detail?: string }[] };
    const curate = state.stages.find((st) => st.id === 'curate')!;
    state.stages = [...state.stages.filter((st) => st.id !== 'curate'), { ...curate, status: 'pending', attempts: 0, detail: undefined }];
    fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
    const head = repo.git('rev-parse', 'main');

    const gate = gates([]);
    const resumed = await resumePipeline(repo, result.state.runId, gate, {}, FULL);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    assert.equal(gate.shipRequests.length, 1, 'the gate was not asked again because curate committed under it');
    assert.equal(repo.git('rev-list', '--first-parent', '--count', `${head}..main`), '1', 'one merge commit on main');
    const started = resumed.events.filter((e) => e.type === 'stage-started').map((e) => (e as { stage: string }).stage);
    assert.deepEqual(started, ['curate'], 'curate ran after the ship merge, as the run was made');
    assert.deepEqual(resumed.result.state.stages.slice(-2).map((st) => `${st.id}:${st.status}`), ['ship:done', 'curate:done']);
  });

  it('started on a detached HEAD: the ship stage says so before the shipping agent runs, and changes nothing', async () => {
    repo = makeCleanRepo();
    repo.git('checkout', '-q', '--detach');
    const head = repo.git('rev-parse', 'HEAD');
    const { result, events } = await runPipeline(repo, { gate: gates([]), config: FULL });
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason ?? '', /detached HEAD, so there is no branch to ship into; orchestration\/.*\/integration holds the result/);
    assert.equal(events.filter((e) => e.type === 'agent-started' && e.role === 'shipper').length, 0, 'no release was prepared');
    assert.deepEqual(result.state.stages.map((st) => `${st.id}:${st.status}`).slice(-3), ['harden:done', 'curate:done', 'ship:failed']);
    assert.equal(repo.git('rev-parse', 'HEAD'), head);
    assert.equal(repo.git('rev-parse', 'main'), head);
  });

  it("main's ref lock held by another git as the checkout is fast-forwarded: the files git already wrote are put back, and the resume asks the gate again", async () => {
    repo = makeCleanRepo();
    const lock = path.join(repo.root, '.git', 'refs', 'heads', 'main.lock');
    const lockMain = () => {
      fs.writeFileSync(lock, '');
      return { decision: 'approve' } as GateAnswer;
    };
    const head = repo.git('rev-parse', 'main');
    const { result } = await runPipeline(repo, { gate: gates([lockMain]), config: FULL });
    assert.equal(result.status, 'awaiting-approval', result.state.haltReason ?? '');
    assert.match(result.state.haltReason ?? '', /git refused the fast-forward in .*; the files it had already written were put back as they were/);
    assert.equal(repo.git('rev-parse', 'main'), head, 'nothing merged');
    assert.equal(repo.git('status', '--porcelain', '--untracked-files=all'), '', 'the checkout is as it was, not full of the merge as uncommitted changes');
    fs.rmSync(lock);

    const gate = gates([]);
    const resumed = await resumePipeline(repo, result.state.runId, gate, {}, FULL);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    assert.equal(gate.shipRequests.length, 1);
    assert.equal(parents(repo, 'main')[0], head);
  });

  it('an error after the approval (the integration branch deleted) leaves the stage at its gate: the resume asks again and does not prepare the release again', async () => {
    repo = makeCleanRepo();
    let integration = '';
    let integrationHead = '';
    const deleteIntegration = (req: GateRequest) => {
      integration = /merge (orchestration\/\S+\/integration) into/.exec(req.title)![1]!;
      integrationHead = repo.git('rev-parse', integration);
      repo.git('update-ref', '-d', `refs/heads/${integration}`);
      return { decision: 'approve' } as GateAnswer;
    };
    const head = repo.git('rev-parse', 'main');
    const { result } = await runPipeline(repo, { gate: gates([deleteIntegration]), config: FULL });
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason ?? '', /^Ship: .*\(its work stands: resume asks the ship gate again\)$/);
    const ship = result.state.stages.find((st) => st.id === 'ship')!;
    assert.equal(ship.status, 'waiting', ship.detail ?? '');
    assert.equal(repo.git('rev-parse', 'main'), head, 'nothing merged');
    repo.git('update-ref', `refs/heads/${integration}`, integrationHead);

    const gate = gates([]);
    const resumed = await resumePipeline(repo, result.state.runId, gate, {}, FULL);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    assert.equal(gate.shipRequests.length, 1, 'the ship gate was asked again');
    assert.equal(resumed.events.filter((e) => e.type === 'agent-started' && e.role === 'shipper').length, 0, 'the release was not prepared again');
    assert.equal(parents(repo, 'main')[0], head);
  });

  it('stopped as the ship checks start: no FAIL is recorded for checks that did not run, and the resume checks and ships', async () => {
    repo = makeCleanRepo();
    let cancel: () => void = () => undefined;
    const first = await runPipeline(repo, {
      gate: gates([]),
      onStart: (c) => (cancel = c),
      onEvent: (e) => {
        if (e.type === 'log' && /^ship: running /.test(e.message)) cancel();
      },
      config: FULL,
    });
    assert.equal(first.result.status, 'cancelled', first.result.state.haltReason ?? '');
    assert.ok(!fs.existsSync(path.join(first.result.state.runDir, 'ship-checks.json')), 'no ship-checks.json of killed checks');
    const resumed = await resumePipeline(repo, first.result.state.runId, gates([]), {}, FULL);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    const checks = JSON.parse(read(path.join(first.result.state.runDir, 'ship-checks.json'))) as { tests: { ok: boolean } };
    assert.equal(checks.tests.ok, true);
  });

  it('stopped in the moment of the approval: nothing is merged into main; the resume asks the ship gate again (the release is not prepared again) and ships once', async () => {
    repo = makeCleanRepo();
    let cancel: () => void = () => undefined;
    const first = await runPipeline(repo, {
      // The user presses Stop just as the approval reaches the engine.
      gate: gates([() => (cancel(), { decision: 'approve' })]),
      onStart: (c) => (cancel = c),
      config: FULL,
    });
    const head = repo.git('rev-parse', 'main');
    assert.equal(first.result.status, 'cancelled', first.result.state.haltReason ?? '');
    assert.equal(repo.git('rev-list', '--count', `${first.result.state.baseCommit}..main`), '0', 'main did not move after the stop');
    assert.equal(first.result.state.shipped, undefined);
    assert.equal(first.result.state.stages.find((s) => s.id === 'ship')!.status, 'waiting', 'the ship stage waits at its gate');
    const gate = gates([]);
    const resumed = await resumePipeline(repo, first.result.state.runId, gate, {}, FULL);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    assert.equal(gate.shipRequests.length, 1, 'the ship gate was asked again');
    assert.ok(first.events.some((e) => e.type === 'agent-started' && e.role === 'shipper'), 'the first run prepared the release');
    assert.ok(!resumed.events.some((e) => e.type === 'agent-started' && e.role === 'shipper'), 'the shipping agent did not run again: the release stands');
    assert.deepEqual(parents(repo, 'main')[0], head);
    assert.equal(repo.git('rev-list', '--first-parent', '--count', `${head}..main`), '1', 'one merge commit on main, made once');
  });

  it('the integration branch moved without a checkout while the gate waited: the checks run on the moved commit’s files', async () => {
    repo = makeCleanRepo();
    const { result } = await runPipeline(repo, { gate: gates([{ decision: 'later' }]), config: FULL });
    assert.equal(result.status, 'awaiting-approval');
    // A failing test put on the integration branch with plumbing and update-ref: the worktree's files
    // stay the old (passing) ones, and only a run on the commit's own files sees it fail.
    const wt = path.join(result.state.runDir, 'worktrees', 'integration');
    const run = (args: string[], input?: string, env?: NodeJS.ProcessEnv) => execFileSync('git', args, { cwd: wt, encoding: 'utf8', input, env: { ...process.env, ...env } }).trim();
    const index = path.join(result.state.runDir, 'moved-by-hand.index');
    // Red until a file outside the repository exists: what the human can fix without moving the branch.
    const fixedOutside = path.join(path.dirname(repo.root), `${path.basename(repo.root)}-fixed-outside`);
    const blob = run(['hash-object', '-w', '--stdin'], `'use strict';\nrequire('node:test')('moved by hand', () => { if (!require('node:fs').existsSync(${JSON.stringify(fixedOutside)})) throw new Error('moved by hand'); });\n`);
    run(['read-tree', 'HEAD'], undefined, { GIT_INDEX_FILE: index });
    run(['update-index', '--add', '--cacheinfo', `100644,${blob},moved-by-hand.test.js`], undefined, { GIT_INDEX_FILE: index });
    const tree = run(['write-tree'], undefined, { GIT_INDEX_FILE: index });
    fs.rmSync(index, { force: true });
    const moved = run(['-c', 'user.name=u', '-c', 'user.email=u@x.invalid', 'commit-tree', tree, '-p', 'HEAD', '-m', 'by hand, no checkout']);
    run(['update-ref', run(['symbolic-ref', 'HEAD']), moved]);
    assert.ok(!fs.existsSync(path.join(wt, 'moved-by-hand.test.js')), 'the worktree still holds the old files');
    const head = repo.git('rev-parse', 'main');
    const resumed = await resumePipeline(repo, result.state.runId, gates([]), {}, FULL);
    assert.equal(resumed.result.status, 'awaiting-approval');
    assert.match(resumed.result.state.haltReason ?? '', /moved after the ship gate showed/);
    const checks = JSON.parse(read(path.join(result.state.runDir, 'ship-checks.json'))) as { commit: string; tests: { ok: boolean; output: string } };
    assert.equal(checks.commit, moved);
    assert.equal(checks.tests.ok, false, `the moved commit's failing test ran: ${checks.tests.output.slice(-400)}`);
    assert.match(checks.tests.output, /moved by hand/);
    assert.equal(repo.git('rev-parse', 'main'), head, 'main unchanged');
    // Approved at the gate asked again, the red suite is still not merged.
    const approved = await resumePipeline(repo, result.state.runId, gates([]), {}, FULL);
    assert.equal(approved.result.status, 'awaiting-approval');
    assert.match(approved.result.state.haltReason ?? '', new RegExp(`not merged: the full test suite \\(.*\\) fails on ${moved.slice(0, 12)}`));
    assert.equal(repo.git('rev-parse', 'main'), head, 'main still unchanged');
    // Fixed outside the branch and approved again: the checks run again, pass, and the merge goes ahead.
    fs.writeFileSync(fixedOutside, '');
    try {
      const merged = await resumePipeline(repo, result.state.runId, gates([]), {}, FULL);
      assert.equal(merged.result.status, 'succeeded', merged.result.state.haltReason ?? '');
      assert.equal(repo.git('rev-parse', 'main^2'), moved, 'the checked commit merged');
    } finally {
      fs.rmSync(fixedOutside, { force: true });
    }
  });

  it('the integration branch moved while the gate waited: not merged unseen; the checks run again and the gate is asked again', async () => {
    repo = makeCleanRepo();
    const { result } = await runPipeline(repo, { gate: gates([{ decision: 'later' }]), config: FULL });
    assert.equal(result.status, 'awaiting-approval');
    const head = repo.git('rev-parse', 'main');
    // A commit on the integration branch after the gate showed its checks (by hand, while it waited).
    const wt = path.join(result.state.runDir, 'worktrees', 'integration');
    fs.writeFileSync(path.join(wt, 'HANDMADE.md'), 'added while the gate waited\n');
    execFileSync('git', ['-c', 'user.name=u', '-c', 'user.email=u@x.invalid', 'add', 'HANDMADE.md'], { cwd: wt });
    execFileSync('git', ['-c', 'user.name=u', '-c', 'user.email=u@x.invalid', 'commit', '-q', '-m', 'by hand'], { cwd: wt });
    const moved = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: wt, encoding: 'utf8' }).trim();
    const first = await resumePipeline(repo, result.state.runId, gates([]), {}, FULL);
    assert.equal(first.result.status, 'awaiting-approval');
    assert.match(first.result.state.haltReason ?? '', new RegExp(`moved after the ship gate showed [0-9a-f]{12} \\(now ${moved.slice(0, 12)}\\); the checks ran again`));
    assert.equal(repo.git('rev-parse', 'main'), head, 'main unchanged');
    const second = await resumePipeline(repo, result.state.runId, gates([]), {}, FULL);
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
    assert.equal(repo.git('show', 'main:HANDMADE.md'), 'added while the gate waited', 'merged once seen and approved');
  });

  it('killed after the approved merge landed and before it was recorded: resume records it and does not ask the gate again', async () => {
    repo = makeCleanRepo();
    const { result } = await runPipeline(repo, { gate: gates([{ decision: 'later' }]), config: FULL });
    assert.equal(result.status, 'awaiting-approval');
    const head = repo.git('rev-parse', 'main');
    // What the approved merge leaves when the process dies right after it: main holds the --no-ff
    // merge, the run's state does not know.
    repo.git('merge', '--no-ff', '-q', '-m', 'Merge the run (landed, not recorded)', result.state.integrationBranch);
    const merge = repo.git('rev-parse', 'main');
    const gate = gates([{ decision: 'reject' }]);
    const resumed = await resumePipeline(repo, result.state.runId, gate, {}, FULL);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    assert.equal(gate.shipRequests.length, 0, 'the ship gate was not asked again (a reject would have said main was unchanged)');
    assert.deepEqual({ ...resumed.result.state.shipped!, at: '' }, { branch: 'main', commit: merge, previousHead: head, at: '' });
    assert.equal(repo.git('rev-parse', 'main'), merge, 'nothing merged twice');
    assert.equal(resumed.result.state.waitingGate, undefined, 'no gate left waiting on the finished run');
  });

  it('request changes naming modules sends each to its builder (fix cycle, QC, merged again with tests), then the shipping agent, then the gate', async () => {
    repo = makeCleanRepo();
    const requests: ReceivedRequest[] = [];
    const feedback = 'The greeter must cap names at 100 characters, and `formatter` needs a width option for banners.';
    const gate = gates([{ decision: 'changes', feedback }]);
    const { result } = await runPipeline(repo, { gate, scenario: { onRequest: (r) => requests.push(r) }, config: FULL });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.deepEqual(result.state.gates.filter((g) => g.gate === 'ship').map((g) => g.decision), ['changes', 'approve']);
    // Each named module's builder got the feedback on the wire, in a fix cycle.
    for (const name of ['greeter', 'formatter']) {
      const told = requests.map((r) => JSON.stringify(r.messages)).find((t) => /role: builder/.test(t) && t.includes(`module: ${name}`) && t.includes('asked for changes') && t.includes('cap names at 100 characters'));
      assert.ok(told, `${name}'s builder received the ship-gate feedback`);
      const m = result.state.modules.find((x) => x.name === name)!;
      assert.equal(m.fixCycles, 1, `${name}: one fix cycle`);
      assert.equal(m.status, 'merged');
      assert.deepEqual(result.state.merges.filter((x) => x.module === name).map((x) => `${x.tests}/${x.status}`), ['pass/MERGED', 'pass/MERGED'], `${name}: merged by assembly, then again after the fix`);
    }
    const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
    const started = journal.filter((e) => e.type === 'agent-started').map((e) => (e.type === 'agent-started' ? e.agentId : ''));
    assert.ok(started.includes('qc-greeter-2') && started.includes('qc-formatter-2'), 'QC graded both again');
    // The builders came first, then the shipping agent refreshed the docs, told what they changed.
    const shippers = started.filter((id) => id.startsWith('shipper-'));
    assert.equal(shippers.length, 2);
    assert.ok(started.lastIndexOf('qc-greeter-2') < started.lastIndexOf(shippers[1]!) && started.lastIndexOf('qc-formatter-2') < started.lastIndexOf(shippers[1]!));
    const shipperTold = requests.map((r) => JSON.stringify(r.messages)).find((t) => /role: shipper/.test(t) && t.includes('it went to their builders first'));
    assert.ok(shipperTold, 'the shipping agent was told the builders acted');
    assert.match(shipperTold, /formatter \(changed by its builder, passed QC, merged again with green tests\); greeter \(changed by its builder/);
    assert.match(gate.shipRequests[1]!.summary, /Tests: pass/);
    assert.match(read(gate.shipRequests[1]!.openPath!), /## Ship-gate feedback sent to builders\n\n- formatter: changed, QC passed, merged again with green tests\n- greeter: changed/);
    // What shipped is the integration branch with both modules merged again.
    const shipped = parents(repo, 'main')[1]!;
    for (const name of ['greeter', 'formatter']) {
      const commit = result.state.merges.filter((x) => x.module === name).at(-1)!.commit!;
      repo.git('merge-base', '--is-ancestor', commit, shipped);
    }
    // What the builders added to the memory after curate ran is curated too before it ships: no
    // stale state pairs beside the regenerated ones, each brain in its final state, the counts right.
    const pairFiles = repo.git('ls-tree', '--name-only', 'main', '.orchestration/training/').split('\n').filter((f) => f.endsWith('.jsonl') && !f.endsWith('/state.jsonl'));
    for (const f of pairFiles) assert.doesNotMatch(repo.git('show', `main:${f}`), /"taxonomy":"state_status"/, f);
    for (const name of ['greeter', 'formatter']) {
      assert.match(repo.git('show', `main:.orchestration/brains/${name}-builder.md`), new RegExp(`^## Final state \\(run ${result.state.runId}, after the changes asked at the ship gate, round 1\\)\n.*: merged, QC PASS, 1 fix cycle\\(s\\), merged into ${result.state.integrationBranch.replace(/\//g, '\\/')}\\.$`, 'm'), name);
    }
    const report = JSON.parse(fs.readFileSync(path.join(result.state.runDir, 'memory-report.json'), 'utf8')) as { l4: { files: Record<string, number> } };
    for (const f of pairFiles) assert.equal(report.l4.files[path.basename(f)], repo.git('show', `main:${f}`).split('\n').filter((l) => l.trim()).length, f);
  });

  it('feedback naming no module is not sent to any builder', async () => {
    repo = makeCleanRepo();
    const { result } = await runPipeline(repo, { gate: gates([{ decision: 'changes', feedback: 'The greeter-cli section needs an install paragraph' }]), config: FULL });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.ok(result.state.modules.every((m) => m.fixCycles === 0), 'no fix cycle: "greeter-cli" is the project, not a module');
    const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
    assert.equal(journal.filter((e) => e.type === 'agent-started' && e.role === 'builder').length, 2, 'only the two builds of Stage 3');
    assert.match(read(path.join(repo.root, 'CHANGELOG.md')), /The greeter-cli section needs an install paragraph/);
  });

  it('runs the toolchain build and lint on the release commit: green build and red lint ship with a warning at the gate', async () => {
    repo = projectWithBuildAndLint(0, 1);
    const gate = gates([]);
    const { result } = await runPipeline(repo, { gate, config: FULL });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const req = gate.shipRequests[0]!;
    assert.match(req.title, /^Ship ready: .*tests pass, lint warnings\)$/);
    assert.match(req.summary, /Build: pass; Tests: pass; Lint: FAIL \(warning, not blocking\)/);
    const summary = read(req.openPath!);
    assert.match(summary, /Build `npm run build`: \*\*pass\*\*/);
    assert.match(summary, /Tests `npm test`: \*\*pass\*\*/);
    assert.match(summary, /Lint `npm run lint`: \*\*FAIL\*\* \(a warning: shown, not blocking\)\n\n```\n[\s\S]*prefer-const \(scripted warning\)/);
    assert.equal(parents(repo, 'main').length, 2, 'shipped');
    const checks = JSON.parse(read(path.join(result.state.runDir, 'ship-checks.json')));
    assert.deepEqual([checks.build.ok, checks.tests.ok, checks.lint.ok], [true, true, false]);
    assert.equal(checks.commit, parents(repo, 'main')[1], 'checked exactly the commit that shipped');
  });

  it('a failing build blocks the ship: the gate shows it, Approve is refused and changes nothing', async () => {
    repo = projectWithBuildAndLint(1, 0);
    const head = repo.git('rev-parse', 'main');
    const gate = gates([{ decision: 'approve' }]);
    const { result } = await runPipeline(repo, { gate, config: FULL });
    assert.equal(result.status, 'awaiting-approval', result.state.haltReason ?? '');
    const req = gate.shipRequests[0]!;
    assert.match(req.title, /^Ship BLOCKED: the build fails on orchestration\/.*\/integration .*; fix it and approve, request changes or reject$/);
    assert.match(req.summary, /Build: FAIL \(blocking: Approve runs the checks again and merges only once it builds\); Tests: pass; Lint: pass/);
    assert.match(read(req.openPath!), /Build `npm run build`: \*\*FAIL\*\* \(blocking[^\n]*\n\n```\n[\s\S]*cannot compile lib\/greeter \(scripted failure\)/);
    assert.match(result.state.haltReason ?? '', /not merged: the build \(`npm run build`\) fails on the release commit \(checked again at approval\); fix it on orchestration\/.*\/integration and approve again, request changes/);
    assert.equal(repo.git('rev-parse', 'main'), head, 'nothing merged');
    assert.equal(repo.git('status', '--porcelain', '--untracked-files=all'), '');
    // Resumed and approved again: still refused, still nothing merged; reject then ends the run.
    const again = await resumePipeline(repo, result.state.runId, gates([{ decision: 'approve' }]), {}, FULL);
    assert.equal(again.result.status, 'awaiting-approval');
    assert.equal(repo.git('rev-parse', 'main'), head);
    const rejected = await resumePipeline(repo, result.state.runId, gates([{ decision: 'reject', reason: 'fix the build first' }]), {}, FULL);
    assert.equal(rejected.result.status, 'halted');
    assert.equal(repo.git('rev-parse', 'main'), head);
  });

  it('a blocked build fixed by hand on the integration branch: Approve runs the ship checks again and merges what now builds', async () => {
    repo = projectWithBuildAndLint(1, 0);
    const head = repo.git('rev-parse', 'main');
    const { result } = await runPipeline(repo, { gate: gates([{ decision: 'later' }]), config: FULL });
    assert.equal(result.status, 'awaiting-approval', result.state.haltReason ?? '');
    const runDir = result.state.runDir;
    const blocked = JSON.parse(read(path.join(runDir, 'ship-checks.json')));
    assert.equal(blocked.build.ok, false);
    // The user fixes the build where the run keeps the integration branch checked out, and commits it there.
    const wt = path.join(runDir, 'worktrees', 'integration');
    fs.writeFileSync(path.join(wt, 'build.js'), "console.log('build: ok (fixed by hand)');\n");
    const git = (...args: string[]) => execFileSync('git', args, { cwd: wt, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'user', GIT_AUTHOR_EMAIL: 'u@x.invalid', GIT_COMMITTER_NAME: 'user', GIT_COMMITTER_EMAIL: 'u@x.invalid' } }).trim();
    git('commit', '-q', '-am', 'user: fix the build');
    const fixed = git('rev-parse', 'HEAD');

    const approved = await resumePipeline(repo, result.state.runId, gates([{ decision: 'approve' }]), {}, FULL);
    assert.equal(approved.result.status, 'succeeded', approved.result.state.haltReason ?? '');
    // Checked again on the fixed commit, and that commit is what shipped.
    const checks = JSON.parse(read(path.join(runDir, 'ship-checks.json')));
    assert.equal(checks.commit, fixed);
    assert.deepEqual([checks.build.ok, checks.tests.ok, checks.lint.ok], [true, true, true]);
    assert.match(checks.build.output, /build: ok \(fixed by hand\)/);
    assert.match(read(path.join(runDir, 'ship.md')), /Build `npm run build`: \*\*pass\*\*/);
    assert.ok(approved.events.some((e) => e.type === 'log' && /^ship: the build failed on [0-9a-f]{12}; running the ship checks again before merging$/.test(e.message)));
    assert.deepEqual(parents(repo, 'main'), [head, fixed], 'main got one --no-ff merge of the fixed integration head');
    assert.equal(repo.git('show', 'main:build.js'), "console.log('build: ok (fixed by hand)');");
  });
});
