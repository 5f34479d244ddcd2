import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TaskList, ClaimError } from '../../src/core/teams/taskList';
import { Mailbox, formatMail } from '../../src/core/teams/mailbox';
import { Roster } from '../../src/core/teams/roster';
import { countFailures } from '../../src/core/teams/testGate';
import { excerptFor, inspectFinding } from '../../src/core/teams/review';
import { teamTools } from '../../src/core/teams/teamTools';
import { teammatesToWake } from '../../src/core/teams/team';
import { verdictOfFindings, worst } from '../../src/core/plans/audit';
import { contextBytes, recordContext } from '../../src/core/plans/context';

describe('team parts: task list, mailbox, roster, test counts, review inspection, audit verdicts', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-team-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const task = (id: string, role: 'builder' | 'validator', deps: string[] = []) => ({ id, role, kind: role === 'builder' ? ('build' as const) : ('validate' as const), title: id, details: '', files: [], depends_on: deps });

  it('claims: only when dependencies are complete, only by the right role, one task at a time, never twice; persisted before answering', () => {
    const file = path.join(dir, 'tasks.json');
    const list = TaskList.open(file);
    list.add(task('T1', 'builder'));
    list.add(task('T2', 'builder', ['T1']));
    list.add(task('T1-V', 'validator', ['T1']));
    assert.throws(() => list.add(task('T1', 'builder')), /task T1 exists already/);
    assert.deepEqual(list.claimable('builder').map((t) => t.id), ['T1']);
    assert.throws(() => list.claim('T2', 'builder-1', 'builder'), (e: Error) => e instanceof ClaimError && /T2 waits for T1/.test(e.message));
    assert.throws(() => list.claim('T1', 'validator-1', 'validator'), /T1 is a builder task; you are a validator/);
    assert.throws(() => list.claim('T9', 'builder-1', 'builder'), /there is no task T9/);
    list.claim('T1', 'builder-1', 'builder');
    assert.throws(() => list.claim('T1', 'builder-2', 'builder'), /T1 is already claimed by builder-1/);
    assert.throws(() => list.claim(undefined, 'builder-1', 'builder'), /you already hold T1/);
    // What another process would read right now: the claim is on disk.
    assert.equal(TaskList.open(file).get('T1')!.claimedBy, 'builder-1');
    assert.throws(() => list.complete('T1', 'builder-2', { summary: 'x' }), /T1 is not claimed by you \(claimed, builder-1\)/);
    list.complete('T1', 'builder-1', { summary: 'done' });
    assert.deepEqual(list.claimable('builder').map((t) => t.id), ['T2']);
    assert.deepEqual(list.claimable('validator').map((t) => t.id), ['T1-V']);
    list.claim(undefined, 'builder-2', 'builder');
    assert.deepEqual(list.release('builder-2').map((t) => [t.id, t.status, t.claimedBy, t.releases]), [['T2', 'pending', undefined, 1]]);
    assert.equal(TaskList.open(file).get('T2')!.releases, 1);
    assert.equal(list.allDone(), false);
  });

  it('a task list file that is not what the engine wrote is refused clearly', () => {
    const file = path.join(dir, 'tasks.json');
    fs.writeFileSync(file, JSON.stringify({ tasks: [{ id: 'T1', role: 'boss' }] }));
    assert.throws(() => TaskList.open(file), /tasks\.json is invalid/);
  });

  it('mailbox: sequence order, pending per recipient, delivery replayed from disk, a line cut by a crash skipped', () => {
    const file = path.join(dir, 'mailbox.jsonl');
    const box = new Mailbox(file);
    box.send('builder-1', 'validator-1', 'first');
    box.send('builder-2', 'lead', 'to the lead');
    box.send('builder-2', 'validator-1', 'x'.repeat(5000));
    assert.deepEqual(box.pendingFor('validator-1', 0).map((m) => m.seq), [1, 3]);
    assert.equal(box.pendingFor('validator-1', 0)[1]!.text.length, 2000, 'messages are bounded');
    assert.deepEqual(box.pendingFor('validator-1', 1).map((m) => m.seq), [3]);
    box.markDelivered(box.all()[0]!);
    box.markDelivered(box.all()[0]!);
    fs.appendFileSync(file, '{"seq":4,"from":"builder-1","to":"vali');
    const again = new Mailbox(file);
    assert.deepEqual(again.all().map((m) => m.seq), [1, 2, 3]);
    assert.deepEqual([...again.delivered], [1]);
    assert.equal(fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"delivered"')).length, 1, 'delivery recorded once');
    assert.equal(formatMail(again.pendingFor('validator-1', 0).slice(0, 1)), '<mailbox>\n#1 from builder-1: first\n</mailbox>');
    again.send('builder-1', 'validator-1', 'after the crash');
    assert.deepEqual(new Mailbox(file).all().map((m) => [m.seq, m.text.slice(0, 15)]), [[1, 'first'], [2, 'to the lead'], [3, 'xxxxxxxxxxxxxxx'], [4, 'after the crash']]);
  });

  it('roster: a name is never spawned twice, alive or dead; next names count up', () => {
    const roster = Roster.open(path.join(dir, 'roster.json'));
    roster.add({ name: 'builder-1', role: 'builder', worktree: '/w/1', branch: 'b1', lastCommit: 'c' });
    assert.equal(roster.nextName('builder'), 'builder-2');
    roster.teammates[0]!.state = 'dead';
    roster.save();
    assert.throws(() => Roster.open(path.join(dir, 'roster.json')).add({ name: 'builder-1', role: 'builder', worktree: '/w/1', branch: 'b1', lastCommit: 'c' }), /no duplicate is spawned/);
    assert.deepEqual(Roster.open(path.join(dir, 'roster.json')).live('builder'), []);
  });

  it('counts failing tests from node:test, mocha, jest and pytest summaries; red without a count is 1', () => {
    assert.equal(countFailures('ℹ tests 4\nℹ pass 3\nℹ fail 1\n', 1), 1);
    assert.equal(countFailures('# tests 5\n# fail 2\n', 1), 2);
    assert.equal(countFailures('  3 passing\n  2 failing\n', 1), 2);
    assert.equal(countFailures('Tests:       4 failed, 10 passed', 1), 4);
    assert.equal(countFailures('FAILED (failures=3)', 1), 3);
    assert.equal(countFailures('Segmentation fault', 139), 1);
    assert.equal(countFailures('ℹ fail 0\n', 0), 0);
    // A green suite whose test titles read like summaries is green.
    assert.equal(countFailures('  ✔ locks after 3 failed logins\n  ✔ reports 2 failing checks\n\n  2 passing\n', 0), 0);
    assert.equal(countFailures('test_locks_after_3_failed_logins PASSED\n=== 5 passed in 0.1s ===\n', 0), 0);
    // Red: the summary's count, not a title's.
    assert.equal(countFailures('  1) shows 7 failing checks\n\n  4 passing\n  1 failing\n', 1), 1);
  });

  it('review findings that cite a missing file, a line past the end or a path outside the project are hallucinated by inspection', () => {
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src', 'a.js'), 'one\ntwo\n');
    const f = (file: string, line: number) => ({ severity: 'Medium' as const, file, line, text: 't' });
    assert.deepEqual(inspectFinding([dir], f('src/gone.js', 1)), { judgement: 'hallucinated', reason: 'the cited file src/gone.js does not exist (or is not a regular file inside the project)' });
    // A builder's symlink to a file outside (a key, the engine's environment) is not followed: nothing of it reaches the judge.
    const secret = path.join(os.tmpdir(), `bp-secret-${process.pid}.txt`);
    fs.writeFileSync(secret, 'SECRET=1\n');
    try {
      fs.symlinkSync(secret, path.join(dir, 'src', 'env.txt'));
      fs.symlinkSync(path.dirname(secret), path.join(dir, 'tmpdir'));
      assert.equal((inspectFinding([dir], f('src/env.txt', 0)) as { judgement?: string }).judgement, 'hallucinated');
      assert.equal((inspectFinding([dir], f(`tmpdir/${path.basename(secret)}`, 0)) as { judgement?: string }).judgement, 'hallucinated');
    } finally {
      fs.rmSync(secret, { force: true });
    }
    assert.deepEqual(inspectFinding([dir], f('src/a.js', 9)), { judgement: 'hallucinated', reason: 'line 9 is past the end of src/a.js (3 lines)' });
    assert.match((inspectFinding([dir], f('../etc/passwd', 1)) as { reason: string }).reason, /not a file of the project.*'\.\.' segment/);
    assert.deepEqual(inspectFinding([dir], f('src/a.js', 2)), { lines: ['one', 'two', ''] });
    // A plan review cites plan files and code files: each root is tried in turn.
    const planDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-plan-root-'));
    try {
      fs.writeFileSync(path.join(planDir, 'plan.md'), '# Plan\n');
      assert.deepEqual(inspectFinding([dir, planDir], f('plan.md', 1)), { lines: ['# Plan', ''] });
      assert.deepEqual(inspectFinding([dir, planDir], f('src/a.js', 1)), { lines: ['one', 'two', ''] });
      assert.deepEqual(inspectFinding([dir], f('plan.md', 1)), { judgement: 'hallucinated', reason: 'the cited file plan.md does not exist (or is not a regular file inside the project)' });
    } finally {
      fs.rmSync(planDir, { recursive: true, force: true });
    }
  });

  it('team tools journal through the shared wrapper: a refused call is journaled with the text the model reads', async () => {
    const tasks = TaskList.open(path.join(dir, 'tasks.json'));
    tasks.add(task('T0', 'builder'));
    tasks.add(task('T1', 'builder', ['T0']));
    const journal: { tool: string; isError?: boolean; text: string }[] = [];
    const observe = { call: (tool: string, input: unknown) => journal.push({ tool, text: JSON.stringify(input) }), result: (tool: string, isError: boolean, text: string) => journal.push({ tool, isError, text }) };
    const [claim] = teamTools({ name: 'builder-1', role: 'builder', tasks, finishWork: async () => ({}), afterComplete: () => undefined, send: () => 'sent' }, observe);
    await assert.rejects(async () => claim!.run({ id: 'T1' }, undefined as never));
    assert.deepEqual(journal.map((j) => [j.tool, j.isError]), [['claim_task', undefined], ['claim_task', true]]);
    // The ToolError's own text, not JSON-quoted: what the model was told.
    assert.match(journal[1]!.text, /^claim_task: T1 .*T0/);
  });

  it('claim_task is refused while the teammate says it may not claim (it completed a task in this turn); nothing is claimed', async () => {
    const tasks = TaskList.open(path.join(dir, 'tasks.json'));
    tasks.add(task('T1', 'builder'));
    let refusal: string | undefined = 'you completed T0 in this turn; end your turn now.';
    const noop = { call: () => undefined, result: () => undefined };
    const [claim] = teamTools({ name: 'builder-1', role: 'builder', tasks, finishWork: async () => ({}), afterComplete: () => undefined, send: () => 'sent', claimRefusal: () => refusal }, noop);
    await assert.rejects(async () => claim!.run({ id: 'T1' }, undefined as never), (e: Error) => e.message === 'claim_task: you completed T0 in this turn; end your turn now.');
    assert.equal(TaskList.open(path.join(dir, 'tasks.json')).get('T1')!.status, 'pending');
    refusal = undefined;
    assert.match(String(await claim!.run({ id: 'T1' }, undefined as never)), /^claimed T1:/);
  });

  it('audit verdicts: order and stale references ask a person; cycles, missing phases and format block; the worse verdict wins', () => {
    const p = (kind: Parameters<typeof verdictOfFindings>[0][number]['kind']) => ({ kind, file: 'f', message: 'm' });
    assert.equal(verdictOfFindings([]), 'Ready');
    assert.equal(verdictOfFindings([p('order'), p('missing-file')]), 'Significant Issues');
    assert.equal(verdictOfFindings([p('order'), p('cycle')]), 'Major Restructuring Needed');
    assert.equal(verdictOfFindings([p('missing-phase')]), 'Major Restructuring Needed');
    assert.equal(worst('Ready', 'Significant Issues'), 'Significant Issues');
    const into = { calls: 0, maxBytes: 0, totalBytes: 0 };
    recordContext(into, 'a', contextBytes(['sys'], [{ role: 'user', content: 'hi' }]));
    recordContext(into, 'b', 10);
    assert.deepEqual(into, { calls: 2, maxBytes: 35, totalBytes: 45, largest: 'a' });
  });
});

