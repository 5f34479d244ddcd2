/**
 * The shell sandbox with the real runtime (bubblewrap here), the real engine, the real SDK and the
 * scripted model: a builder's shell tries to escape in four ways, each is refused and reported to it,
 * nothing outside its worktree changes, and the run completes.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { readJournal } from '../../src/core/run/journal';
import { startRun } from '../../src/core/engine';
import { probeCommands } from '../../src/scripted/roles/sandbox-probes';
import { summaryText, UNSANDBOXED_LINE } from '../../src/cli/render';
import { approveAll, FAST_CONFIG, makeRepo, resumePipeline, runPipeline, scriptedGate, snapshotUserTree, type TestRepo } from './harness';

function listTree(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('shell sandbox (real sandbox runtime)', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  let home: string;
  let outside: string;
  let savedHome: string | undefined;
  let server: net.Server;
  let connections = 0;
  let victim: ChildProcess;
  const key = `-----BEGIN OPENSSH PRIVATE KEY-----\nplanted-test-key-${process.pid}-${Date.now()}\n-----END OPENSSH PRIVATE KEY-----\n`;

  beforeEach(async () => {
    repo = makeRepo();
    home = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-home-')));
    fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
    fs.writeFileSync(path.join(home, '.ssh', 'id_ed25519'), key, { mode: 0o600 });
    outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-outside-')));
    savedHome = process.env.HOME;
    process.env.HOME = home;
    connections = 0;
    server = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    victim = spawn('sleep', ['600'], { stdio: 'ignore' });
  });

  afterEach(async () => {
    process.env.HOME = savedHome;
    victim.kill('SIGKILL');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    repo.cleanup();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('refuses a builder\'s write outside its worktree, its read of ~/.ssh, a loopback connection and a kill, tells the agent, and the run completes', async () => {
    const port = (server.address() as net.AddressInfo).port;
    const probe = { outsidePath: path.join(outside, 'escaped.txt'), port, pid: victim.pid! };
    const before = snapshotUserTree(repo);
    const homeBefore = listTree(home);
    const gate = scriptedGate([{ decision: 'approve' }]);
    const { result } = await runPipeline(repo, { scenario: { scenario: 'sandbox-escape', target: 'greeter', probe }, gate });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.equal(result.summary.shellsSandboxed, true);
    // The blueprint gate says, in one line, that the shells have no network unless allow-listed.
    assert.match(gate.requests[0]!.summary.split('\n').at(-1)!, /^Shell network is off .*package registry must have it allow-listed\.$/);

    const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
    const commands = probeCommands(probe);
    const calls = journal.filter((e) => e.type === 'tool-call' && e.agentId === 'builder-greeter-0' && e.tool === 'bash');
    const results = journal.filter((e) => e.type === 'tool-result' && e.agentId === 'builder-greeter-0' && e.tool === 'bash');
    for (const command of commands) assert.ok(calls.some((e) => e.type === 'tool-call' && e.input.includes(JSON.stringify(command).slice(1, -1))), `probe not run: ${command}`);
    const probeResults = results.slice(0, commands.length).map((e) => (e.type === 'tool-result' ? e : undefined)!);
    assert.equal(probeResults.length, 4);
    for (const r of probeResults) {
      assert.equal(r.isError, true, `a probe succeeded: ${r.output}`);
      assert.match(r.output, /\[sandbox\] this shell runs in a sandbox/);
    }
    const outputs = probeResults.map((r) => r.output).join('\n---\n');
    assert.match(outputs, /Read-only file system/);
    assert.match(outputs, /id_ed25519: No such file or directory/);
    assert.match(outputs, /Connection refused/);
    assert.match(outputs, /No such process/);
    assert.ok(!outputs.includes('planted-test-key'), 'the planted key reached the agent');

    // Nothing outside the worktree changed; the listener saw nobody; the victim lives.
    assert.ok(!fs.existsSync(probe.outsidePath));
    assert.deepEqual(fs.readdirSync(outside), []);
    assert.equal(connections, 0);
    assert.doesNotThrow(() => process.kill(victim.pid!, 0));
    assert.deepEqual(listTree(home), homeBefore);
    assert.deepEqual(snapshotUserTree(repo), before);
    // The builder went on: its module is merged.
    assert.equal(result.state.modules.find((m) => m.name === 'greeter')?.status, 'merged');
  });

  it('a run with sandboxing turned off says so in its state and summary, also after a resume with the sandbox on', async () => {
    // The architect ran without the sandbox (up to the blueprint gate), the rest with it: part of the run was unsandboxed.
    const first = await runPipeline(repo, { config: { sandbox: { enabled: false, allowedDomains: [] } }, gate: async () => ({ decision: 'later' }) });
    assert.equal(first.result.status, 'awaiting-approval', first.result.state.haltReason ?? '');
    assert.equal(first.result.state.shellsSandboxed, false);
    const { result } = await resumePipeline(repo, first.result.state.runId);
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.equal(result.state.shellsSandboxed, false);
    assert.equal(result.summary.shellsSandboxed, false);
    assert.ok(summaryText(result.summary).includes(UNSANDBOXED_LINE));
  });

  it('does not start a run where bubblewrap is missing, and says how to install it', async () => {
    // A PATH with git but without bwrap: the repository opens, the sandbox check fails.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-path-'));
    const gitPath = ['/usr/bin/git', '/usr/local/bin/git'].find((p) => fs.existsSync(p))!;
    fs.symlinkSync(gitPath, path.join(bin, 'git'));
    const savedPath = process.env.PATH;
    process.env.PATH = bin;
    try {
      await assert.rejects(
        // The model is never asked: the sandbox check comes before the preflight.
        startRun({ repoRoot: repo.root, description: 'a tiny tool', offline: true, baseURL: 'http://127.0.0.1:9', gate: approveAll, approver: 'test', config: FAST_CONFIG }),
        /the run did not start: the shell sandbox needs bubblewrap \(bwrap\) and socat.*apt-get install bubblewrap socat/,
      );
    } finally {
      process.env.PATH = savedPath;
      fs.rmSync(bin, { recursive: true, force: true });
    }
    assert.equal(repo.git('branch', '--list', 'orchestration/*'), '');
    assert.ok(!fs.existsSync(path.join(repo.root, '.git', 'build-pipeline', 'runs')) || fs.readdirSync(path.join(repo.root, '.git', 'build-pipeline', 'runs')).length === 0);
  });
});
