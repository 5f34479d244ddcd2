import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { latestRuns, readPlansModel, readTaskModel, readTeamModel, runChoicesFor, taskDescription, teamPhaseLabel } from '../../src/extension/plans/plansModel';
import { findResumable } from '../../src/core/teams/implement';
import { TaskList } from '../../src/core/teams/taskList';
import { ImplementStore, type ImplementState } from '../../src/core/teams/state';
import { Roster } from '../../src/core/teams/roster';
import { writePlan } from '../integration/plan-helpers';
import { readPlan } from '../../src/core/plans/parse';

describe('VS Code Plans and Team trees: their model read from disk', () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-plans-model-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('lists plan folders with their phases, and the latest run of each: phase status, dependencies, audit verdict, review state, teammates', () => {
    const planDir = writePlan(path.join(root, '.orchestration', 'plans', 'calc'), [{ slug: 'one' }, { slug: 'two', depends_on: [1] }]);
    fs.mkdirSync(path.join(root, '.orchestration', 'plans', 'not-a-plan'));
    const runsRoot = path.join(root, 'runs');
    const runDir = path.join(runsRoot, '20261202-010000-0123abcd');
    fs.mkdirSync(path.join(runDir, 'team', 'phase-01'), { recursive: true });
    const state: ImplementState = {
      version: 1, kind: 'implement', runId: '20261202-010000-0123abcd', runDir, repoRoot: root, planDir, planHash: readPlan(planDir).plan!.hash, offline: true,
      baseBranch: 'main', baseCommit: 'c', integrationBranch: 'orchestration/20261202-010000-0123abcd/integration', status: 'running',
      createdAt: 'now', updatedAt: 'now', audit: { skipped: true, reasons: [], decision: 'not-needed' }, carriedFailures: 0,
      orchestrator: { calls: 0, maxBytes: 0, totalBytes: 0 }, usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, calls: 0 },
      phases: [
        { number: 1, file: 'phase-01-one.md', title: 'Phase one', status: 'done', branch: 'b1', team: false, reviewRounds: 2, firstReviewPassed: false, step: 'done',
          reviewItems: [{ round: 1, severity: 'High', file: 'a.js', line: 1, text: 't', processing: 'fixed', reason: 'fix task R1-1', judgedBy: 'rule' }] },
        { number: 2, file: 'phase-02-two.md', title: 'Phase two', status: 'running', branch: 'b2', team: false, reviewRounds: 0, reviewItems: [], step: 'team' },
      ],
    };
    new ImplementStore(path.join(runDir, 'plan-run.json'), state).save();
    const roster = Roster.open(path.join(runDir, 'team', 'phase-01', 'roster.json'));
    roster.add({ name: 'builder-1', role: 'builder', worktree: '/w', branch: 'b', lastCommit: 'c' });
    roster.teammates[0]!.usage.input = 120;
    roster.teammates[0]!.task = 'T2';
    roster.teammates[0]!.state = 'working';
    roster.save();
    // The builder of the changes asked at the ship gate has a team of its own (team/ship): shown after the phases.
    const ship = Roster.open(path.join(runDir, 'team', 'ship', 'roster.json'));
    fs.mkdirSync(path.join(runDir, 'team', 'ship'), { recursive: true });
    ship.add({ name: 'builder-1', role: 'builder', worktree: '/s', branch: 's', lastCommit: 'c' });
    ship.teammates[0]!.usage.output = 7;
    ship.save();

    const plans = readPlansModel(root, runsRoot);
    assert.equal(plans.length, 1);
    const p = plans[0]!;
    assert.deepEqual([p.title, p.problems, p.audit, p.runStatus, p.runId], ['Hand-written plan', 0, 'audit skipped', 'running', state.runId]);
    assert.deepEqual(p.phases.map((ph) => [ph.number, ph.status, ph.dependsOn, ph.review]), [[1, 'done', [], 'review 2 rounds, 1 item(s)'], [2, 'running', [1], undefined]]);
    assert.deepEqual(readTeamModel(runDir), [
      { kind: 'team-phase', phase: '01', mates: [{ kind: 'mate', phase: '01', name: 'builder-1', role: 'builder', state: 'working', task: 'T2', tokens: 120 }] },
      { kind: 'team-phase', phase: 'ship', mates: [{ kind: 'mate', phase: 'ship', name: 'builder-1', role: 'builder', state: 'idle', task: undefined, tokens: 7 }] },
    ]);
    assert.deepEqual(readPlansModel(path.join(root, 'elsewhere'), runsRoot), []);
    // A running run is resumed without a question; a halted one asks whether to resume it or start afresh.
    assert.equal(runChoicesFor(p), undefined);
    new ImplementStore(path.join(runDir, 'plan-run.json'), { ...state, status: 'halted', haltReason: 'task T1-V failed:\n  tests red' }).save();
    const halted = readPlansModel(root, runsRoot)[0]!;
    assert.deepEqual(runChoicesFor(halted), [
      { label: `Resume run ${state.runId}`, description: 'another try at what halted it: task T1-V failed: tests red', fresh: false },
      { label: 'Start afresh', description: `a new run of the plan; run ${state.runId} is left as it was, with its branches`, fresh: true },
    ]);
    for (const status of ['awaiting-approval', 'cancelled', 'succeeded'] as const) assert.equal(runChoicesFor({ ...halted, runStatus: status }), undefined, status);
    assert.equal(runChoicesFor({}), undefined);
    // The plan edited since: a new run starts whatever is chosen, so nothing is asked.
    fs.appendFileSync(path.join(planDir, 'plan.md'), '\n- one more metric\n');
    const edited = readPlansModel(root, runsRoot)[0]!;
    assert.deepEqual([edited.runStatus, edited.runOfThisVersion], ['halted', false]);
    assert.equal(runChoicesFor(edited), undefined);
  });

  it('the newest run of a plan is the one created last, not the one whose id sorts last (ids order by the second only)', async () => {
    const planDir = writePlan(path.join(root, '.orchestration', 'plans', 'calc'), [{ slug: 'one' }]);
    const hash = readPlan(planDir).plan!.hash;
    const runsRoot = path.join(root, 'runs');
    const save = (runId: string, createdAt: string, status: ImplementState['status']) => {
      const runDir = path.join(runsRoot, runId);
      fs.mkdirSync(runDir, { recursive: true });
      const state: ImplementState = {
        version: 1, kind: 'implement', runId, runDir, repoRoot: root, planDir, planHash: hash, offline: true, baseBranch: 'main', baseCommit: 'c',
        integrationBranch: `orchestration/${runId}/integration`, status, createdAt, updatedAt: createdAt, carriedFailures: 0,
        orchestrator: { calls: 0, maxBytes: 0, totalBytes: 0 }, usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, calls: 0 }, phases: [],
      };
      new ImplementStore(path.join(runDir, 'plan-run.json'), state).save();
    };
    // Made within one second: the later run's random part sorts first.
    save('20261205-122517-e5a86cbb', '2026-12-05T12:25:17.100Z', 'awaiting-approval');
    save('20261205-122517-94cd6a88', '2026-12-05T12:25:17.900Z', 'awaiting-approval');
    assert.equal((await findResumable(runsRoot, planDir, hash))?.runId, '20261205-122517-94cd6a88');
    assert.equal(latestRuns(runsRoot).get(planDir)?.runId, '20261205-122517-94cd6a88');
    // The newest finished: nothing is resumed, not the older one it set aside.
    save('20261205-122518-00000000', '2026-12-05T12:25:18.000Z', 'succeeded');
    assert.equal(await findResumable(runsRoot, planDir, hash), undefined);
    assert.equal(await findResumable(runsRoot, planDir, 'another version'), undefined);
  });

  it('the Tasks tree: every team phase with its task list with claims, completions, dependencies and releases, in phase order', () => {
    const runDir = path.join(root, 'run');
    for (const d of ['ship', 'phase-02', 'phase-01', 'not-a-phase']) fs.mkdirSync(path.join(runDir, 'team', d), { recursive: true });
    TaskList.open(path.join(runDir, 'team', 'ship', 'tasks.json')).add({ id: 'S1', role: 'builder', kind: 'ship-changes', title: 'Make the changes asked at the ship gate', details: '', files: [], depends_on: [] });
    const list = TaskList.open(path.join(runDir, 'team', 'phase-01', 'tasks.json'));
    const task = (id: string, role: 'builder' | 'validator', depends_on: string[] = []) =>
      list.add({ id, role, kind: role === 'builder' ? 'build' : 'validate', title: `Task ${id}`, details: '', files: [], depends_on, validates: role === 'validator' ? depends_on[0] : undefined });
    task('T1', 'builder');
    task('T2', 'builder');
    task('V1', 'validator', ['T1']);
    list.claim('T1', 'builder-1', 'builder');
    list.complete('T1', 'builder-1', { summary: 'done' });
    list.claim('V1', 'validator-1', 'validator');
    list.complete('V1', 'validator-1', { summary: 'ok', ok: true });
    list.claim('T2', 'builder-2', 'builder');
    list.release('builder-2');
    list.claim('T2', 'builder-3', 'builder');

    const model = readTaskModel(runDir);
    assert.deepEqual(model.map((p) => [p.phase, p.tasks.length]), [['01', 3], ['02', 0], ['ship', 1]]);
    assert.deepEqual(model.map((p) => teamPhaseLabel(p.phase)), ['Phase 01', 'Phase 02', 'Ship changes']);
    const [t1, t2, v1] = model[0]!.tasks;
    assert.deepEqual([t1!.status, t1!.claimedBy, t2!.status, t2!.claimedBy, t2!.releases, v1!.ok, v1!.dependsOn], ['complete', 'builder-1', 'claimed', 'builder-3', 1, true, ['T1']]);
    assert.equal(taskDescription(t1!), 'done by builder-1 · build');
    assert.equal(taskDescription(t2!), 'claimed by builder-3 · build · released 1×');
    assert.equal(taskDescription(v1!), 'done by validator-1 · validate · passed · after T1');
    assert.deepEqual(readTaskModel(path.join(root, 'no-run')), []);
  });

  it('a task list that fails its schema is an error naming the file, not a silently empty tree', () => {
    const dir = path.join(root, 'run', 'team', 'phase-01');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'tasks.json'), JSON.stringify({ tasks: [{ id: 'T1', status: 'stolen' }] }));
    assert.throws(() => readTaskModel(path.join(root, 'run')), /tasks\.json is invalid/);
  });
});
