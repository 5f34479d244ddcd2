/**
 * One process drives a run at a time. The lock is a file holding the owner's pid; a lock whose
 * process is gone (a crash, a killed CLI, a restarted extension host) is stale and taken over. A pid
 * alone is not enough after a reboot or a long while: another process can have the same pid then,
 * and the run would stay locked by a stranger. On Linux the lock also names the boot and the owner's
 * start time, and a live pid with another boot or start time is a stale lock too.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { procStatFields } from '../procStat';

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

/** This boot of the machine (Linux); undefined elsewhere. */
function bootId(): string | undefined {
  return readText('/proc/sys/kernel/random/boot_id')?.trim() || undefined;
}

/** When `pid` started, in clock ticks since boot (Linux, field 22 of /proc/PID/stat); undefined elsewhere or when gone. */
function startOf(pid: number): string | undefined {
  return procStatFields(pid)?.[19];
}

interface LockOwner {
  pid: number;
  boot?: string;
  started?: string;
}

/** Whether the lock's owner is running now: its pid lives and, where both are known, it is the same boot and the same process. */
function holds(owner: LockOwner): boolean {
  if (!alive(owner.pid)) return false;
  const boot = bootId();
  if (owner.boot && boot && owner.boot !== boot) return false;
  const started = startOf(owner.pid);
  return !(owner.started && started && owner.started !== started);
}

/**
 * Takes the run's lock and returns its release function. Several processes may try at once (two
 * resumes, a resume racing a window's restore), so every step is one that exactly one of them can win:
 * the lock is written whole under a name of its own and linked into place (a link fails when a lock
 * is there, and a lock is never seen half-written). A stale one is removed only by the process that
 * holds the takeover mark (`lock.takeover`, created exclusively), and only while it is still the lock
 * judged stale, so a lock another process has just taken is never removed. (Moving a stale lock aside
 * and putting back a live one found there instead, as before, left the name free for a moment: a third
 * process could link its own lock then, and two processes held the run. The race test saw it.) The
 * release removes the lock only while it is still this one.
 */
export function acquireRunLock(runDir: string): () => void {
  const file = path.join(runDir, 'lock');
  const mine = JSON.stringify({ pid: process.pid, boot: bootId(), started: startOf(process.pid), at: new Date().toISOString(), token: randomBytes(8).toString('hex') });
  for (let attempt = 0; attempt < 200; attempt++) {
    const ownName = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
    fs.writeFileSync(ownName, mine, { flag: 'wx' });
    try {
      fs.linkSync(ownName, file);
      return releaseOf(file, mine);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      fs.rmSync(ownName, { force: true });
    }
    const held = readText(file);
    if (held === undefined) continue; // released meanwhile: try again
    const owner = ownerOf(held);
    if (owner && owner.pid !== process.pid && holds(owner)) throw new RunLockedError(owner.pid, runDir);
    // Stale: removed by the takeover mark's holder while it is still that lock; then linked again above.
    const releaseMark = takeOverMark(file);
    if (!releaseMark) {
      sleepMs(2); // another process is taking it over (microseconds): look again
      continue;
    }
    try {
      if (readText(file) === held) fs.rmSync(file, { force: true });
    } finally {
      releaseMark();
    }
  }
  throw new Error(`could not take the lock of ${runDir}`);
}

/**
 * Takes the mark that lets one process at a time remove a stale lock, and returns its release (null:
 * another process holds it). A mark is held for microseconds; one older than 10 s was left by a
 * process that died holding it, and is removed for the next try.
 */
function takeOverMark(file: string): (() => void) | null {
  const mark = `${file}.takeover`;
  try {
    fs.writeFileSync(mark, String(process.pid), { flag: 'wx' });
    return () => fs.rmSync(mark, { force: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const stat = fs.statSync(mark, { throwIfNoEntry: false });
  if (stat && Date.now() - stat.mtimeMs > 10_000) fs.rmSync(mark, { force: true });
  return null;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function releaseOf(file: string, mine: string): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (readText(file) === mine) fs.rmSync(file, { force: true });
  };
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function ownerOf(text: string): LockOwner | undefined {
  try {
    const lock = JSON.parse(text) as { pid?: unknown; boot?: unknown; started?: unknown };
    const pid = Number(lock.pid);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return { pid, boot: typeof lock.boot === 'string' ? lock.boot : undefined, started: typeof lock.started === 'string' ? lock.started : undefined };
  } catch {
    return undefined; // unreadable: stale (a lock is never half-written: it is linked into place whole)
  }
}

export function runLockOwner(runDir: string): number | undefined {
  const owner = ownerOf(readText(path.join(runDir, 'lock')) ?? '');
  return owner && holds(owner) ? owner.pid : undefined;
}
