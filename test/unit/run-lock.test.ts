import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { acquireRunLock, RunLockedError, runLockOwner } from '../../src/core/run/lock';
import { createRunRecord } from '../../src/core/run/newRun';

describe('run lock', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-lock-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is held until released and then free again', () => {
    const release = acquireRunLock(dir);
    assert.equal(runLockOwner(dir), process.pid);
    release();
    assert.equal(runLockOwner(dir), undefined);
    acquireRunLock(dir)();
  });

  it('refuses a second driver while the owning process lives, and takes over a dead owner\'s lock', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    fs.writeFileSync(path.join(dir, 'lock'), JSON.stringify({ pid: child.pid }));
    assert.throws(() => acquireRunLock(dir), (e) => e instanceof RunLockedError && e.pid === child.pid);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const release = acquireRunLock(dir);
    assert.equal(runLockOwner(dir), process.pid);
    release();
  });

  it('gives a stale lock (or none) to exactly one of several processes that try at once, and a release never removes another\'s lock', async function () {
    this.timeout(60_000);
    const lockModule = path.resolve(__dirname, '../../src/core/run/lock.js');
    // Each contender holds on to what it won until every one has tried: a winner that exited early
    // would leave a dead owner's lock, which a contender started late (a loaded machine) rightly takes.
    const contender = `const { acquireRunLock } = require(${JSON.stringify(lockModule)}); const [dir, at] = process.argv.slice(1); while (Date.now() < Number(at)) {} ` +
      `try { acquireRunLock(dir); process.stdout.write('won'); } catch (e) { process.stdout.write(e.name); } process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
    for (let round = 0; round < 8; round++) {
      const runDir = fs.mkdtempSync(path.join(dir, 'r'));
      if (round % 2 === 0) fs.writeFileSync(path.join(runDir, 'lock'), JSON.stringify({ pid: 999_999_9 })); // a dead owner's
      const at = Date.now() + 500;
      const children = [1, 2, 3, 4].map(() => spawn(process.execPath, ['-e', contender, runDir, String(at)], { stdio: ['pipe', 'pipe', 'inherit'] }));
      const outputs = await Promise.all(
        children.map(
          (child) =>
            new Promise<string>((resolve) => {
              let out = '';
              child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
              child.stdout!.on('data', () => /^(won|\w+Error)$/.test(out) && resolve(out));
              child.on('exit', () => resolve(out));
            }),
        ),
      );
      await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.on('exit', resolve), child.stdin!.end())))));
      assert.equal(outputs.filter((o) => o === 'won').length, 1, `round ${round}: ${outputs.join(', ')}`);
    }
    // A release that is not the holder's leaves the lock alone.
    const runDir = fs.mkdtempSync(path.join(dir, 'r'));
    const release = acquireRunLock(runDir);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    fs.writeFileSync(path.join(runDir, 'lock'), JSON.stringify({ pid: child.pid }));
    release();
    assert.equal(runLockOwner(runDir), child.pid);
    child.kill('SIGKILL');
  });

  it('takes over a lock whose pid now belongs to another process: another boot, or the same pid started later (Linux)', async function () {
    if (process.platform !== 'linux') this.skip();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
      const lock = path.join(dir, 'lock');
      // The very process: held.
      fs.writeFileSync(lock, JSON.stringify({ pid: child.pid, boot, started }));
      assert.equal(runLockOwner(dir), child.pid);
      assert.throws(() => acquireRunLock(dir), (e) => e instanceof RunLockedError && e.pid === child.pid);
      // Written before a reboot by a process that had this pid then: stale.
      fs.writeFileSync(lock, JSON.stringify({ pid: child.pid, boot: '00000000-0000-4000-8000-000000000000', started }));
      assert.equal(runLockOwner(dir), undefined);
      acquireRunLock(dir)();
      // Same boot, but the pid was reused by a process started later: stale.
      fs.writeFileSync(lock, JSON.stringify({ pid: child.pid, boot, started: String(Number(started) - 1) }));
      assert.equal(runLockOwner(dir), undefined);
      const release = acquireRunLock(dir);
      assert.equal(runLockOwner(dir), process.pid, 'this process holds it now, by its own boot and start');
      release();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('treats an unreadable lock file as stale', () => {
    fs.writeFileSync(path.join(dir, 'lock'), 'garbage');
    acquireRunLock(dir)();
  });
});

describe('a new run record', () => {
  it('comes locked by the process that created it (taken before its state is written), until that process lets go', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-record-'));
    try {
      const { store, releaseLock } = createRunRecord({
        runsRoot: root,
        repo: { root, branch: 'main', head: '0'.repeat(40) },
        description: 'x',
        mode: 'build',
        offline: true,
        shellsSandboxed: false,
        stageIds: ['architect'],
        integrationBranch: (id) => `orchestration/${id}/integration`,
        secrets: [],
      });
      assert.ok(fs.existsSync(store.paths.state));
      assert.equal(runLockOwner(store.paths.runDir), process.pid, 'held by the creating process');
      releaseLock();
      assert.equal(runLockOwner(store.paths.runDir), undefined);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
