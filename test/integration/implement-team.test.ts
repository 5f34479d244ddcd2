import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { execFileSync } from 'node:child_process';
import { startImplement, type ImplementOptions, type ImplementResult, type PlanGate, type PlanGateAnswer } from '../../src/core/teams/implement';
import type { TeamEvent } from '../../src/core/plans/events';
import { calcPlanFiles } from '../../src/scripted/projects/calc-plan';
import { calcPlanDescription, opSource, opTest } from '../../src/scripted/projects/calc-ops';
import { makeCalcRepo, opTask, writePlan } from './plan-helpers';
import { startScriptedModel } from '../../src/scripted';
import type { ScriptedModelOptions } from '../../src/scripted/types';
import { FAST_CONFIG, scriptedModel, type TestRepo } from './harness';
import { startRun } from '../../src/core/engine';
import type { GateAnswer } from '../../src/core/api';

export const approve: PlanGate = async () => 'approve';

export function writeCalcPlan(repo: TestRepo): string {
  const dir = path.join(repo.root, '.orchestration', 'plans', 'calc');
  fs.mkdirSync(dir, { recursive: true });
  const plan = calcPlanFiles(calcPlanDescription, ['src/math.js', 'README.md']);
  fs.writeFileSync(path.join(dir, 'plan.md'), plan.planMd);
  for (const p of plan.phases) fs.writeFileSync(path.join(dir, p.file), p.content);
  return dir;
}

export async function implement(
  repo: TestRepo,
  planDir: string,
  extra: Partial<ImplementOptions> & { scripted?: ScriptedModelOptions } = {},
  onEvent?: (e: TeamEvent, cancel: () => void) => void,
): Promise<{ result: ImplementResult; events: TeamEvent[] }> {
  const { scripted, ...rest } = extra;
  commitPlan(repo, planDir);
  const handle = await startImplement({ repoRoot: repo.root, planDir, offline: true, offlineModel: () => startScriptedModel(scripted ?? {}), gate: approve, config: { retryBaseDelayMs: 5, testTimeoutMs: 60_000 }, ...rest });
  const events: TeamEvent[] = [];
  handle.onEvent((e) => {
    events.push(e);
    onEvent?.(e, () => handle.cancel('test cancel'));
  });
  return { result: await handle.done, events };
}

/**
 * The user commits the plan before implementing it, as the README says: the ship gate merges only
 * into a clean checkout, and an untracked plan folder would keep it from doing so.
 */
export function commitPlan(repo: TestRepo, planDir: string): void {
  const rel = path.relative(repo.root, planDir);
  if (rel.startsWith('..') || repo.git('status', '--porcelain=v1', '--untracked-files=all', '--', rel) === '') return;
  repo.git('add', '--', rel);
  repo.git('commit', '-q', '-m', `user: plan ${path.basename(planDir)}`);
}

