/**
 * Kill-and-resume with a real SIGKILL (M4, M11, M13): the CLI runs as its own process against a
 * scripted model in another process (ANTHROPIC_BASE_URL, the real wire protocol); the test kills the
 * CLI at a point it detects on disk (a file an agent or the engine writes), then `resume --yes`
 * finishes the run. Nothing may be lost or done twice: pairs, manifest, audit trail, ADRs.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { makeRepo, type TestRepo } from './harness';
import { CLI, cliEnv } from './cliProcess';
import { markedSleep } from '../support/markedSleep';
const DESCRIPTION = 'Build a CLI tool with a greeter module and a formatter module.';

async function startModel(scenario?: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, 'scripted-model', ...(scenario ? ['--scenario', scenario] : [])], { stdio: ['ignore', 'pipe', 'ignore'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = /^(http:\/\/\S+)\n/m.exec(out);
      if (line) resolve(line[1]!);
    });
    child.once('exit', () => reject(new Error(`scripted model exited: ${out}`)));
  });
  return { url, child };
}

/** Unlike cliProcess's offline env, these runs are keyed: the "API" is the scripted model on loopback, with a placeholder key. */
function keyedEnv(url: string): NodeJS.ProcessEnv {
  return { ...process.env, ANTHROPIC_API_KEY: 'sk-kill-test-not-a-key', ANTHROPIC_BASE_URL: url };
}

function runsDir(repo: TestRepo): string {
  return path.join(repo.root, '.git', 'build-pipeline', 'runs');
}

function onlyRun(repo: TestRepo): string | undefined {
  return fs.existsSync(runsDir(repo)) ? fs.readdirSync(runsDir(repo))[0] : undefined;
}

/** Runs the CLI until `when(runDir)` holds, then SIGKILLs it; resolves with the run id. */
async function killWhen(args: string[], env: NodeJS.ProcessEnv, repo: TestRepo, what: string, when: (runDir: string) => boolean): Promise<string> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const runId = await new Promise<string>((resolve, reject) => {
    const deadline = Date.now() + 170_000;
    const poll = setInterval(() => {
      const id = onlyRun(repo);
      let hit = false;
      try {
        hit = !!id && when(path.join(runsDir(repo), id));
      } catch {
        // a file replaced atomically between two reads: try again
      }
      if (hit) {
        clearInterval(poll);
        child.kill('SIGKILL');
        resolve(id!);
      } else if (child.exitCode !== null || Date.now() > deadline) {
        clearInterval(poll);
        reject(new Error(`${what} was never reached (exit ${child.exitCode})`));
      }
    }, 5);
  });
  await exited;
  return runId;
}

function resume(runId: string, env: NodeJS.ProcessEnv, repo: TestRepo): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [CLI, 'resume', runId, '--cwd', repo.root, '--yes'], { env, encoding: 'utf8', timeout: 170_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

function show(repo: TestRepo, ref: string, file: string): string {
  return execFileSync('git', ['show', `${ref}:${file}`], { cwd: repo.root, encoding: 'utf8' });
}

function state(repo: TestRepo, runId: string): { integrationBranch: string; stages: { id: string; status: string }[]; status: string } {
  return JSON.parse(fs.readFileSync(path.join(runsDir(repo), runId, 'state.json'), 'utf8'));
}

function pairIds(jsonl: string): string[] {
  return jsonl.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { metadata: { pair_id: string } }).metadata.pair_id);
}

function integrationFile(runDir: string, rel: string): string {
  return path.join(runDir, 'worktrees', 'integration', rel);
}

