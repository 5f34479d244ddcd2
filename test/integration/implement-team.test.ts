import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startImplement, type ImplementOptions, type ImplementResult, type PlanGate } from '../../src/core/teams/implement';
import type { TeamEvent } from '../../src/core/plans/events';
import { calcPlanFiles } from '../../src/scripted/projects/calc-plan';
import { calcPlanDescription } from '../../src/scripted/projects/calc-ops';
import { makeCalcRepo, opTask, writePlan } from './plan-helpers';
import { startScriptedModel } from '../../src/scripted';
import type { ScriptedModelOptions } from '../../src/scripted/types';
import type { TestRepo } from './harness';

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
  const handle = await startImplement({ repoRoot: repo.root, planDir, offline: true, offlineModel: () => startScriptedModel(scripted ?? {}), gate: approve, config: { retryBaseDelayMs: 5, testTimeoutMs: 60_000 }, ...rest });
  const events: TeamEvent[] = [];
  handle.onEvent((e) => {
    events.push(e);
    onEvent?.(e, () => handle.cancel('test cancel'));
  });
  return { result: await handle.done, events };
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
  let run: { result: ImplementResult; events: TeamEvent[] };
  let statusBefore: string;
  let headBefore: string;

  before(async () => {
    repo = makeCalcRepo();
    const dir = writeCalcPlan(repo);
    fs.writeFileSync(path.join(repo.root, 'notes.txt'), 'my uncommitted notes\n');
    statusBefore = repo.git('status', '--porcelain=v1', '--untracked-files=all');
    headBefore = repo.git('rev-parse', 'HEAD');
    run = await implement(repo, dir);
  });
  after(() => repo?.cleanup());

  it('succeeds: the audit said Ready, every phase is done and merged', () => {
    const s = run.result.state;
    assert.equal(run.result.status, 'succeeded', s.haltReason ?? '');
    assert.equal(s.audit?.verdict, 'Ready');
    assert.deepEqual(s.phases.map((p) => [p.number, p.status, p.team]), [[1, 'done', true], [2, 'done', false], [3, 'done', false]]);
  });

  it('never touches the user tree; the integration branch has one --no-ff merge per phase, in order', () => {
    assert.equal(repo.git('status', '--porcelain=v1', '--untracked-files=all'), statusBefore);
    assert.equal(repo.git('rev-parse', 'HEAD'), headBefore);
    assert.equal(repo.git('rev-parse', '--abbrev-ref', 'HEAD'), 'main');
    const s = run.result.state;
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
    const second = await implement(repo, dir);
    assert.equal(second.result.resumed, true);
    assert.equal(second.result.state.runId, first.result.state.runId);
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
    assert.ok(!second.events.some((e) => e.type === 'agent-started' && e.role === 'plan-auditor'), 'the stored audit of the unchanged plan is reused');
    const merges = repo.git('log', '--first-parent', '--merges', '--format=%s', second.result.state.integrationBranch).split('\n').slice(0, 3).reverse();
    assert.deepEqual(merges, ['phase 02: Phase negate', 'phase 01: Phase square', 'phase 03: Phase docs']);
  });

  it('a 2-phase plan skips the flow audit', async () => {
    repo = makeCalcRepo();
    const dir = writePlan(path.join(plans(), 'two'), [{ slug: 'square', tasks: [opTask('T1', 'square')] }, { slug: 'docs', depends_on: [1], tasks: [{ id: 'T1', title: 'Document square', files: ['docs/square.md'] }] }]);
    const { result, events } = await implement(repo, dir);
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.deepEqual(result.state.audit, { skipped: true, reasons: [], decision: 'not-needed' });
    assert.ok(!events.some((e) => e.type === 'agent-started' && e.role === 'plan-auditor'));
    assert.equal(result.report.orchestratorContext.calls, 0);
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