export function teamFile(result: ImplementResult, phase: number, file: string): string {
  return path.join(result.state.runDir, 'team', `phase-${String(phase).padStart(2, '0')}`, file);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads of JSON files the engine wrote
export function json<T = any>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

describe('implement: a 3-phase plan end to end with a team of three (T3-T6, scripted model, real SDK and git)', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  let first: { result: ImplementResult; events: TeamEvent[] };
  let run: { result: ImplementResult; events: TeamEvent[] };
  let statusBefore: string;
  let headBefore: string;

  before(async () => {
    repo = makeCalcRepo();
    const dir = writeCalcPlan(repo);
    commitPlan(repo, dir);
    fs.writeFileSync(path.join(repo.root, 'notes.txt'), 'my uncommitted notes\n');
    statusBefore = repo.git('status', '--porcelain=v1', '--untracked-files=all');
    headBefore = repo.git('rev-parse', 'HEAD');
    // Approved at the ship gate, but the checkout of main has the user's notes: nothing is merged.
    first = await implement(repo, dir);
    // The user puts the notes away and runs implement again: the same run asks again and ships.
    fs.rmSync(path.join(repo.root, 'notes.txt'));
    run = await implement(repo, dir);
  });
  after(() => repo?.cleanup());

  it('succeeds: the audit said Ready, every phase is done and merged', () => {
    const s = run.result.state;
    assert.equal(run.result.status, 'succeeded', s.haltReason ?? '');
    assert.equal(s.audit?.verdict, 'Ready');
    assert.deepEqual(s.phases.map((p) => [p.number, p.status, p.team]), [[1, 'done', true], [2, 'done', false], [3, 'done', false]]);
  });

  it('ship gate with a dirty checkout: approved, nothing merged, the files named; the run waits and is resumable', () => {
    const s = first.result.state;
    assert.equal(first.result.status, 'awaiting-approval');
    assert.match(s.haltReason!, /^ship gate: not merged: main is checked out in .*, which has uncommitted changes or files the merge would overwrite \(notes\.txt\)\. Nothing was changed\./);
    assert.deepEqual([s.ship?.decision, s.ship?.shipped], ['approved', undefined]);
    const gate = first.events.find((e) => e.type === 'gate' && e.gate === 'ship');
    assert.ok(gate && gate.type === 'gate');
    assert.match(gate.detail ?? '', /^Ship ready: merge orchestration\/.*\/integration into main\? \(3 phases, \d+ files, tests pass\)$/);
    // Until the user answered again, their tree and branch were exactly as they left them.
    assert.equal(first.result.report.status, 'awaiting-approval');
    assert.equal(run.result.resumed, true);
    assert.equal(run.result.state.runId, s.runId);
  });

  it('approved at the ship gate with a clean checkout: main has the --no-ff merge of the integration branch, its history intact', () => {
    const s = run.result.state;
    const shipped = s.ship?.shipped;
    assert.ok(shipped, 'shipped');
    assert.equal(shipped.branch, 'main');
    assert.equal(shipped.previousHead, headBefore);
    assert.equal(repo.git('rev-parse', 'main'), shipped.commit);
    assert.equal(repo.git('rev-parse', 'HEAD'), shipped.commit, 'the clean checkout was brought along');
    assert.equal(repo.git('status', '--porcelain=v1', '--untracked-files=all'), '');
    // --no-ff: the base's old head is the first parent, the integration branch the second.
    assert.equal(repo.git('rev-parse', `${shipped.commit}^1`), headBefore);
    assert.equal(repo.git('rev-parse', `${shipped.commit}^2`), repo.git('rev-parse', s.integrationBranch));
    assert.equal(repo.git('merge-base', '--is-ancestor', headBefore, 'main'), '');
    assert.match(repo.git('log', '-1', '--format=%s', 'main'), /^Merge orchestration\/.*\/integration: implement calc \(build-pipeline run /);
    for (const f of ['src/ops/multiply.js', 'src/ops/power.js']) assert.ok(fs.existsSync(path.join(repo.root, f)), f);
    assert.match(fs.readFileSync(path.join(s.runDir, 'report.md'), 'utf8'), /Ship: merged into main as /);
  });

  it('never touches the user tree before the ship gate; the integration branch has one --no-ff merge per phase, in order', () => {
    assert.equal(statusBefore, '?? notes.txt');
    const s = run.result.state;
    assert.equal(s.baseCommit, headBefore);
    const merges = repo.git('log', '--first-parent', '--merges', '--format=%s', `${s.baseCommit}..${s.integrationBranch}`).split('\n').reverse();
    assert.deepEqual(merges, ['phase 01: Add multiply and divide', 'phase 02: Add power', 'phase 03: README and changelog']);
    // Each phase branched off the previous phase's result.
    for (const [i, p] of s.phases.entries()) {
      assert.equal(repo.git('merge-base', '--is-ancestor', p.branch, s.integrationBranch), '');
      if (i > 0) assert.equal(p.baseCommit, s.phases[i - 1]!.mergeCommit);
    }
    const integration = path.join(s.runDir, 'worktrees', 'integration');
    const out = execFileSync('node', ['--test'], { cwd: integration, encoding: 'utf8' });
    assert.match(out, /fail 0/);
    for (const f of ['src/ops/multiply.js', 'src/ops/divide.js', 'src/ops/power.js', 'docs/power.md']) assert.ok(fs.existsSync(path.join(integration, f)), f);
  });

  it('phase 01 ran with builder-1, builder-2 and validator-1; a validator task followed each builder task; claims were single', () => {
    const roster = json(teamFile(run.result, 1, 'roster.json')).teammates as { name: string; role: string; state: string; wakes: number }[];
    assert.deepEqual(roster.map((t) => [t.name, t.role, t.state]), [['builder-1', 'builder', 'idle'], ['builder-2', 'builder', 'idle'], ['validator-1', 'validator', 'idle']]);
    const tasks = json(teamFile(run.result, 1, 'tasks.json')).tasks as { id: string; role: string; status: string; claimedBy: string; depends_on: string[]; ok?: boolean }[];
    for (const t of tasks.filter((x) => x.role === 'builder')) {
      const v = tasks.find((x) => x.id === `${t.id}-V`)!;
      assert.deepEqual([v.role, v.depends_on, v.status, v.ok], ['validator', [t.id], 'complete', true]);
    }
    assert.ok(tasks.every((t) => t.status === 'complete'));
    // An idle teammate costs nothing: every wake of every teammate completed exactly one task.
    for (const mate of roster) assert.equal(mate.wakes, tasks.filter((t) => t.claimedBy === mate.name).length, mate.name);
  });

  it('a teammate keeps its conversation across tasks (its second task continues the first one\'s conversation)', () => {
    const tasks = json(teamFile(run.result, 1, 'tasks.json')).tasks as { id: string; claimedBy: string }[];
    const busy = ['builder-1', 'builder-2'].find((n) => tasks.filter((t) => t.claimedBy === n).length >= 2)!;
    assert.ok(busy, 'one builder took two tasks');
    const conv = json(teamFile(run.result, 1, `${busy}.conversation.json`));
    const wakes = (conv.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'user' && typeof m.content === 'string' && m.content.includes('<wake>'));
    assert.equal(wakes.length, 2);
    assert.match(JSON.stringify(conv.messages[0]), /<task-card>/);
    // Two claims went through (a claim that lost the race to a teammate comes back as an error).
    const claimed = JSON.stringify(conv.messages).match(/claimed T\d: /g) ?? [];
    assert.equal(claimed.length, 2);
  });

  it('mail reached the validator in order, each message once, at its turn boundaries; the journal has it', () => {
    const lines = fs.readFileSync(teamFile(run.result, 1, 'mailbox.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const sent = lines.filter((l) => l.seq);
    assert.equal(sent.length, 3);
    assert.ok(sent.every((m) => m.to === 'validator-1'));
    const conv = JSON.stringify(json(teamFile(run.result, 1, 'validator-1.conversation.json')).messages);
    const blocks = [...conv.matchAll(/<mailbox>(.*?)<\/mailbox>/g)].map((m) => m[1]!);
    const seqs = blocks.flatMap((b) => [...b.matchAll(/#(\d+) from/g)].map((m) => Number(m[1])));
    assert.deepEqual(seqs, [1, 2, 3]);
    const journal = fs.readFileSync(path.join(run.result.state.runDir, 'journal.jsonl'), 'utf8');
    assert.equal((journal.match(/"type":"team-message"[^\n]*"event":"delivered"/g) ?? []).length, 3);
  });

  it('report.json: review pass rate, zero carried failures, orchestrator context figures, messages and teammates', () => {
    const r = json(path.join(run.result.state.runDir, 'report.json'));
    assert.equal(r.status, 'succeeded');
    assert.equal(r.firstAttemptReviewPassRate, 1);
    assert.deepEqual(r.phases.map((p: { firstAttemptReviewPass: boolean }) => p.firstAttemptReviewPass), [true, true, true]);
    assert.equal(r.carriedTestFailures, 0);
    const o = r.orchestratorContext;
    assert.ok(o.calls >= 1 && o.maxBytes > 0 && o.maxBytes <= 8 * 1024 && o.totalBytes >= o.maxBytes, JSON.stringify(o));
    assert.equal(o.largest, 'flow audit');
    assert.deepEqual(r.messages, { sent: 3, delivered: 3 });
    assert.deepEqual([r.teammates.spawned, r.teammates.idle, r.teammates.dead], [5, 5, 0]);
    assert.match(fs.readFileSync(path.join(run.result.state.runDir, 'reviews', 'phase-01-review.md'), 'utf8'), /No findings\.[\s\S]*<!-- DONE -->/);
  });
});

describe('implement: gates, review acceptance, test gates, a dying teammate, kill and resume', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  afterEach(() => repo?.cleanup());
  const plans = () => path.join(repo.root, '.orchestration', 'plans');

  it('a dependency cycle blocks before anything is built (Major Restructuring Needed)', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'cyclic'), [{ slug: 'a', depends_on: [3] }, { slug: 'b', depends_on: [1] }, { slug: 'c', depends_on: [2] }]);
    const { result } = await implement(repo, dir);
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason!, /^flow audit: Major Restructuring Needed — phase-01-a\.md: phases 01 → 02 → 03 depend on each other in a cycle/);
    assert.equal(result.state.audit?.decision, 'blocked');
    assert.equal(repo.git('branch', '--list', 'orchestration/*'), '', 'no branch was created');
  });

  it('a wrong phase order asks a person: "later" stops awaiting approval; approving resumes the same run, which runs the phases in dependency order', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'order'), [
      { slug: 'square', depends_on: [2], tasks: [opTask('T1', 'square')] },
      { slug: 'negate', tasks: [opTask('T1', 'negate')] },
      { slug: 'docs', depends_on: [1, 2], tasks: [{ id: 'T1', title: 'Document square', files: ['docs/square.md'] }] },
    ]);
    const first = await implement(repo, dir, { gate: async () => 'later' });
    assert.equal(first.result.status, 'awaiting-approval');
    assert.match(first.result.state.haltReason!, /phase 01 is ordered before phase 02, which it depends on/);
    // Had it been made with the API, the offline scripted model would not continue it; nothing is written.
    const stateFile = path.join(first.result.state.runDir, 'plan-run.json');
    const asMade = fs.readFileSync(stateFile, 'utf8');
    fs.writeFileSync(stateFile, JSON.stringify({ ...JSON.parse(asMade), offline: false }, null, 2));
    const onApi = fs.readFileSync(stateFile);
    await assert.rejects(implement(repo, dir), new RegExp(`run ${first.result.state.runId} of this plan was made with the Anthropic API; it can only be resumed with the API`));
    assert.deepEqual(fs.readFileSync(stateFile), onApi);
    fs.writeFileSync(stateFile, asMade);
    const second = await implement(repo, dir);
    assert.equal(second.result.resumed, true);
    assert.equal(second.result.state.runId, first.result.state.runId);
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
    assert.ok(!second.events.some((e) => e.type === 'agent-started' && e.role === 'plan-auditor'), 'the stored audit of the unchanged plan is reused');
    const merges = repo.git('log', '--first-parent', '--merges', '--format=%s', second.result.state.integrationBranch).split('\n').slice(0, 3).reverse();
    assert.deepEqual(merges, ['phase 02: Phase negate', 'phase 01: Phase square', 'phase 03: Phase docs']);
  });

  it('plan review (T3): a High blocks until the planner revised the plan, a hallucinated Medium is judged and recorded, a valid Low is revised; the user\'s plan folder is untouched', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'reviewed'), [{ slug: 'square', tasks: [opTask('T1', 'square')] }]);
    const before = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
    const { result, events } = await implement(repo, dir, { scripted: { scenario: 'plan-review-findings' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const review = result.state.planReview!;
    assert.deepEqual([review.rounds, review.firstPassed, review.done], [2, false, true]);
    const items = review.items.map((i) => [i.severity, i.file, i.processing, i.judgedBy]);
    assert.deepEqual(items, [
      ['Medium', 'plan.md', 'hallucinated', 'judge'],
      ['High', 'phase-01-square.md', 'fixed', 'rule'],
      ['Low', 'plan.md', 'fixed', 'judge'],
    ]);
    assert.match(review.items[0]!.reason, /never calls migrateAll\(\)/);
    assert.equal(review.items[1]!.reason, 'revised by the planner after round 1');
    // The review file records every item, the judgement and its reason.
    const file = fs.readFileSync(path.join(result.state.runDir, 'reviews', 'plan-review.md'), 'utf8');
    assert.match(file, /^# Plan review: Hand-written plan\n\nRounds: 2\. First review passed \(no Critical or High\): no\./);
    assert.match(file, /\| 1 \| Medium \| plan\.md:1 \| .*migrateAll.* \| hallucinated \(judge\) \| the cited code never calls migrateAll\(\)/);
    assert.match(file, /\| 1 \| High \| phase-01-square\.md:2 \| .* \| fixed \(rule\) \| revised by the planner after round 1 \|/);
    assert.match(file, /<!-- DONE -->/);
    // The planner revised the run's copy, which the phase then implemented; the user's folder is as it was.
    const copy = path.join(result.state.runDir, 'plan');
    assert.match(fs.readFileSync(path.join(copy, 'phase-01-square.md'), 'utf8'), /> Revised after review round 1 \(High\): Task T1 does not say which test command/);
    assert.match(fs.readFileSync(path.join(copy, 'plan.md'), 'utf8'), /> Revised after review round 1 \(Low\): The summary does not name the test command/);
    assert.doesNotMatch(fs.readFileSync(path.join(copy, 'plan.md'), 'utf8'), /migrateAll/);
    assert.deepEqual(Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')])), before);
    const started = events.filter((e) => e.type === 'agent-started').map((e) => (e.type === 'agent-started' ? e.agentId : ''));
    assert.deepEqual(started.filter((id) => /^plan-(reviewer|reviser)/.test(id)), ['plan-reviewer-1', 'plan-reviser-1', 'plan-reviewer-2']);
    // The plan was reviewed before any phase started, and the judge's context is an orchestrator figure.
    assert.ok(started.indexOf('plan-reviewer-2') < started.findIndex((id) => id.startsWith('p01-')));
    assert.equal(result.state.orchestrator.calls, 2, 'the judges of the Medium and the Low');
    assert.ok(result.state.orchestrator.maxBytes <= 8 * 1024);
    assert.deepEqual(result.report.planReview, { rounds: 2, firstPassed: false, items: { fixed: 2, hallucinated: 1, cosmetic: 0, unresolved: 0 } });
  });

  it('plan review: stopped while the planner revises, the resume revises again and records the round\'s items (none lost)', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'revise-kill'), [{ slug: 'square', tasks: [opTask('T1', 'square')] }]);
    const first = await implement(repo, dir, { scripted: { scenario: 'plan-review-findings' } }, (e, cancel) => {
      if (e.type === 'agent-started' && e.agentId === 'plan-reviser-1') cancel();
    });
    assert.equal(first.result.status, 'cancelled', first.result.state.haltReason ?? '');
    assert.deepEqual(first.result.state.planReview?.revising?.findings.map((f) => f.severity), ['High', 'Low']);
    const { result, events } = await implement(repo, dir, { scripted: { scenario: 'plan-review-findings' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const review = result.state.planReview!;
    assert.deepEqual(review.items.map((i) => [i.round, i.severity, i.processing, i.reason.slice(0, 40)]), [
      [1, 'Medium', 'hallucinated', 'the cited code never calls migrateAll();'],
      [1, 'High', 'fixed', 'revised by the planner after round 1'],
      [1, 'Low', 'fixed', 'revised by the planner after round 1'],
    ]);
    assert.equal(review.revising, undefined);
    // The revision was made again before the next review, and the copy the phases implemented has it.
    const started = events.filter((e) => e.type === 'agent-started').map((e) => (e.type === 'agent-started' ? e.agentId : ''));
    assert.deepEqual(started.filter((id) => /^plan-(reviewer|reviser)/.test(id)), ['plan-reviser-1', 'plan-reviewer-2']);
    assert.match(fs.readFileSync(path.join(result.state.runDir, 'plan', 'phase-01-square.md'), 'utf8'), /> Revised after review round 1 \(High\)/);
  });

  it('planReview: false skips the plan review: no reviewer or planner runs, the copy is implemented as written, the report says skipped', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'unreviewed'), [{ slug: 'square', tasks: [opTask('T1', 'square')] }]);
    const written = fs.readFileSync(path.join(dir, 'phase-01-square.md'), 'utf8');
    // The scenario's reviewer would find a High in this plan: skipped, nobody asks it.
    const { result, events } = await implement(repo, dir, { scripted: { scenario: 'plan-review-findings' }, config: { retryBaseDelayMs: 5, testTimeoutMs: 60_000, planReview: false } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.deepEqual(result.state.planReview, { rounds: 0, items: [], done: true, skipped: true });
    const started = events.filter((e) => e.type === 'agent-started').map((e) => (e.type === 'agent-started' ? e.agentId : ''));
    assert.deepEqual(started.filter((id) => /^plan-(reviewer|reviser|judge)/.test(id)), []);
    assert.ok(started.some((id) => id.startsWith('p01-')), 'the phase ran');
    assert.ok(events.some((e) => e.type === 'log' && /^plan review skipped: planReview is off/.test(e.message)));
    assert.equal(fs.readFileSync(path.join(result.state.runDir, 'plan', 'phase-01-square.md'), 'utf8'), written, 'the run implemented the plan as written');
    assert.ok(!fs.existsSync(path.join(result.state.runDir, 'reviews', 'plan-review.md')));
    assert.equal(result.report.planReview?.skipped, true);
    assert.match(fs.readFileSync(path.join(result.state.runDir, 'report.md'), 'utf8'), /^Plan review: skipped \(planReview is off\)$/m);
  });

  it('one active run per repository, whatever its kind: start fails while an implement run is active, and implement fails while a pipeline run is', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'busy'), [
      { slug: 'square', depends_on: [2], tasks: [opTask('T1', 'square')] },
      { slug: 'negate', tasks: [opTask('T1', 'negate')] },
      { slug: 'docs', depends_on: [1, 2], tasks: [{ id: 'T1', title: 'Document square', files: ['docs/square.md'] }] },
    ]);
    commitPlan(repo, dir);
    // An implement run held at its flow-audit gate (a person has not answered yet).
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let atGate!: () => void;
    const reached = new Promise<void>((r) => (atGate = r));
    const handle = await startImplement({ repoRoot: repo.root, planDir: dir, offline: true, offlineModel: () => startScriptedModel({}), config: { retryBaseDelayMs: 5 }, gate: async () => {
      atGate();
      await released;
      return 'later';
    } });
    await reached;
    await assert.rejects(
      startRun({ repoRoot: repo.root, description: 'anything', offline: true, offlineModel: scriptedModel(), gate: async () => ({ decision: 'later' }), config: FAST_CONFIG }),
      (e: Error) => e.name === 'RunLockedError' && e.message === `run ${handle.runId} is already being driven by process ${process.pid}; cancel it there or wait for it to stop`,
    );
    release();
    assert.equal((await handle.done).status, 'awaiting-approval');
    assert.equal(repo.git('branch', '--list', 'orchestration/*').split('\n').filter((b) => !b.includes(handle.runId)).join(''), '', 'the refused start created no branch');

    // The other way round: a pipeline run held at its blueprint gate.
    let releaseRun!: () => void;
    const runReleased = new Promise<void>((r) => (releaseRun = r));
    let runAtGate!: () => void;
    const runReached = new Promise<void>((r) => (runAtGate = r));
    const run = await startRun({ repoRoot: repo.root, description: 'anything', offline: true, offlineModel: scriptedModel(), config: FAST_CONFIG, gate: async (): Promise<GateAnswer> => {
      runAtGate();
      await runReleased;
      return { decision: 'later' };
    } });
    await runReached;
    await assert.rejects(
      startImplement({ repoRoot: repo.root, planDir: dir, offline: true, offlineModel: () => startScriptedModel({}), gate: approve }),
      (e: Error) => e.name === 'RunLockedError' && e.message === `run ${run.runId} is already being driven by process ${process.pid}; cancel it there or wait for it to stop`,
    );
    releaseRun();
    await run.done;
    // Nothing is active any more: the implement run resumes.
    const again = await implement(repo, dir, { gate: async () => 'later' });
    assert.equal(again.result.resumed, true);
  });

  it('ship gate: request changes sends the feedback to a builder on the integration branch; the gate asks again; approve ships it; reject leaves the base alone', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'changes'), [{ slug: 'square', tasks: [opTask('T1', 'square')] }]);
    const asked: string[] = [];
    const answers: PlanGateAnswer[] = [{ decision: 'changes', feedback: 'Mention the MIT licence in the README' }, 'approve'];
    const { result, events } = await implement(repo, dir, {
      gate: async (req) => {
        asked.push(req.gate);
        return req.gate === 'ship' ? answers.shift()! : 'approve';
      },
    });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.deepEqual(asked, ['ship', 'ship']);
    assert.deepEqual(events.filter((e) => e.type === 'gate').map((e) => (e.type === 'gate' ? e.decision : '')), ['changes', 'approve']);
    assert.equal(result.state.ship?.changeRounds, 1);
    const tasks = json(path.join(result.state.runDir, 'team', 'ship', 'tasks.json')).tasks as { id: string; status: string; claimedBy: string; details: string }[];
    assert.deepEqual(tasks.map((t) => [t.id, t.status, t.claimedBy]), [['S1', 'complete', 'builder-1']]);
    assert.match(tasks[0]!.details, /Feedback: Mention the MIT licence in the README/);
    // The ship team's builder counts among the run's teammates (report.json, report.md), under phase "ship".
    const mates = result.report.teammates.byName;
    assert.deepEqual(mates.map((m) => `${m.phase}/${m.name}`), ['01/builder-1', 'ship/builder-1']);
    assert.equal(result.report.teammates.spawned, 2);
    assert.ok(mates.find((m) => m.phase === 'ship')!.tokens > 0, 'its tokens are counted');
    assert.match(fs.readFileSync(path.join(result.state.runDir, 'report.md'), 'utf8'), /\| teammates spawned \/ idle \/ dead \| 2 \/ \d+ \/ 0 \|/);
    // The change is on main with the rest: made on the integration branch before the merge.
    assert.match(fs.readFileSync(path.join(repo.root, 'README.md'), 'utf8'), /Mention the MIT licence in the README/);
    assert.equal(repo.git('rev-parse', 'main'), result.state.ship?.shipped?.commit);

    // Reject: the base stays as it is, the integration branch is left for the user.
    const other = writePlan(path.join(plans(), 'rejected'), [{ slug: 'negate', tasks: [opTask('T1', 'negate')] }]);
    commitPlan(repo, other);
    const mainBefore = repo.git('rev-parse', 'main');
    const rejected = await implement(repo, other, { gate: async (req) => (req.gate === 'ship' ? 'reject' : 'approve') });
    assert.equal(rejected.result.status, 'halted');
    assert.match(rejected.result.state.haltReason!, /^ship gate: rejected; orchestration\/.*\/integration is left for you and main is unchanged$/);
    assert.equal(repo.git('rev-parse', 'main'), mainBefore);
    assert.ok(repo.git('branch', '--list', rejected.result.state.integrationBranch));
  });

  it('ship gate: a change round that ends red halts; running again makes new fix tasks for it (not the spent ones) and the gate asks again', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'red-round'), [{ slug: 'square', tasks: [opTask('T1', 'square')] }]);
    const first = await implement(repo, dir, { gate: async () => 'later' });
    assert.equal(first.result.status, 'awaiting-approval', first.result.state.haltReason ?? '');
    // A red test on the integration branch that takes two fixes (each fix task mends one marker).
    const wt = path.join(first.result.state.runDir, 'worktrees', 'integration');
    const green = "test('zz', () => assert.equal(1, 1));";
    fs.writeFileSync(
      path.join(wt, 'test', 'zz.test.js'),
      `const test = require('node:test');\nconst assert = require('node:assert');\ntest('zz', () => assert.equal(1, 2)); // BUG: should be test('zz', () => assert.equal(1, 3)); // BUG: should be ${green}\n`,
    );
    const git = (...a: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@x.invalid', '-c', 'core.hooksPath=/dev/null', ...a], { cwd: wt, encoding: 'utf8' });
    git('add', '.');
    git('commit', '-q', '-m', 'user: a test that needs two fixes');
    const answers: PlanGateAnswer[] = [{ decision: 'changes', feedback: 'Mention the MIT licence in the README' }];
    const second = await implement(repo, dir, { team: { maxTestFixes: 1 }, gate: async () => answers.shift() ?? 'approve' });
    assert.equal(second.result.status, 'halted');
    assert.match(second.result.state.haltReason ?? '', /^ship gate: the test suite is red after the changes asked at the gate \(round 1\); .* running implement again makes new fix tasks for it$/);
    const third = await implement(repo, dir, { team: { maxTestFixes: 1 } });
    assert.equal(third.result.status, 'succeeded', third.result.state.haltReason ?? '');
    const tasks = json(path.join(third.result.state.runDir, 'team', 'ship', 'tasks.json')).tasks as { id: string; status: string }[];
    assert.deepEqual(tasks.map((t) => [t.id, t.status]), [['S1', 'complete'], ['S1-P1', 'complete'], ['S1-P2', 'complete']]);
    assert.equal(repo.git('show', 'main:test/zz.test.js').split('\n')[2], green);
    assert.match(repo.git('show', 'main:README.md'), /Mention the MIT licence in the README/);
  });

  it('ship gate: a commit put by hand on the integration branch (without a checkout) while the gate waits is not merged unseen; the resumed gate tests its files and shows its verdict', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'moved'), [{ slug: 'square', tasks: [opTask('T1', 'square')] }]);
    const integrationTree = () => {
      const list = repo.git('worktree', 'list', '--porcelain').split('\n\n');
      const entry = list.find((e) => /\nbranch refs\/heads\/orchestration\/[^\n]*\/integration$/m.test(e))!;
      return /^worktree (.*)$/m.exec(entry)![1]!;
    };
    const commitByHand = (file: string, content: string) => {
      const wt = integrationTree();
      fs.writeFileSync(path.join(wt, file), content);
      execFileSync('git', ['-c', 'user.name=user', '-c', 'user.email=u@x.invalid', 'commit', '-qam', `user: ${file} by hand`], { cwd: wt });
      return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: wt, encoding: 'utf8' }).trim();
    };
    // A commit put on the integration branch without a checkout (plumbing and update-ref): the
    // worktree's files stay the old ones, and only a test run on the commit's own files sees it.
    const moveByHand = (file: string, content: string) => {
      const wt = integrationTree();
      const run = (args: string[], input?: string, env?: NodeJS.ProcessEnv) => execFileSync('git', args, { cwd: wt, encoding: 'utf8', input, env: { ...process.env, ...env } }).trim();
      const index = path.join(os.tmpdir(), `bp-move-${process.pid}.index`);
      const blob = run(['hash-object', '-w', '--stdin'], content);
      run(['read-tree', 'HEAD'], undefined, { GIT_INDEX_FILE: index });
      run(['update-index', '--cacheinfo', `100644,${blob},${file}`], undefined, { GIT_INDEX_FILE: index });
      const tree = run(['write-tree'], undefined, { GIT_INDEX_FILE: index });
      fs.rmSync(index, { force: true });
      const commit = run(['-c', 'user.name=user', '-c', 'user.email=u@x.invalid', 'commit-tree', tree, '-p', 'HEAD', '-m', `user: ${file} moved by hand`]);
      run(['update-ref', run(['symbolic-ref', 'HEAD']), commit]);
      return commit;
    };
    commitPlan(repo, dir);
    const mainBefore = repo.git('rev-parse', 'main');
    let goodMath = '';
    // Asked, then a red commit lands before the answer: the approval was for the commit shown.
    const first = await implement(repo, dir, {
      gate: async (req) => {
        if (req.gate !== 'ship') return 'approve';
        assert.match(req.title, /tests pass/);
        goodMath = fs.readFileSync(path.join(integrationTree(), 'src', 'math.js'), 'utf8');
        moveByHand('src/math.js', "'use strict';\nmodule.exports = { add: () => 0, subtract: () => 0 };\n");
        return 'approve';
      },
    });
    assert.equal(first.result.status, 'awaiting-approval');
    assert.match(first.result.state.haltReason!, /moved after its ship checks/);
    // The phase merge's own test run stood for the commit first shown: the suite was not run again for the gate.
    assert.ok(!first.events.some((e) => e.type === 'test-gate' && e.phase === 'ship'), 'no ship test run before the first gate');
    assert.equal(repo.git('rev-parse', 'main'), mainBefore, 'the unseen commit was not merged');
    // Resumed: the new head is tested before the gate is asked, and the gate says it fails.
    let title = '';
    const second = await implement(repo, dir, { gate: async (req) => (req.gate === 'ship' ? ((title = req.title), 'later') : 'approve') });
    assert.equal(second.result.resumed, true);
    assert.match(title, /tests FAIL \(\d+ failing on [0-9a-f]{12}\)/);
    assert.ok(second.events.some((e) => e.type === 'test-gate' && e.phase === 'ship' && e.when === 'before' && !e.passed));
    // Mended by hand: tested again (a new commit), shown passing, and that commit is what ships.
    const mended = commitByHand('src/math.js', goodMath);
    const third = await implement(repo, dir, { gate: async (req) => (req.gate === 'ship' ? ((title = req.title), 'approve') : 'approve') });
    assert.equal(third.result.status, 'succeeded', third.result.state.haltReason ?? '');
    assert.match(title, /tests pass/);
    assert.equal(repo.git('rev-parse', `${third.result.state.ship!.shipped!.commit}^2`), mended);
    // An unmoved head is not tested again: one ship test run per new commit.
    assert.equal(third.events.filter((e) => e.type === 'test-gate' && e.phase === 'ship').length, 1);
  });

  it("the repository's .env files are hidden from the test gates' sandbox, as in a build run", async () => {
    repo = makeCalcRepo();
    fs.writeFileSync(path.join(repo.root, '.env'), 'USER_SECRET=do-not-read\n');
    fs.writeFileSync(path.join(repo.root, '.gitignore'), '.env\n');
    // A test of the project that fails when it can read the user's .env (an absolute path, outside the worktree).
    fs.writeFileSync(
      path.join(repo.root, 'test', 'env.test.js'),
      `'use strict';\nconst test = require('node:test');\nconst assert = require('node:assert/strict');\nconst fs = require('node:fs');\n` +
        `test('the user .env is out of reach', () => assert.throws(() => fs.readFileSync(${JSON.stringify(path.join(repo.root, '.env'))}, 'utf8')));\n`,
    );
    repo.git('add', '.gitignore', 'test/env.test.js');
    repo.git('commit', '-qm', 'user: env test');
    const dir = writePlan(path.join(plans(), 'env'), [{ slug: 'square', tasks: [opTask('T1', 'square')] }]);
    const { result, events } = await implement(repo, dir);
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const gates = events.filter((e) => e.type === 'test-gate');
    assert.ok(gates.length > 0 && gates.every((e) => e.type === 'test-gate' && e.passed), JSON.stringify(gates));
  });

  it('a 2-phase plan skips the flow audit', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'two'), [{ slug: 'square', tasks: [opTask('T1', 'square')] }, { slug: 'docs', depends_on: [1], tasks: [{ id: 'T1', title: 'Document square', files: ['docs/square.md'] }] }]);
    const { result, events } = await implement(repo, dir);
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.deepEqual(result.state.audit, { skipped: true, reasons: [], decision: 'not-needed' });
    assert.ok(!events.some((e) => e.type === 'agent-started' && e.role === 'plan-auditor'));
    assert.equal(result.report.orchestratorContext.calls, 0);
    // The gates' command is said; a repository tested by `node --test` without dependencies gets no warning.
    const logs = events.flatMap((e) => (e.type === 'log' ? [`${e.level}: ${e.message}`] : []));
    assert.ok(logs.includes('info: test gates: `node --test` (integrationTestCommand is unset)'), logs.join('\n'));
    assert.deepEqual(logs.filter((l) => /^warn: (this repository looks tested|.* declares? dependencies)/.test(l)), []);
  });

  it('a repository tested some other way, with dependencies no install command is known for: both are said before any phase runs', async () => {
    repo = makeCalcRepo();
    fs.writeFileSync(path.join(repo.root, 'package.json'), JSON.stringify({ name: 'calc', version: '1.0.0', scripts: { test: 'mocha --recursive\n  test' } }, null, 2));
    fs.writeFileSync(path.join(repo.root, 'requirements.txt'), 'requests==2.32.3\n');
    repo.git('add', '.');
    repo.git('commit', '-qm', 'user: mocha, and a Python helper');
    const dir = writePlan(path.join(plans(), 'warned'), [{ slug: 'square', tasks: [opTask('T1', 'square')] }]);
    const { result, events } = await implement(repo, dir, { gate: async () => 'later' });
    assert.equal(result.status, 'awaiting-approval', result.state.haltReason ?? '');
    const logs = events.flatMap((e) => (e.type === 'log' ? [`${e.level}: ${e.message}`] : []));
    const warned = logs.filter((l) => l.startsWith('warn: '));
    assert.ok(warned.includes('warn: this repository looks tested by its package.json test script (`mocha --recursive test`, run by `npm test`), but the test gates run `node --test`: set integrationTestCommand (.build-pipeline.json or the VS Code setting) to the command that runs its whole suite'), warned.join('\n'));
    assert.ok(warned.includes("warn: requirements.txt declares dependencies and no install command is known for them: set planInstallCommand (.build-pipeline.json or the VS Code setting), or the phases' fresh worktrees will not have them and tests that need them fail there"), warned.join('\n'));
    const firstPhase = events.findIndex((e) => e.type === 'phase-status');
    assert.ok(events.findIndex((e) => e.type === 'log' && e.level === 'warn') < firstPhase);
  });

  it('a repository with dependencies: installed once in the integration worktree and lent to the phase and its teammates; the tests that need them are green', async () => {
    repo = makeCalcRepo();
    // A dependency that installs offline (a folder in the repository), and a test that needs it.
    fs.mkdirSync(path.join(repo.root, 'vendor', 'pad'), { recursive: true });
    fs.writeFileSync(path.join(repo.root, 'vendor', 'pad', 'package.json'), JSON.stringify({ name: 'pad', version: '1.0.0', main: 'index.js' }));
    fs.writeFileSync(path.join(repo.root, 'vendor', 'pad', 'index.js'), "module.exports = (s, n) => String(s).padStart(n, '0');\n");
    fs.writeFileSync(path.join(repo.root, 'package.json'), JSON.stringify({ name: 'calc', version: '1.0.0', private: true, scripts: { test: 'node --test' }, dependencies: { pad: 'file:vendor/pad' } }, null, 2));
    fs.writeFileSync(path.join(repo.root, 'test', 'pad.test.js'), "const test = require('node:test');\nconst assert = require('node:assert');\ntest('pad', () => assert.equal(require('pad')(7, 3), '007'));\n");
    // And a Python helper's requirements, which the lockfile's install does not cover.
    fs.writeFileSync(path.join(repo.root, 'requirements.txt'), 'requests==2.32.3\n');
    repo.git('add', '.');
    repo.git('commit', '-qm', 'user: a dependency');
    const dir = writePlan(path.join(plans(), 'deps'), [{ slug: 'ops', tasks: [opTask('T1', 'multiply'), opTask('T2', 'divide'), opTask('T3', 'square')] }]);
    const { result, events } = await implement(repo, dir);
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const logs = events.flatMap((e) => (e.type === 'log' ? [`${e.level}: ${e.message}`] : []));
    assert.ok(logs.some((l) => /^info: install `npm install --no-audit --no-fund` exited 0 in \d+ ms/.test(l)), logs.join('\n'));
    assert.equal(result.state.dependencies?.command, 'npm install --no-audit --no-fund');
    assert.deepEqual(logs.filter((l) => /declares? dependencies/.test(l)).map((l) => l.split(' declare')[0]), ['warn: requirements.txt'], 'package.json was installed; requirements.txt is said not to be');
    // Green before the phase (the suite needs `pad`), in the phase worktree and on its merge.
    const gates = events.flatMap((e) => (e.type === 'test-gate' ? [`${e.when}:${e.passed}`] : []));
    assert.deepEqual(gates, ['before:true', 'after:true', 'merged:true']);
    // Every teammate's worktree had them too.
    for (const mate of ['builder-1', 'builder-2', 'validator-1']) {
      assert.ok(fs.existsSync(path.join(result.state.runDir, 'worktrees', `phase-01-${mate}`, 'node_modules', 'pad', 'index.js')), mate);
    }
    // What shipped: the .gitignore entry and the lockfile, never the installed folder or a changed manifest.
    assert.match(repo.git('show', 'main:.gitignore'), /^node_modules\/$/m);
    assert.ok(repo.git('ls-tree', '--name-only', 'main').split('\n').includes('package-lock.json'));
    assert.equal(repo.git('ls-tree', '-r', '--name-only', 'main', 'node_modules'), '');
    assert.deepEqual(JSON.parse(repo.git('show', 'main:package.json')).dependencies, { pad: 'file:vendor/pad' });
  });

  it('dependencies a merged phase added are installed before the next phase, with the command the run installed with', async () => {
    repo = makeCalcRepo();
    const pkg = (name: string) => {
      fs.mkdirSync(path.join(repo.root, 'vendor', name), { recursive: true });
      fs.writeFileSync(path.join(repo.root, 'vendor', name, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
      fs.writeFileSync(path.join(repo.root, 'vendor', name, 'index.js'), `module.exports = '${name}';\n`);
    };
    pkg('pad');
    pkg('pad2');
    fs.writeFileSync(path.join(repo.root, 'package.json'), JSON.stringify({ name: 'calc', version: '1.0.0', private: true, scripts: { test: 'node --test' }, dependencies: { pad: 'file:vendor/pad' } }, null, 2));
    repo.git('add', '.');
    repo.git('commit', '-qm', 'user: a dependency');
    const dir = writePlan(path.join(plans(), 'deps-later'), [{ slug: 'square', tasks: [opTask('T1', 'square')] }, { slug: 'negate', depends_on: [1], tasks: [opTask('T1', 'negate')] }]);
    const first = await implement(repo, dir, {}, (e, cancel) => {
      if (e.type === 'phase-status' && e.phase === '01' && e.status === 'done') cancel();
    });
    assert.equal(first.result.status, 'cancelled', first.result.state.haltReason ?? '');
    assert.equal(first.result.state.dependencies?.command, 'npm install --no-audit --no-fund');
    // What a phase that adds a dependency merges (by hand here: the scripted teammates never do).
    const wt = path.join(first.result.state.runDir, 'worktrees', 'integration');
    const manifest = JSON.parse(fs.readFileSync(path.join(wt, 'package.json'), 'utf8'));
    manifest.dependencies.pad2 = 'file:vendor/pad2';
    fs.writeFileSync(path.join(wt, 'package.json'), JSON.stringify(manifest, null, 2));
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@x.invalid', '-c', 'core.hooksPath=/dev/null', 'commit', '-qam', 'phase: a second dependency'], { cwd: wt });

    const { result, events } = await implement(repo, dir);
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const installs = events.flatMap((e) => (e.type === 'log' && /^install `/.test(e.message) ? [e.message.split(' exited')[0]] : []));
    // Not `npm ci`, though the run's own commit added a lockfile: the command it installed with.
    assert.deepEqual(installs, ['install `npm install --no-audit --no-fund`']);
    assert.ok(fs.existsSync(path.join(result.state.runDir, 'worktrees', 'phase-02', 'node_modules', 'pad2', 'index.js')), 'the next phase has the new dependency');
  });

  it('an install that fails halts the run before any phase, with the command, its output and what to do', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'bad-install'), [{ slug: 'square', tasks: [opTask('T1', 'square')] }]);
    const { result, events } = await implement(repo, dir, { config: { retryBaseDelayMs: 5, testTimeoutMs: 60_000, planInstallCommand: "node -e \"console.error('E404 no such package'); process.exit(3)\"" } });
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason ?? '', /^the install command `node -e .*` exited with 3 in the integration worktree; fix it, or set planInstallCommand \(\.build-pipeline\.json or the VS Code setting\), and run implement again\. Output \(end\):\n[\s\S]*E404 no such package/);
    assert.equal(result.state.dependencies, undefined);
    assert.ok(!events.some((e) => e.type === 'phase-status'), 'no phase started');
  });

  it('review: a hallucinated Medium is judged and recorded, not fixed; a valid Low is fixed; both in the review file', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'review'), [
      { slug: 'multiply', tasks: [opTask('T1', 'multiply'), { id: 'T2', title: 'Document multiply', files: ['docs/multiply.md'] }] },
    ]);
    const { result } = await implement(repo, dir, { scripted: { scenario: 'review-findings' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const p = result.state.phases[0]!;
    assert.equal(p.firstReviewPassed, true, 'no Critical or High in the first review');
    assert.equal(p.reviewRounds, 2);
    assert.deepEqual(
      p.reviewItems.map((i) => [i.severity, i.file, i.processing, i.judgedBy]),
      [['Medium', 'src/ops/multiply.js', 'hallucinated', 'judge'], ['Low', 'docs/multiply.md', 'fixed', 'judge']],
    );
    assert.match(p.reviewItems[0]!.reason, /never calls toBigInt\(\)/);
    const wt = path.join(result.state.runDir, 'worktrees', 'integration');
    assert.match(fs.readFileSync(path.join(wt, 'docs/multiply.md'), 'utf8'), /Example: `multiply\(2, 3\)`/);
    assert.doesNotMatch(fs.readFileSync(path.join(wt, 'src/ops/multiply.js'), 'utf8'), /toBigInt|Reviewed/);
    const review = fs.readFileSync(path.join(result.state.runDir, 'reviews', 'phase-01-review.md'), 'utf8');
    assert.match(review, /\| 1 \| Medium \| src\/ops\/multiply\.js:4 \| .*toBigInt.* \| hallucinated \(judge\) \| the cited code never calls toBigInt\(\)/);
    assert.match(review, /\| 1 \| Low \| docs\/multiply\.md:1 \| .* \| fixed \(judge\) \| fix task R1-1 \|/);
    assert.deepEqual([result.report.reviewItems['Medium']?.['hallucinated'], result.report.reviewItems['Low']?.['fixed']], [1, 1]);
    assert.ok(result.report.orchestratorContext.calls === 2 && result.report.orchestratorContext.maxBytes <= 8 * 1024, JSON.stringify(result.report.orchestratorContext));
  });

  it('review: killed while the round’s fix tasks run, the resume records them as fixed before the next round (no item lost)', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'review-kill'), [
      { slug: 'multiply', tasks: [opTask('T1', 'multiply'), { id: 'T2', title: 'Document multiply', files: ['docs/multiply.md'] }] },
    ]);
    const first = await implement(repo, dir, { scripted: { scenario: 'review-findings' } }, (e, cancel) => {
      if (e.type === 'task-status' && e.task === 'R1-1') cancel();
    });
    assert.equal(first.result.status, 'cancelled', first.result.state.haltReason ?? '');
    assert.ok(!first.result.state.phases[0]!.reviewItems.some((i) => i.processing === 'fixed'), 'killed before the fix was recorded');
    const { result } = await implement(repo, dir, { scripted: { scenario: 'review-findings' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const p = result.state.phases[0]!;
    assert.deepEqual(
      p.reviewItems.map((i) => [i.round, i.severity, i.file, i.processing, i.reason]).filter((x) => x[3] === 'fixed'),
      [[1, 'Low', 'docs/multiply.md', 'fixed', 'fix task R1-1']],
    );
    assert.match(fs.readFileSync(path.join(result.state.runDir, 'reviews', 'phase-01-review.md'), 'utf8'), /\| 1 \| Low \| docs\/multiply\.md:1 \| .* \| fixed \(judge\) \| fix task R1-1 \|/);
  });

  it('a High finding blocks until fixed: the phase does not pass its first review, the fix runs, the second review passes', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'high'), [{ slug: 'divide', tasks: [opTask('T1', 'divide')] }]);
    const { result } = await implement(repo, dir, { scripted: { scenario: 'review-high' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const p = result.state.phases[0]!;
    assert.equal(p.firstReviewPassed, false);
    assert.deepEqual(p.reviewItems.map((i) => [i.severity, i.processing, i.judgedBy]), [['High', 'fixed', 'rule']]);
    assert.equal(result.report.firstAttemptReviewPassRate, 0);
  });

  it('a red pre-flight stops the phase and a fix task runs first; the suite is green before the plan tasks start', async () => {
    repo = makeCalcRepo({ brokenSubtract: true });
    const dir = writePlan(path.join(plans(), 'red'), [{ slug: 'square', tasks: [opTask('T1', 'square')] }]);
    const { result, events } = await implement(repo, dir);
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const p = result.state.phases[0]!;
    assert.deepEqual(p.preflight, { passed: false, failures: 1 });
    assert.deepEqual(p.postTests, { passed: true, failures: 0 });
    const tasks = json(teamFile(result, 1, 'tasks.json')).tasks as { id: string; kind: string; depends_on: string[]; status: string }[];
    assert.deepEqual(tasks.map((t) => [t.id, t.kind, t.depends_on, t.status]), [['T1', 'build', ['F0'], 'complete'], ['F0', 'fix-tests', [], 'complete']]);
    const order = events.filter((e) => e.type === 'task-status' && e.status === 'complete').map((e) => (e as { task: string }).task);
    assert.deepEqual(order, ['F0', 'T1']);
    assert.match(fs.readFileSync(path.join(result.state.runDir, 'worktrees', 'integration', 'src/math.js'), 'utf8'), /return a - b;/);
    assert.equal(result.report.carriedTestFailures, 0, 'a red suite before the first phase is not carried from a phase');
  });

  it('a teammate that dies mid-task: its worktree goes back to its last commit, its task is reassigned, no duplicate is spawned, nothing is lost', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'dies'), [{ slug: 'ops', tasks: [opTask('T1', 'multiply'), opTask('T2', 'divide'), opTask('T3', 'square')] }]);
    const { result, events } = await implement(repo, dir, { scripted: { scenario: 'teammate-dies' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const roster = json(teamFile(result, 1, 'roster.json')).teammates as { name: string; state: string; worktree: string; lastCommit: string; diedReason?: string }[];
    assert.deepEqual(roster.map((t) => [t.name, t.state]), [['builder-1', 'idle'], ['builder-2', 'dead'], ['validator-1', 'idle']]);
    const dead = roster[1]!;
    assert.match(dead.diedReason!, /builder-2 fails mid-task/);
    assert.equal(execFileSync('git', ['status', '--porcelain'], { cwd: dead.worktree, encoding: 'utf8' }), '', 'its uncommitted work was discarded');
    assert.equal(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dead.worktree, encoding: 'utf8' }).trim(), dead.lastCommit);
    const released = events.filter((e) => e.type === 'task-status' && e.status === 'released');
    assert.equal(released.length, 1);
    const tasks = json(teamFile(result, 1, 'tasks.json')).tasks as { id: string; status: string; claimedBy: string; releases: number }[];
    const reassigned = tasks.find((t) => t.releases === 1)!;
    assert.deepEqual([reassigned.status, reassigned.claimedBy], ['complete', 'builder-1']);
    assert.equal(events.filter((e) => e.type === 'teammate-state' && e.detail === 'spawned').length, 3, 'no replacement while builder-1 lives');
    const wt = path.join(result.state.runDir, 'worktrees', 'integration');
    for (const op of ['multiply', 'divide', 'square']) assert.ok(fs.existsSync(path.join(wt, `src/ops/${op}.js`)), op);
    assert.deepEqual([result.report.teammates.spawned, result.report.teammates.dead], [3, 1]);
  });

  it('stopped between the engine\'s commit of a task and its completion: the resumed teammate completes it with that commit', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'commit-kill'), [{ slug: 'ops', tasks: [opTask('T1', 'multiply')] }]);
    const first = await implement(repo, dir, {}, (e, cancel) => {
      if (e.type === 'tool-result' && e.tool === 'claim_task' && !e.isError) cancel();
    });
    assert.equal(first.result.status, 'cancelled', first.result.state.haltReason ?? '');
    // What the stop left had it come inside complete_task: the work committed by the engine (the
    // teammate's name, the task's subject) on the teammate's branch, the task still held.
    const wt = path.join(first.result.state.runDir, 'worktrees', 'phase-01-builder-1');
    fs.mkdirSync(path.join(wt, 'src', 'ops'), { recursive: true });
    fs.writeFileSync(path.join(wt, 'src', 'ops', 'multiply.js'), opSource('multiply'));
    fs.writeFileSync(path.join(wt, 'test', 'multiply.test.js'), opTest('multiply'));
    const git = (...a: string[]) => execFileSync('git', ['-c', 'user.name=builder-1', '-c', 'user.email=builder-1@agents.build-pipeline.invalid', '-c', 'core.hooksPath=/dev/null', ...a], { cwd: wt, encoding: 'utf8' });
    git('add', '.');
    git('commit', '-q', '-m', 'T1: Implement multiply with its tests');
    const committed = git('rev-parse', 'HEAD').trim();
    const held = json(teamFile(first.result, 1, 'tasks.json')).tasks as { id: string; status: string; claimedBy?: string }[];
    assert.deepEqual(held.map((t) => [t.id, t.status, t.claimedBy]), [['T1', 'claimed', 'builder-1']]);

    const { result } = await implement(repo, dir);
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const tasks = json(teamFile(result, 1, 'tasks.json')).tasks as { id: string; status: string; claimedBy: string; commit: string }[];
    assert.deepEqual(tasks.map((t) => [t.id, t.status, t.claimedBy, t.commit]), [['T1', 'complete', 'builder-1', committed]]);
    const roster = json(teamFile(result, 1, 'roster.json')).teammates as { name: string; state: string; diedReason?: string }[];
    assert.deepEqual(roster.map((t) => [t.name, t.state, t.diedReason]), [['builder-1', 'idle', undefined]], 'nobody died of a refused completion');
    assert.equal(repo.git('merge-base', '--is-ancestor', committed, result.state.phases[0]!.branch), '');
  });

  it('a builder that claims again in the turn it completed a task is refused (its worktree is from the wake); it gets the task at its next wake', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'greedy'), [{ slug: 'ops', tasks: [opTask('T1', 'multiply'), opTask('T2', 'divide', ['T1'])] }]);
    const { result, events } = await implement(repo, dir, { scripted: { scenario: 'greedy-teammate' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const refused = events.filter((e) => e.type === 'tool-result' && e.tool === 'claim_task' && e.isError).map((e) => (e.type === 'tool-result' ? e.output : ''));
    assert.ok(refused.length >= 2, refused.join('\n'));
    for (const r of refused) assert.match(r, /^claim_task: you completed T\d in this turn; end your turn now\. You are woken for your next task with the phase as merged so far\./);
    const roster = json(teamFile(result, 1, 'roster.json')).teammates as { name: string; state: string }[];
    assert.deepEqual(roster.map((t) => [t.name, t.state]), [['builder-1', 'idle']], 'nobody died holding a task claimed at the end of a turn');
    const tasks = json(teamFile(result, 1, 'tasks.json')).tasks as { id: string; status: string; claimedBy: string }[];
    assert.deepEqual(tasks.map((t) => [t.id, t.status, t.claimedBy]), [['T1', 'complete', 'builder-1'], ['T2', 'complete', 'builder-1']]);
  });

  it('a task that fails its validation for good halts the phase only after every teammate’s turn has settled', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'rejects'), [{ slug: 'ops', tasks: [opTask('T1', 'multiply'), opTask('T2', 'divide'), opTask('T3', 'square'), opTask('T4', 'negate'), opTask('T5', 'cube')] }]);
    let done = false;
    const late: string[] = [];
    const { result } = await implement(repo, dir, {
      // Model turns that take time, as real ones do: the builders are mid-task when the validation fails.
      scripted: { scenario: 'validator-rejects', target: 'T1', latencyMs: 250, onRequest: (r) => done && late.push(JSON.stringify(r.messages).slice(0, 120)) },
      team: { maxValidationFixes: 0 },
    });
    done = true;
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason ?? '', /task T1-V failed: validation still failing after 0 fix rounds/);
    // Every teammate's turn ended before the halt: nobody is still working, no task is left claimed.
    const atHalt = json(teamFile(result, 1, 'roster.json')).teammates as { name: string; state: string }[];
    assert.deepEqual(atHalt.filter((t) => t.state === 'working').map((t) => t.name), []);
    const claimed = (json(teamFile(result, 1, 'tasks.json')).tasks as { id: string; status: string }[]).filter((t) => t.status === 'claimed');
    assert.deepEqual(claimed.map((t) => t.id), []);
    // And nothing of the team runs on after the run said it halted: no model request, no task list or
    // roster write, nobody dead.
    const files = ['tasks.json', 'roster.json'].map((f) => teamFile(result, 1, f));
    const written = files.map((f) => fs.readFileSync(f, 'utf8'));
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(late, [], 'no request after the halt');
    assert.deepEqual(files.map((f) => fs.readFileSync(f, 'utf8')), written, 'the task list and the roster are as the halt left them');
    const roster = json(teamFile(result, 1, 'roster.json')).teammates as { name: string; state: string; diedReason?: string }[];
    assert.deepEqual(roster.filter((t) => t.state === 'dead').map((t) => `${t.name}: ${t.diedReason}`), [], 'no teammate died of the halt');
  });

  it('a halted run is another try when run again: a validation that failed for good is validated again with one more fix round; --fresh starts over instead', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'retry'), [{ slug: 'ops', tasks: [opTask('T1', 'multiply'), opTask('T2', 'divide'), opTask('T3', 'square')] }]);
    const rejecting = { scripted: { scenario: 'validator-rejects' as const, target: 'T1' }, team: { maxValidationFixes: 0 } };
    const first = await implement(repo, dir, rejecting);
    assert.equal(first.result.status, 'halted');
    assert.match(first.result.state.haltReason ?? '', /task T1-V failed: validation still failing after 0 fix rounds: .*Running implement again validates it again, with one more fix round/);
    // Still rejected: the resume validated it again, then made the one fix round it granted, which failed too.
    const second = await implement(repo, dir, rejecting);
    assert.equal(second.result.state.runId, first.result.state.runId);
    assert.equal(second.result.status, 'halted');
    assert.match(second.result.state.haltReason ?? '', /task T1-F1-V failed: validation still failing after 1 fix round:/);
    assert.ok(second.events.some((e) => e.type === 'task-status' && e.task === 'T1-V' && e.status === 'reopened'));
    const tasks = () => json(teamFile(second.result, 1, 'tasks.json')).tasks as { id: string; status: string; extraFixes?: number; ok?: boolean }[];
    assert.deepEqual(tasks().filter((t) => t.id.startsWith('T1')).map((t) => [t.id, t.status, t.ok]), [['T1', 'complete', undefined], ['T1-V', 'complete', false], ['T1-F1', 'complete', undefined], ['T1-F1-V', 'failed', false]]);
    assert.equal(tasks().find((t) => t.id === 'T1')!.extraFixes, 1);
    // --fresh: a new run of the plan; the halted one is left exactly as it was.
    const stateFile = path.join(second.result.state.runDir, 'plan-run.json');
    const halted = fs.readFileSync(stateFile, 'utf8');
    const fresh = await implement(repo, dir, { fresh: true, gate: async () => 'later' });
    assert.notEqual(fresh.result.state.runId, first.result.state.runId);
    assert.equal(fresh.result.resumed, false);
    assert.equal(fresh.result.status, 'awaiting-approval', fresh.result.state.haltReason ?? '');
    assert.equal(fs.readFileSync(stateFile, 'utf8'), halted);
    // Without --fresh, the newest unfinished run of the plan is the one resumed; this time the validator accepts.
    const third = await implement(repo, dir);
    assert.equal(third.result.state.runId, fresh.result.state.runId);
    assert.equal(third.result.status, 'succeeded', third.result.state.haltReason ?? '');
    // The newest run of the plan decides: it succeeded, so the one it set aside is not taken up again.
    const next = await startImplement({ repoRoot: repo.root, planDir: dir, offline: true, offlineModel: () => startScriptedModel({}), gate: approve });
    next.cancel('test: only which run it picked matters');
    await next.done;
    assert.equal(next.resumed, false);
    assert.ok(![first.result.state.runId, fresh.result.state.runId].includes(next.runId), next.runId);
    assert.equal(fs.readFileSync(stateFile, 'utf8'), halted, 'the set-aside run is as it was');
  });

  it('a fix task\'s validation that failed for good after the tests of a phase is validated again on resume, before the suite can let the phase merge', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'post-fix'), [{ slug: 'ops', tasks: [opTask('T1', 'multiply'), opTask('T2', 'divide'), opTask('T3', 'square')] }]);
    // Stopped as the code review starts; then what a halt in the step after it leaves: a fix task of
    // the red suite done, its validation failed for good.
    const first = await implement(repo, dir, {}, (e, cancel) => {
      if (e.type === 'agent-started' && e.agentId.startsWith('p01-reviewer')) cancel();
    });
    assert.equal(first.result.status, 'cancelled', first.result.state.haltReason ?? '');
    const tasksFile = teamFile(first.result, 1, 'tasks.json');
    const list = json(tasksFile);
    list.tasks.push(
      { id: 'P1', role: 'builder', kind: 'fix-tests', title: 'Make the test suite green again', details: 'red', files: [], depends_on: [], status: 'complete', claimedBy: 'builder-1', summary: 'fixed', releases: 0 },
      { id: 'P1-V', role: 'validator', kind: 'validate', title: 'Validate P1', details: 'red', files: [], depends_on: ['P1'], validates: 'P1', status: 'failed', claimedBy: 'validator-1', summary: 'validation still failing after 2 fix rounds: red', ok: false, releases: 0 },
    );
    fs.writeFileSync(tasksFile, JSON.stringify(list, null, 2));
    const stateFile = path.join(first.result.state.runDir, 'plan-run.json');
    const state = json(stateFile);
    Object.assign(state, { status: 'halted', haltReason: 'task P1-V failed' });
    Object.assign(state.phases[0], { status: 'failed', step: 'post-tests' });
    fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));

    const { result, events } = await implement(repo, dir);
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.ok(events.some((e) => e.type === 'task-status' && e.task === 'P1-V' && e.status === 'reopened'));
    const after = json(teamFile(result, 1, 'tasks.json')).tasks as { id: string; status: string; ok?: boolean }[];
    assert.deepEqual(after.filter((t) => t.id.startsWith('P1')).map((t) => [t.id, t.status, t.ok]), [['P1', 'complete', undefined], ['P1-V', 'complete', true]]);
  });

  it('a review that used up its rounds on a High: running again gives it one more fix round, and the phase passes', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'blocked'), [{ slug: 'divide', tasks: [opTask('T1', 'divide')] }]);
    const first = await implement(repo, dir, { scripted: { scenario: 'review-high' }, team: { maxReviewRounds: 1 } });
    assert.equal(first.result.status, 'halted');
    assert.match(first.result.state.haltReason ?? '', /phase 01: Critical\/High review findings remain after 1 rounds .*running implement again gives it one more fix round/);
    const second = await implement(repo, dir, { scripted: { scenario: 'review-high' }, team: { maxReviewRounds: 1 } });
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
    const p = second.result.state.phases[0]!;
    assert.equal(p.reviewRounds, 3);
    assert.deepEqual(p.reviewItems.map((i) => [i.round, i.severity, i.processing, i.reason]), [
      [1, 'High', 'unresolved', 'still reported after 1 review rounds'],
      [2, 'High', 'fixed', 'fix task R2-1'],
    ]);
  });

  it('killed under the tests of a phase merge that turn out red: the resume rolls back to the head before the merge, not to the merge', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'merge-kill'), [{ slug: 'ops', tasks: [opTask('T1', 'multiply')] }]);
    const first = await implement(repo, dir);
    assert.equal(first.result.status, 'succeeded', first.result.state.haltReason ?? '');
    // What a kill under the merged suite leaves, on a merge that would have been red: the merge (here
    // a commit that adds a failing test) on the integration branch, the state still at the merge step
    // with the head it recorded before merging.
    const wt = path.join(first.result.state.runDir, 'worktrees', 'integration');
    const beforeMerge = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: wt, encoding: 'utf8' }).trim();
    fs.mkdirSync(path.join(wt, 'test'), { recursive: true });
    fs.writeFileSync(path.join(wt, 'test', 'zz-red.test.js'), "require('node:test')('red after the merge', () => { throw new Error('red'); });\n");
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@x.invalid', 'add', '.'], { cwd: wt });
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@x.invalid', '-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-m', 'the red merge'], { cwd: wt });
    const stateFile = path.join(first.result.state.runDir, 'plan-run.json');
    const state = json(stateFile);
    Object.assign(state, { status: 'running', haltReason: undefined });
    Object.assign(state.phases[0], { status: 'running', step: 'merge', mergeBase: beforeMerge });
    fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));

    const second = await implement(repo, dir);
    assert.equal(second.result.status, 'halted');
    assert.match(second.result.state.haltReason ?? '', /the suite is red after merging it; the merge was rolled back/);
    assert.equal(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: wt, encoding: 'utf8' }).trim(), beforeMerge, 'rolled back to the head before the merge');
    assert.ok(!fs.existsSync(path.join(wt, 'test', 'zz-red.test.js')));
  });

  it('a long conversation is compacted before the next wake: the task card and notes on finished tasks stay', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'compact'), [{ slug: 'ops', tasks: [opTask('T1', 'multiply'), opTask('T2', 'divide', ['T1'])] }]);
    const { result } = await implement(repo, dir, { team: { compactBytes: 2000 } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const conv = json(teamFile(result, 1, 'builder-1.conversation.json'));
    const first = conv.messages[0].content as string;
    assert.match(first, /^<task-card>\nrole: teammate\nname: builder-1/);
    assert.match(first, /<earlier-work>\nT1 \(Implement multiply with its tests\): Changed src\/ops\/multiply\.js/);
    assert.ok(!JSON.stringify(conv.messages).includes('claimed T1:'), 'the first task\'s turns were dropped');
    assert.match(JSON.stringify(conv.messages), /claimed T2:/);
  });

  it('a teammate that makes no progress for teammateStallMs is dead; replacements are bounded, then the run halts with the reasons', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'stall'), [{ slug: 'square', tasks: [opTask('T1', 'square')] }]);
    // Every model reply takes 3 s; a teammate silent for 1 s is dead.
    const { result } = await implement(repo, dir, { scripted: { latencyMs: 3000 }, config: { retryBaseDelayMs: 5, testTimeoutMs: 60_000, teammateStallMs: 1000 } });
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason!, /^3 builders of phase 01 died \(builder-1: .*no progress for 1000 ms.*builder-3: /);
    const roster = json(teamFile(result, 1, 'roster.json')).teammates as { name: string; state: string }[];
    assert.deepEqual(roster.map((t) => [t.name, t.state]), [['builder-1', 'dead'], ['builder-2', 'dead'], ['builder-3', 'dead']]);
    const tasks = json(teamFile(result, 1, 'tasks.json')).tasks as { id: string; status: string; releases: number }[];
    assert.deepEqual(tasks.map((t) => [t.id, t.status]), [['T1', 'pending']]);
    assert.match(result.state.haltReason!, /not spawning another\. Running implement again tries with new teammates$/);
    // Running it again (the model answers in time now): the deaths of the last try do not count against
    // this one; a new builder, never a reused name, does the task.
    const second = await implement(repo, dir);
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
    const after = json(teamFile(second.result, 1, 'roster.json')).teammates as { name: string; state: string }[];
    assert.deepEqual(after.map((t) => [t.name, t.state]), [['builder-1', 'dead'], ['builder-2', 'dead'], ['builder-3', 'dead'], ['builder-4', 'idle']]);
  });

  it('a teammate interrupted mid-turn resumes inside that turn: the work of the turn is not redone and its mail is delivered exactly once', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'midturn'), [{ slug: 'ops', tasks: [opTask('T1', 'multiply'), opTask('T2', 'divide'), opTask('T3', 'square')] }]);
    let stopped = false;
    // Stopped right after the validator's test run came back, before its next model turn.
    const first = await implement(repo, dir, {}, (e, cancel) => {
      if (!stopped && e.type === 'tool-result' && e.tool === 'bash' && e.agentId.startsWith('p01-validator-1-')) {
        stopped = true;
        cancel();
      }
    });
    assert.equal(first.result.status, 'cancelled');
    const atStop = json(teamFile(first.result, 1, 'validator-1.conversation.json'));
    const last = atStop.messages.at(-1) as { role: string; content: { type: string }[] };
    assert.equal(last.role, 'user', 'saved after the tool results of the interrupted turn');
    assert.ok(last.content.some((b) => b.type === 'tool_result'));
    assert.ok(atStop.deliveredThrough >= 1, 'the mail delivered in that turn is recorded with it');

    const second = await implement(repo, dir);
    assert.equal(second.result.resumed, true);
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
    const journal = fs.readFileSync(path.join(second.result.state.runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // Every message was delivered once across the kill and the resume, and each reached the conversation once.
    const sent = journal.filter((e) => e.type === 'team-message' && e.event === 'sent').map((e) => e.seq as number);
    const delivered = journal.filter((e) => e.type === 'team-message' && e.event === 'delivered').map((e) => e.seq as number);
    assert.ok(sent.length >= 1);
    assert.deepEqual([...delivered].sort((a, b) => a - b), [...sent].sort((a, b) => a - b));
    const conv = json(teamFile(second.result, 1, 'validator-1.conversation.json'));
    const seqs = [...JSON.stringify(conv.messages).matchAll(/<mailbox>(.*?)<\/mailbox>/g)].flatMap((b) => [...b[1]!.matchAll(/#(\d+) from/g)].map((m) => Number(m[1])));
    assert.deepEqual(seqs, sent.filter((n) => journal.some((e) => e.type === 'team-message' && e.event === 'sent' && e.seq === n && e.to === 'validator-1')));
    // The interrupted turn went on (one <resumed> note, no second wake for the same task) and the
    // validator ran the tests once per task it validated: nothing done before the kill was redone.
    assert.equal((JSON.stringify(conv.messages).match(/<resumed>/g) ?? []).length, 1);
    const tasks = json(teamFile(second.result, 1, 'tasks.json')).tasks as { id: string; claimedBy?: string; status: string }[];
    const validated = tasks.filter((t) => t.claimedBy === 'validator-1' && t.status === 'complete').length;
    const testRuns = journal.filter((e) => e.type === 'tool-call' && e.tool === 'bash' && String(e.agentId).startsWith('p01-validator-1-')).length;
    assert.equal(testRuns, validated);
    const wakes = (conv.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'user' && JSON.stringify(m.content).includes('<wake>')).length;
    assert.equal(wakes, validated, 'one wake per validated task');
  });

  it('cancelled while a teammate is being woken: that wake stops before its first model turn, and the run ends cancelled', async () => {
    repo = makeCalcRepo();
    const dir = writeCalcPlan(repo);
    let seen = 0;
    let cancelledAt = -1;
    const { result, events } = await implement(repo, dir, {}, (e, cancel) => {
      seen++;
      // The wake emits "working" before it reads the phase head and resets the worktree (awaits):
      // the cancel lands while the teammate's own stop signal does not exist yet.
      if (cancelledAt < 0 && e.type === 'teammate-state' && e.state === 'working') {
        cancelledAt = seen;
        cancel();
      }
    });
    assert.ok(cancelledAt >= 0, 'a teammate was woken');
    assert.equal(result.status, 'cancelled');
    const after = events.slice(cancelledAt);
    assert.deepEqual(after.filter((e) => e.type === 'tool-call' || e.type === 'agent-usage' || e.type === 'team-message').map((e) => e.type), [], 'no model turn, tool call or message after the cancel');
    const tasks = json(teamFile(result, 1, 'tasks.json')).tasks as { status: string }[];
    assert.deepEqual(tasks.filter((t) => t.status !== 'pending').map((t) => t.status), [], 'nothing was claimed');
  });

  it('stopped as a phase starts: the suite it killed is not recorded as red, no fix task is made, and the resume builds the phase', async () => {
    repo = makeCalcRepo();
    const dir = writeCalcPlan(repo);
    const first = await implement(repo, dir, {}, (e, cancel) => {
      // Before the phase's first test gate: the suite is stopped before (or while) it runs.
      if (e.type === 'phase-status' && e.status === 'running') cancel();
    });
    assert.equal(first.result.status, 'cancelled', first.result.state.haltReason ?? '');
    const phase = first.result.state.phases[0]!;
    assert.equal(phase.preflight, undefined, 'no verdict of a suite that did not run');
    assert.equal(first.result.state.carriedFailures, 0);
    const tasksFile = teamFile(first.result, 1, 'tasks.json');
    const ids = fs.existsSync(tasksFile) ? (json(tasksFile).tasks as { id: string }[]).map((t) => t.id) : [];
    assert.ok(!ids.includes('F0'), `no fix task for a green suite (tasks: ${ids.join(', ')})`);

    const second = await implement(repo, dir);
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
    assert.deepEqual(second.result.state.phases[0]!.preflight, { passed: true, failures: 0 });
    assert.ok(!(json(teamFile(second.result, 1, 'tasks.json')).tasks as { id: string }[]).some((t) => t.id === 'F0'));
  });

  it('kill during a team phase and resume: conversations, claims and inboxes come back; messages arrive in order, once', async () => {
    repo = makeCalcRepo();
    const dir = writeCalcPlan(repo);
    let stopped = false;
    const first = await implement(repo, dir, {}, (e, cancel) => {
      if (!stopped && e.type === 'team-message' && e.event === 'sent' && e.seq === 2) {
        stopped = true;
        cancel();
      }
    });
    assert.equal(first.result.status, 'cancelled');
    const tasksAtStop = json(teamFile(first.result, 1, 'tasks.json')).tasks as { id: string; status: string; claimedBy?: string }[];
    const claimsAtStop = tasksAtStop.filter((t) => t.status === 'claimed').map((t) => [t.id, t.claimedBy]);
    assert.ok(claimsAtStop.length > 0, 'someone held a task when the run stopped');
    const mailAtStop = fs.readFileSync(teamFile(first.result, 1, 'mailbox.jsonl'), 'utf8');
    assert.equal((mailAtStop.match(/"seq"/g) ?? []).length, 2);

    const second = await implement(repo, dir);
    assert.equal(second.result.resumed, true);
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
    // The teammates that held tasks were woken for those tasks, not given new ones.
    for (const [id, by] of claimsAtStop) {
      const t = (json(teamFile(second.result, 1, 'tasks.json')).tasks as { id: string; claimedBy: string; status: string }[]).find((x) => x.id === id)!;
      assert.deepEqual([t.status, t.claimedBy], ['complete', by]);
    }
    // Every message to the validator (the two sent before the kill and those sent after) reached its
    // conversation exactly once, in sequence order.
    const mail = fs.readFileSync(teamFile(second.result, 1, 'mailbox.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.seq);
    const conv = JSON.stringify(json(teamFile(second.result, 1, 'validator-1.conversation.json')).messages);
    const seqs = [...conv.matchAll(/<mailbox>(.*?)<\/mailbox>/g)].flatMap((b) => [...b[1]!.matchAll(/#(\d+) from/g)].map((m) => Number(m[1])));
    assert.ok(mail.length >= 3);
    assert.deepEqual(seqs, mail.filter((m) => m.to === 'validator-1').map((m) => m.seq));
    assert.deepEqual(seqs.slice(0, 2), [1, 2], 'the messages sent before the kill were not lost');
    const roster = json(teamFile(second.result, 1, 'roster.json')).teammates as { name: string }[];
    assert.deepEqual(roster.map((t) => t.name), ['builder-1', 'builder-2', 'validator-1'], 'nobody was spawned twice');
  });
});
