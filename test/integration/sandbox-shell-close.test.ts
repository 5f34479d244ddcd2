/**
 * A closed sandboxed shell leaves nothing running: not bwrap, not the sandbox's own init (which bwrap
 * starts in a session of its own), not its network relays, not a job the agent left in the
 * background. Shells are closed at staggered moments after their start, as an agent that ends in one
 * turn closes the shell warmed for it, then /proc is searched for any process still in their folders.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { procStatFields } from '../../src/core/procStat';
import { acquireSandboxRuntime, type SandboxLease } from '../../src/core/sandbox/runtime';
import { SandboxedShell } from '../../src/core/sandbox/shellSession';

/** Processes (not zombies) whose working folder is under `dir`. */
function runningIn(dir: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
      const state = procStatFields(pid)?.[0];
      if (cwd.startsWith(dir) && state !== undefined && state !== 'Z') found.push(`${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').slice(0, 60)}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

describe('closing a sandboxed shell (real sandbox runtime)', function () {
  this.timeout(120_000);
  let root: string;
  let lease: SandboxLease;
  before(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-close-')));
    lease = await acquireSandboxRuntime();
  });
  after(async () => {
    for (const line of runningIn(root)) process.kill(Number(line.split(' ')[0]), 'SIGKILL');
    await lease.release();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const start = (name: string) => {
    const cwd = path.join(root, name);
    fs.mkdirSync(cwd);
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-shell-'));
    return SandboxedShell.start(lease, { cwd, allowWrite: [cwd], denyWrite: [], denyRead: [], tmpDir, allowedDomains: [] }, { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root });
  };

  it('closed at any moment after its start, a shell leaves no process behind', async () => {
    for (let i = 0; i < 24; i++) {
      const shell = await start(`s${i}`);
      await new Promise((r) => setTimeout(r, i % 12));
      shell.close();
    }
    const deadline = Date.now() + 5_000;
    while (runningIn(root).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(runningIn(root), []);
  });

  it("a job the agent left in the background ends with the shell", async () => {
    const shell = await start('job');
    const r = await shell.exec('(sleep 300 &) ; setsid sleep 301 & echo started', { timeoutMs: 20_000 });
    assert.equal(r.output.trim(), 'started');
    assert.ok(runningIn(path.join(root, 'job')).some((l) => / sleep 30[01]/.test(l)), 'the jobs run');
    shell.close();
    const deadline = Date.now() + 5_000;
    while (runningIn(path.join(root, 'job')).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(runningIn(path.join(root, 'job')), []);
  });
});