describe('kill -9 and resume (CLI process, scripted model in its own process)', function () {
  this.timeout(600_000);
  let repo: TestRepo;
  let model: ChildProcess | undefined;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => {
    model?.kill('SIGTERM');
    model = undefined;
    repo.cleanup();
  });

  it('killed while its integration worktree is being checked out, before any stage: resume makes the worktree again and runs (it used to refuse: "worktree is gone")', async function () {
    if (process.platform !== 'linux') this.skip();
    // A checkout that hangs in a smudge filter: `sleep` with a fraction no other process has, to find it by.
    const sleeper = markedSleep();
    const sleepers = sleeper.pids;
    fs.writeFileSync(path.join(repo.root, '.git', 'info', 'attributes'), 'README.md filter=slow\n');
    repo.git('config', 'filter.slow.smudge', sleeper.command);
    repo.git('config', 'filter.slow.required', 'true');
    const runId = await killWhen(['start', DESCRIPTION, '--cwd', repo.root, '--offline', '--yes'], cliEnv(), repo, 'the hanging checkout', () => sleepers().length > 0);
    // The engine is gone; the orphaned checkout fails when its filter dies, leaving a registered worktree half made.
    for (const pid of sleepers()) process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    while (fs.readdirSync('/proc').some((pid) => /^\d+$/.test(pid) && (() => { try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('git\0checkout'); } catch { return false; } })()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    fs.rmSync(path.join(repo.root, '.git', 'info', 'attributes'));
    repo.git('config', '--remove-section', 'filter.slow');
    // Killed a moment earlier, before `git worktree add` made the folder, the run has none at all; a
    // half-made one (as here) the old resume took as it was. Both must be made again: the first as is.
    const integration = path.join(runsDir(repo), runId, 'worktrees', 'integration');
    assert.ok(fs.existsSync(path.join(integration, '.git')), 'the half-made worktree');
    fs.rmSync(integration, { recursive: true, force: true });
    assert.deepEqual(state(repo, runId).stages.map((s) => s.status), state(repo, runId).stages.map(() => 'pending'), 'killed before any stage');

    const r = resume(runId, cliEnv(), repo);
    // Every stage ran; --yes meets the ship gate, which waits for the user's dirty checkout: exit 3.
    assert.equal(r.code, 3, r.out);
    const branch = state(repo, runId).integrationBranch;
    const base = repo.git('rev-parse', 'main');
    assert.equal(repo.git('diff', '--name-only', '--diff-filter=D', base, branch), '', 'nothing of the user\'s deleted on the integration branch');
    assert.match(show(repo, branch, 'README.md'), /^# user project\n/);
    assert.ok(show(repo, branch, 'src/greeter/index.js').length > 0, 'the modules were built');
  });

  it('killed inside Stage 1b, then inside Stage 7: each resume finishes the stage with no pair, manifest entry or brain section lost or doubled', async () => {
    // The run closes after assembly (curate still runs), so the user's dirty checkout does not stop it at the ship gate.
    fs.writeFileSync(path.join(repo.root, '.build-pipeline.json'), JSON.stringify({ stopAfter: 'assemble' }));
    const m = await startModel();
    model = m.child;
    const env = keyedEnv(m.url);
    // 1b: the training agent has written its pairs; the engine has not yet committed its checked copy.
    const runId = await killWhen(['start', DESCRIPTION, '--cwd', repo.root, '--yes'], env, repo, 'the bootstrap pairs file', (dir) => fs.existsSync(integrationFile(dir, '.orchestration/training/bootstrap.jsonl')));
    assert.equal(state(repo, runId).stages.find((s) => s.id === 'bootstrap')!.status, 'running');
    // 7: killed again once the curate agent has written the regenerated state pairs.
    await killWhen(['resume', runId, '--cwd', repo.root, '--yes'], env, repo, 'the regenerated state pairs', (dir) => fs.existsSync(integrationFile(dir, '.orchestration/training/state.jsonl')));
    assert.equal(state(repo, runId).stages.find((s) => s.id === 'curate')!.status, 'running');
    const last = resume(runId, env, repo);
    assert.equal(last.code, 0, last.out);
    const st = state(repo, runId);
    assert.ok(st.stages.every((s) => ['done', 'skipped'].includes(s.status)), JSON.stringify(st.stages));
    const branch = st.integrationBranch;
    const manifest = JSON.parse(show(repo, branch, '.orchestration/training/manifest.json'));
    for (const file of ['bootstrap.jsonl', 'state.jsonl', 'formatter-session-pairs.jsonl', 'greeter-session-pairs.jsonl']) {
      const ids = pairIds(show(repo, branch, `.orchestration/training/${file}`));
      assert.equal(new Set(ids).size, ids.length, `${file}: no pair twice`);
      assert.equal(manifest.files[file].accepted, ids.length, `${file}: the manifest counts what is in the file`);
    }
    // bootstrap.jsonl lost its state pairs to curate's regeneration, and the manifest says so.
    assert.ok(pairIds(show(repo, branch, '.orchestration/training/bootstrap.jsonl')).length >= 40);
    assert.equal(manifest.files['bootstrap.jsonl'].byType.state_status, 0);
    assert.equal(manifest.shares.state_status.count, 3);
    assert.equal(pairIds(show(repo, branch, '.orchestration/training/state.jsonl')).length, 3);
    for (const module of ['formatter', 'greeter']) {
      const brain = show(repo, branch, `.orchestration/brains/${module}-builder.md`);
      assert.equal(brain.match(/^## Current State$/gm)?.length, 1, `${module}: one Current State section`);
      assert.match(brain, /Final state: status merged, QC PASS/);
    }
    const journal = fs.readFileSync(path.join(runsDir(repo), runId, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; agentId?: string });
    const started = journal.filter((e) => e.type === 'agent-started').map((e) => e.agentId!);
    assert.equal(started.filter((a) => a.startsWith('training-bootstrap-')).length, 2, 'the killed bootstrap agent, then one on resume');
    assert.equal(started.filter((a) => a.startsWith('curate-')).length, 2, 'the killed curate agent, then one on resume');
    assert.equal(started.filter((a) => a.startsWith('builder-')).length, 2, 'each module built once');
  });

  it('killed at the conflict gate mid-resolution: resume --yes applies the rest once (audit trail, ADR, notices)', async () => {
    fs.writeFileSync(path.join(repo.root, '.build-pipeline.json'), JSON.stringify({ stopAfter: 'assemble' }));
    const m = await startModel('contract-conflict');
    model = m.child;
    const env = keyedEnv(m.url);
    // The first contract change has gone through the lock function (its audit line is written); the ADR, the commit and the notices have not all followed.
    const runId = await killWhen(['start', DESCRIPTION, '--cwd', repo.root, '--yes'], env, repo, 'the first audited contract change', (dir) => fs.existsSync(integrationFile(dir, '.orchestration/contracts/locks-audit.jsonl')));
    const conflicts = path.join(runsDir(repo), runId, 'conflicts');
    const record = JSON.parse(fs.readFileSync(path.join(conflicts, fs.readdirSync(conflicts).find((n) => n.endsWith('.json'))!), 'utf8'));
    assert.ok(['approved', 'resolved'].includes(record.status), record.status);
    const last = resume(runId, env, repo);
    assert.equal(last.code, 0, last.out);
    const branch = state(repo, runId).integrationBranch;
    const audit = show(repo, branch, '.orchestration/contracts/locks-audit.jsonl').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; key: string; outcome: string });
    assert.deepEqual(audit.map((a) => `${a.kind}:${a.key}:${a.outcome}`), ['interface:greeter:applied', 'adr:003-conflict-greeter-name-length-units:applied']);
    const adrs = show(repo, branch, '.orchestration/contracts/decisions/').split('\n').filter((n) => /^\d{3}-.*\.md$/.test(n));
    assert.equal(adrs.length, 3, adrs.join(', '));
    assert.equal(show(repo, branch, '.orchestration/contracts/interfaces/greeter.interface.md').match(/## Amendment \(conflict/g)?.length, 1);
    const notices = show(repo, `orchestration/${runId}/formatter`, '.orchestration/brains/formatter-builder.md').match(/## Contract notice: conflict greeter-name-length-units/g);
    assert.equal(notices?.length, 1, 'the passed module was told once');
    const journal = fs.readFileSync(path.join(runsDir(repo), runId, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; agentId?: string });
    assert.equal(journal.filter((e) => e.type === 'agent-started' && e.agentId?.startsWith('master-')).length, 1, 'the master evaluated once');
  });
});