describe('team: which idle teammates wake', () => {
  const mate = (name: string, s: { running?: boolean; idle?: boolean; holds?: boolean } = {}) => ({ name, running: false, idle: true, holds: false, ...s });

  it('one teammate per claimable task, in roster order', () => {
    assert.deepEqual(teammatesToWake([mate('b1'), mate('b2'), mate('b3')], 2), ['b1', 'b2']);
    assert.deepEqual(teammatesToWake([mate('b1'), mate('b2')], 0), []);
  });

  it('a teammate awake without a task is about to claim one: no second teammate is woken for the same task', () => {
    // The CI failure this guards: builder-1 woken for the last task, builder-2 woken too, lost the claim race.
    assert.deepEqual(teammatesToWake([mate('b1', { running: true, idle: false }), mate('b2')], 1), []);
    assert.deepEqual(teammatesToWake([mate('b1', { running: true, idle: false }), mate('b2')], 2), ['b2']);
  });

  it('a teammate at work on a held task does not count against the claimable tasks', () => {
    assert.deepEqual(teammatesToWake([mate('b1', { running: true, idle: false, holds: true }), mate('b2')], 1), ['b2']);
  });

  it('a teammate holding a task from before an interruption always wakes, even with nothing claimable', () => {
    assert.deepEqual(teammatesToWake([mate('b1', { holds: true }), mate('b2')], 0), ['b1']);
  });

  it('never wakes a teammate that is already running or not idle', () => {
    assert.deepEqual(teammatesToWake([mate('b1', { idle: false }), mate('b2', { running: true, holds: true })], 3), []);
  });
});

describe('what the review judge sees of the cited file', () => {
  const file = Array.from({ length: 120 }, (_, i) => `line ${i + 1}`);

  it('around a cited line: ten lines either side, numbered', () => {
    const { from, to, excerpt } = excerptFor(file, 50);
    assert.deepEqual([from, to], [40, 60]);
    assert.match(excerpt, /^40: line 40\n[\s\S]*\n60: line 60$/);
  });

  it('for line 0 (a finding about the whole file): the whole file when it fits, not just its first lines', () => {
    const { from, to, excerpt } = excerptFor(file, 0);
    assert.deepEqual([from, to], [1, 120]);
    assert.match(excerpt, /\n120: line 120$/);
  });
});
