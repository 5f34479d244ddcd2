/**
 * One process drives a run at a time. The lock is a file holding the owner's pid; a lock whose
 * process is gone (a crash, a killed CLI, a restarted extension host) is stale and taken over.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class RunLockedError extends Error {
  constructor(readonly pid: number, runDir: string) {
    super(`run ${path.basename(runDir)} is already being driven by process ${pid}; cancel it there or wait for it to stop`);
    this.name = 'RunLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the run's lock and returns its release function. */
export function acquireRunLock(runDir: string): () => void {
  const file = path.join(runDir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: process.pid, at: new Date().toISOString() }), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = 0;
      try {
        owner = Number(JSON.parse(fs.readFileSync(file, 'utf8')).pid) || 0;
      } catch {
        // unreadable lock: treat as stale
      }
      if (owner && owner !== process.pid && alive(owner)) throw new RunLockedError(owner, runDir);
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the lock of ${runDir}`);
}

export function runLockOwner(runDir: string): number | undefined {
  try {
    const pid = Number(JSON.parse(fs.readFileSync(path.join(runDir, 'lock'), 'utf8')).pid);
    return pid && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
