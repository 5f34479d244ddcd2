// Kill-and-resume in Stages 5 and 6 with a real SIGKILL: the CLI (dist/cli.js) runs as a child process
// in its own process group against a temporary repository with the offline scripted model, is killed
// (with every process it started) at a chosen point, and `resume` finishes the run. The points are
// picked by watching what the run writes (audit.json, a marker a git hook writes, the gate prompt on a
// pseudo-terminal), never by a hook in the engine.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readAuditState } from '../../src/core/audit/state';
import { readJournal } from '../../src/core/run/journal';
import { runLockOwner } from '../../src/core/run/lock';
import { makeCleanRepo, read, type TestRepo } from './harness';
import { CLI, cliEnv } from './cliProcess';

const DESCRIPTION = 'Build a CLI tool with a greeter module and a formatter module.';

/** The CLI as a process group of its own, so that SIGKILL reaches it and everything it started. */
function spawnCli(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { env: cliEnv(), stdio: 'ignore', detached: true });
}

async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // the group is gone already (it ended between the check and the kill)
  }
  await exited;
}

function resume(repo: TestRepo, runId: string) {
  const r = spawnSync(process.execPath, [CLI, 'resume', runId, '--cwd', repo.root, '--yes'], { env: cliEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 400_000 });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/** Polls until `check` returns a value (files are replaced atomically; a read between steps tries again). */
async function waitFor<T>(what: string, check: () => T | undefined, child?: ChildProcess, limitMs = 400_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    try {
      const v = check();
      if (v !== undefined) return v;
    } catch {
      // not there yet, or being replaced
    }
    if (child && child.exitCode !== null) throw new Error(`the CLI exited (${child.exitCode}) before ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function runDirOf(repo: TestRepo): string | undefined {
  const runs = path.join(repo.root, '.git', 'build-pipeline', 'runs');
  const id = fs.existsSync(runs) ? fs.readdirSync(runs)[0] : undefined;
  return id ? path.join(runs, id) : undefined;
}

function state(runDir: string) {
  return JSON.parse(read(path.join(runDir, 'state.json')));
}

/** main's history after the ship: the old head is the first parent of exactly one merge commit. */
function assertShippedOnce(repo: TestRepo, oldHead: string, shippedCommit: string): void {
  assert.equal(repo.git('rev-parse', 'main'), shippedCommit);
  assert.equal(repo.git('rev-list', '--first-parent', '--count', `${oldHead}..main`), '1', 'one merge commit on main: nothing merged twice');
  assert.equal(repo.git('rev-list', '--parents', '-n', '1', 'main').split(' ')[1], oldHead, 'the old head is its first parent');
  repo.git('merge-base', '--is-ancestor', oldHead, 'main');
  assert.equal(repo.git('status', '--porcelain', '--untracked-files=all'), '', 'the checkout followed, nothing left over');
}

describe('SIGKILL and resume in harden and ship (dist/cli.js as a real process)', function () {
  this.timeout(900_000);
  let repo: TestRepo;
  let child: ChildProcess | undefined;
  beforeEach(() => (repo = makeCleanRepo()));
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) await killGroup(child);
    child = undefined;
    repo.cleanup();
  });

  it('killed inside the harden fan-out: finished workers are not rerun, their findings and the report stay, main gets one merge', async () => {
    const oldHead = repo.git('rev-parse', 'main');
    child = spawnCli(['start', DESCRIPTION, '--cwd', repo.root, '--offline', '--yes']);
    const { runDir, done } = await waitFor(
      'two finished harden workers',
      () => {
        const dir = runDirOf(repo);
        const s = dir && readAuditState(path.join(dir, 'audit.json'));
        const finished = s ? s.workers.filter((w) => w.status === 'done') : [];
        return dir && finished.length >= 2 ? { runDir: dir, done: finished.length } : undefined;
      },
      child,
    );
    await killGroup(child);
    assert.ok(done >= 2);
    assert.equal(state(runDir).stages.find((s: { id: string }) => s.id === 'harden').status, 'running', 'killed inside harden');
    assert.equal(repo.git('rev-parse', 'main'), oldHead, 'nothing shipped before the kill');
    const before = readAuditState(path.join(runDir, 'audit.json'));
    const finishedBefore = before.workers.filter((w) => w.status === 'done');
    const filesBefore = new Map(finishedBefore.map((w) => [w.id, read(path.join(runDir, 'workers', `${w.id}.md`))]));
    // `status` tells a run whose process died from one that is being driven.
    const statusOf = (...extra: string[]) => spawnSync(process.execPath, [CLI, 'status', path.basename(runDir), '--cwd', repo.root, ...extra], { env: cliEnv(), encoding: 'utf8' });
    const json = JSON.parse(statusOf('--json').stdout) as { status: string; active: boolean; offline: boolean; shellsSandboxed: boolean };
    assert.deepEqual([json.status, json.active, json.offline, json.shellsSandboxed], ['running', false, true, true]);
    assert.match(statusOf().stdout, new RegExp(`\\(running, but no process drives it: interrupted; resume it with build-pipeline resume ${path.basename(runDir)}\\)`));

    const r = resume(repo, path.basename(runDir));
    assert.equal(r.code, 0, r.out);
    const after = readAuditState(path.join(runDir, 'audit.json'));
    assert.ok(finishedBefore.length < after.workers.length, 'some workers were still to run at the kill');
    assert.ok(after.workers.every((w) => w.status === 'done'), 'every worker finished after the resume');
    const journal = readJournal(path.join(runDir, 'journal.jsonl'));
    const starts = (id: string) => journal.filter((e) => e.type === 'agent-started' && e.agentId === id).length;
    for (const w of finishedBefore) {
      assert.equal(starts(`audit-worker-${w.id}`), 1, `${w.id} ran once`);
      assert.deepEqual(after.workers.find((x) => x.id === w.id)!.findings, w.findings, `${w.id}: the same findings`);
      assert.equal(read(path.join(runDir, 'workers', `${w.id}.md`)), filesBefore.get(w.id), `${w.id}: its file untouched`);
    }
    assert.equal(starts('audit-planner-harden'), 1, 'the plan was not made twice');
    // The report: every worker once, every finished worker's findings once.
    const report = read(path.join(runDir, 'audit-report.md'));
    assert.match(report, new RegExp(`${after.workers.length} workers in \\d+ domains \\(${after.workers.length} finished\\)`));
    for (const w of after.workers) {
      const lines = report.split('\n').filter((l) => l.startsWith('- ') && l.endsWith(`** (${w.id})`));
      assert.equal(lines.length, w.findings.length, `${w.id}: each of its findings once in the report`);
    }
    const final = state(runDir);
    assert.equal(final.status, 'succeeded');
    assertShippedOnce(repo, oldHead, final.shipped.commit);
  });

  it('killed between the ship merge and the state save: resume records the ship and merges nothing again', async () => {
    const oldHead = repo.git('rev-parse', 'main');
    // A post-merge hook in the user's repository: git runs it right after the fast-forward of the user's
    // checkout, before the engine has recorded the ship. It leaves a marker and holds the engine there.
    const marker = path.join(path.dirname(repo.root), `${path.basename(repo.root)}-merged`);
    const hook = path.join(repo.root, '.git', 'hooks', 'post-merge');
    fs.writeFileSync(hook, `#!/bin/sh\n[ "$(pwd -P)" = '${repo.root}' ] || exit 0\n[ -e '${marker}' ] && exit 0\n: > '${marker}'\nexec sleep 600\n`, { mode: 0o755 });
    try {
      child = spawnCli(['start', DESCRIPTION, '--cwd', repo.root, '--offline', '--yes']);
      await waitFor('the ship merge', () => (fs.existsSync(marker) ? true : undefined), child);
      const runDir = runDirOf(repo)!;
      const merged = repo.git('rev-parse', 'main');
      assert.notEqual(merged, oldHead, 'main took the merge');
      assert.equal(state(runDir).shipped, undefined, 'the ship is not recorded yet');
      await killGroup(child);
      assert.equal(state(runDir).shipped, undefined);

      const r = resume(repo, path.basename(runDir));
      assert.equal(r.code, 0, r.out);
      const final = state(runDir);
      assert.equal(final.status, 'succeeded');
      assert.equal(final.shipped.commit, merged, 'the merge made before the kill is the one recorded');
      assertShippedOnce(repo, oldHead, merged);
      const journal = readJournal(path.join(runDir, 'journal.jsonl'));
      assert.equal(journal.filter((e) => e.type === 'agent-started' && e.role === 'shipper').length, 1, 'the release was prepared once');
    } finally {
      fs.rmSync(marker, { force: true });
    }
  });

  it('killed while the ship gate waits for an answer on the terminal: resume asks again and merges once', async function () {
    if (spawnSync('script', ['--version']).status !== 0) this.skip();
    const oldHead = repo.git('rev-parse', 'main');
    // `script` gives the CLI a pseudo-terminal, so its gates ask and wait like they do for a person.
    const command = [process.execPath, CLI, 'start', DESCRIPTION, '--cwd', repo.root, '--offline'].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    child = spawn('script', ['-qfec', command, '/dev/null'], { env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let out = '';
    let answered = false;
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      // The blueprint gate comes first: approve it; the ship gate is where the process is killed.
      if (!answered && /Blueprint[\s\S]*\[a\]pprove/.test(out)) {
        answered = true;
        child!.stdin!.write('a\n');
      }
    });
    await waitFor('the ship gate prompt', () => (/Ship ready[\s\S]*\[a\]pprove/.test(out) ? true : undefined), child);
    const runDir = runDirOf(repo)!;
    const waiting = state(runDir);
    assert.equal(waiting.waitingGate, 'ship');
    assert.equal(waiting.stages.find((s: { id: string }) => s.id === 'ship').status, 'waiting');
    // `script` starts the CLI in a session of its own (the pseudo-terminal's), outside script's process
    // group: the engine is killed by the pid its run lock names, then script's group.
    const engine = runLockOwner(runDir);
    assert.ok(engine, 'the engine holds the run lock while it waits at the gate');
    process.kill(engine, 'SIGKILL');
    await waitFor('the engine to be gone', () => (runLockOwner(runDir) === undefined ? true : undefined), undefined, 30_000);
    await killGroup(child);
    assert.equal(repo.git('rev-parse', 'main'), oldHead, 'nothing merged at the gate');

    const r = resume(repo, path.basename(runDir));
    assert.equal(r.code, 0, r.out);
    const final = state(runDir);
    assert.equal(final.status, 'succeeded');
    assertShippedOnce(repo, oldHead, final.shipped.commit);
    const journal = readJournal(path.join(runDir, 'journal.jsonl'));
    assert.equal(journal.filter((e) => e.type === 'agent-started' && e.role === 'shipper').length, 1, 'the release was not prepared again');
    assert.deepEqual(final.gates.filter((g: { gate: string }) => g.gate === 'ship').map((g: { decision: string }) => g.decision), ['approve'], 'the killed gate left no decision');
  });
});
