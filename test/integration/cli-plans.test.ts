import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, spawnCli } from './cliProcess';
import type { TestRepo } from './harness';
import { makeCalcRepo, opTask, writePlan } from './plan-helpers';

function cli(args: string[]) {
  return runCli(args, { timeoutMs: 230_000 });
}

describe('CLI: plan and implement (dist/cli.js as a real process)', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeCalcRepo()));
  afterEach(() => repo.cleanup());

  it('plan writes the plan folder (and nothing else); implement carries it out and prints the report', () => {
    const plan = cli(['plan', 'Add multiply, divide and power operations', '--cwd', repo.root, '--offline']);
    assert.equal(plan.code, 0, plan.out + plan.err);
    assert.match(plan.out, /Plan written: .*\.orchestration\/plans\/add-multiply-divide-and-power-operations \(3 phases\)/);
    const status = repo.git('status', '--porcelain=v1', '--untracked-files=all');
    assert.ok(status.split('\n').every((l) => l.startsWith('?? .orchestration/plans/add-multiply-divide-and-power-operations/')), status);
    const run = cli(['implement', '.orchestration/plans/add-multiply-divide-and-power-operations', '--cwd', repo.root, '--offline']);
    // Without a terminal or --yes, the ship gate waits: exit 3, nothing merged, the tree as it was.
    assert.equal(run.code, 3, run.out + run.err);
    assert.match(run.out, /flow audit: Ready/);
    assert.match(run.out, /builder-2 \(builder\) idle — spawned/);
    assert.match(run.out, /✉ #1 builder-\d → validator-1: /);
    assert.match(run.out, /phase 03: done — merged [0-9a-f]{10}/);
    assert.match(run.out, /^first-attempt review pass rate: 100%; carried test failures: 0$/m);
    assert.match(run.out, /^orchestrator context: largest \d+ B, total \d+ B over \d+ call\(s\)$/m);
    assert.match(run.out, /Awaiting a decision \(ship gate: awaiting a decision to merge orchestration\/\d{8}-\d{6}-[0-9a-f]{8}\/integration into main\)/);
    assert.equal(repo.git('status', '--porcelain=v1', '--untracked-files=all'), status);
    // The user commits the plan, then approves with --yes: the same run merges into main.
    repo.git('add', '.orchestration');
    repo.git('commit', '-q', '-m', 'user: the plan');
    const planCommit = repo.git('rev-parse', 'main');
    const ship = cli(['implement', '.orchestration/plans/add-multiply-divide-and-power-operations', '--cwd', repo.root, '--offline', '--yes']);
    assert.equal(ship.code, 0, ship.out + ship.err);
    assert.match(ship.out, /^Resuming /m);
    assert.match(ship.out, /Ship ready: merge .* into main\? \(3 phases, \d+ files, tests pass\) — approved \(--yes\)/);
    assert.match(ship.out, /^Shipped: orchestration\/\d{8}-\d{6}-[0-9a-f]{8}\/integration merged into main as [0-9a-f]{12}/m);
    assert.equal(repo.git('rev-parse', 'main^1'), planCommit, 'main moved by one --no-ff merge on top of the user\'s plan commit');
    assert.ok(fs.existsSync(path.join(repo.root, 'src', 'ops', 'power.js')));
  });

  it('usage and plan errors: no PLAN_DIR is exit 2; a plan that cannot be read is exit 1 with its problems', () => {
    const none = cli(['implement', '--cwd', repo.root, '--offline']);
    assert.equal(none.code, 2);
    assert.match(none.err, /implement needs a PLAN_DIR/);
    const noDescription = cli(['plan', '--cwd', repo.root]);
    assert.equal(noDescription.code, 2);
    const dir = writePlan(path.join(repo.root, 'plans', 'bad'), [{ slug: 'one' }]);
    fs.writeFileSync(path.join(dir, 'phase-01-one.md'), 'no header\n');
    const bad = cli(['implement', dir, '--cwd', repo.root, '--offline']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /cannot be implemented as written:\n- \[format\] phase-01-one\.md: does not start with a header/);
    // A halt says how to go on: the same command (another try), or --fresh.
    const cyclic = writePlan(path.join(repo.root, 'plans', 'cyclic'), [{ slug: 'a', depends_on: [3] }, { slug: 'b', depends_on: [1] }, { slug: 'c', depends_on: [2] }]);
    const halted = cli(['implement', cyclic, '--cwd', repo.root, '--offline']);
    assert.equal(halted.code, 1, halted.out + halted.err);
    assert.match(halted.out, /^HALTED: flow audit: Major Restructuring Needed/m);
    assert.match(halted.out, /\nRun it again to resume \(another try at what halted it; mend the cause first if you can\):\n {2}build-pipeline implement (\S+) --cwd (\S+)\nor start the plan over as a new run:\n {2}build-pipeline implement \1 --cwd \2 --fresh\n$/);
  });

  it('Significant Issues without a terminal or --yes waits (exit 3); --yes implements the same run', () => {
    const dir = writePlan(path.join(repo.root, 'plans', 'order'), [
      { slug: 'square', depends_on: [2], tasks: [opTask('T1', 'square')] },
      { slug: 'negate', tasks: [opTask('T1', 'negate')] },
      { slug: 'docs', depends_on: [1, 2], tasks: [{ id: 'T1', title: 'Document square', files: ['docs/square.md'] }] },
    ]);
    repo.git('add', 'plans');
    repo.git('commit', '-q', '-m', 'user: the plan');
    const wait = cli(['implement', dir, '--cwd', repo.root, '--offline']);
    assert.equal(wait.code, 3, wait.out + wait.err);
    assert.match(wait.out, /flow audit: Significant Issues\n {2}phase-01-square\.md: phase 01 is ordered before phase 02/);
    assert.match(wait.out, /approve with:\n {2}build-pipeline implement .* --yes\n\(--yes approves every gate still ahead as well, including the ship gate: the merge into main\.\)/);
    // --fresh: a new run of the plan, the waiting one set aside (and said so); the next run resumes the new one.
    const waiting = /: run (\S+)\n/.exec(wait.out)![1]!;
    const fresh = cli(['implement', dir, '--cwd', repo.root, '--offline', '--fresh']);
    assert.equal(fresh.code, 3, fresh.out + fresh.err);
    assert.match(fresh.out, new RegExp(`^Implementing .*: run (?!${waiting})\\S+\n.*\n\\(--fresh: run ${waiting} of this plan is left as it was, with its branches; it is not resumed\\)$`, 'm'));
    const freshId = /: run (\S+)\n/.exec(fresh.out)![1]!;
    const go = cli(['implement', dir, '--cwd', repo.root, '--offline', '--yes']);
    assert.equal(go.code, 0, go.out + go.err);
    assert.match(go.out, new RegExp(`^Resuming .*: run ${freshId}\n`, 'm'));
    assert.match(go.out, /Flow audit: Significant Issues in order — approved \(--yes\)/);
    assert.match(go.out, /^Shipped: .* merged into main as /m);
  });

  it('SIGTERM during a team phase cancels the run as Ctrl-C does (it used to kill the process outright); implement again resumes it', async () => {
    const dir = writePlan(path.join(repo.root, 'plans', 'team'), [{ slug: 'ops', tasks: [opTask('T1', 'multiply'), opTask('T2', 'divide')] }]);
    const child = spawnCli(['implement', dir, '--cwd', repo.root, '--offline']);
    let out = '';
    const exited = new Promise<number | null>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/▶ p01-builder-/.test(out) && child.exitCode === null && !child.killed) child.kill('SIGTERM');
      });
      child.on('exit', (code) => resolve(code));
    });
    assert.equal(await exited, 1, out);
    assert.match(out, /Cancelling \(SIGTERM\)/);
    assert.match(out, /^CANCELLED: cancelled by the user \(SIGTERM\)$/m);
    assert.match(out, /\nResume it with:\n {2}build-pipeline implement \S+ --cwd \S+\n$/);
    const again = cli(['implement', dir, '--cwd', repo.root, '--offline']);
    assert.equal(again.code, 3, again.out + again.err);
    assert.match(again.out, /^Resuming /m);
  });

  it('SIGKILL during a team phase, then implement again: the run resumes and finishes; no message is lost', async () => {
    const dir = writePlan(path.join(repo.root, 'plans', 'team'), [{ slug: 'ops', tasks: [opTask('T1', 'multiply'), opTask('T2', 'divide'), opTask('T3', 'square')] }]);
    const child = spawnCli(['implement', dir, '--cwd', repo.root, '--offline']);
    let out = '';
    const killed = await new Promise<boolean>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/✉ #1 /.test(out) && child.exitCode === null) {
          child.kill('SIGKILL');
        }
      });
      child.on('exit', (_code, signal) => resolve(signal === 'SIGKILL'));
    });
    assert.ok(killed, `the run was killed mid-phase:\n${out}`);
    const again = cli(['implement', dir, '--cwd', repo.root, '--offline']);
    // It finishes every phase and waits at the ship gate (no terminal, no --yes).
    assert.equal(again.code, 3, again.out + again.err);
    assert.match(again.out, /Awaiting a decision \(ship gate: /);
    assert.match(again.out, /^Resuming /m);
    const runDir = /^ {2}(\/.*\/runs\/\d{8}-\d{6}-[0-9a-f]{8})$/m.exec(again.out)![1]!;
    const teamDir = path.join(runDir, 'team', 'phase-01');
    const mail = fs.readFileSync(path.join(teamDir, 'mailbox.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.seq);
    const conv = JSON.stringify(JSON.parse(fs.readFileSync(path.join(teamDir, 'validator-1.conversation.json'), 'utf8')).messages);
    const seqs = [...conv.matchAll(/<mailbox>(.*?)<\/mailbox>/g)].flatMap((b) => [...b[1]!.matchAll(/#(\d+) from/g)].map((m) => Number(m[1])));
    assert.deepEqual(seqs, mail.filter((m) => m.to === 'validator-1').map((m) => m.seq));
    assert.equal(seqs[0], 1, 'the message sent before the kill arrived');
    const roster = JSON.parse(fs.readFileSync(path.join(teamDir, 'roster.json'), 'utf8')).teammates.map((t: { name: string }) => t.name);
    assert.deepEqual(roster, ['builder-1', 'builder-2', 'validator-1']);
  });
});
