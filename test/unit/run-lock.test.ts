import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { acquireRunLock, RunLockedError, runLockOwner } from '../../src/core/run/lock';

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

  it('treats an unreadable lock file as stale', () => {
    fs.writeFileSync(path.join(dir, 'lock'), 'garbage');
    acquireRunLock(dir)();
  });
});
