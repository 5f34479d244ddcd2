/**
 * Holding an agent's sandboxed processes still while the engine works on its worktree from outside
 * the sandbox. The file tools (read, write, edit, glob, grep) run in the engine: they check a path and
 * then open it by name, and a process the agent left running in its shell (`while :; do ln -s ~ d;
 * …; done &`) could swap a folder on that path for a symlink in between, so a read returned a file
 * the sandbox hides and a write landed outside the worktree. With every process of the agent's shell
 * stopped (SIGSTOP cannot be caught) nothing can change the worktree while the tool runs.
 *
 * Every process of the sandbox descends from the shell the engine started: the sandbox has its own
 * pid namespace, so even a process that left its session is re-parented inside it. Linux only (it
 * reads /proc); elsewhere nothing is stopped.
 */
import { descendantsOf, procStatFields } from '../procStat';

/**
 * Whether `pid` has stopped (or is gone). SIGSTOP is not synchronous: `kill` only marks it pending,
 * and the process stops when it next runs in the kernel, which on a loaded machine can be a while
 * after `kill` returned (CI saw a sleeping process still runnable, 'R', right after the signal).
 */
function atRest(pid: number): boolean {
  const fields = procStatFields(pid);
  if (!fields) return true; // gone
  const state = fields[0]?.charAt(0);
  return state === 'T' || state === 't' || state === 'Z' || state === 'X';
}

/** Longest wait for the signalled processes to stop; a process in an uninterruptible wait stops only after it. */
const STOP_WAIT_MS = 2000;

/** Looks for processes started between a look and their parent's stop, at most this many times. */
const STOP_PASSES = 10;

/**
 * The agent's shell could not be held still: a process did not stop in time (an uninterruptible
 * wait: a hung network mount, a device), or new ones kept appearing. The file tool does not run: it
 * would check a path and open it with a process of the agent free to swap it in between.
 */
export class ShellNotStoppedError extends Error {
  constructor(readonly running: number) {
    super(
      `the file tool did not run: ${running} process(es) of your shell could not be held still while it worked ` +
        '(a process in an uninterruptible wait, or one that keeps starting others). End the background processes ' +
        'of your shell (for example `kill %1`, or `pkill -f <name>`) and try again.',
    );
    this.name = 'ShellNotStoppedError';
  }
}

export interface StopOptions {
  /** Longest wait for a signalled process to stop (STOP_WAIT_MS). */
  waitMs?: number;
  /** Whether a process has stopped or is gone (read from /proc; tests give their own). */
  atRest?: (pid: number) => boolean;
}

/** The processes of `pids` still running when they have all stopped or the wait is over. */
async function waitStopped(pids: Iterable<number>, waitMs: number, rests: (pid: number) => boolean): Promise<number[]> {
  const deadline = Date.now() + waitMs;
  let waiting = [...pids].filter((pid) => !rests(pid));
  while (waiting.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1));
    waiting = waiting.filter((pid) => !rests(pid));
  }
  return waiting;
}

/**
 * Stops `root` and every process below it, and waits until they have stopped; looks again until no
 * new one appears (a process may fork between the look and its own stop); returns what was stopped.
 * When that cannot be done (a process still running after the wait, or new ones still appearing
 * after STOP_PASSES looks), everything it stopped runs again and it throws ShellNotStoppedError:
 * the caller must not go on as if the tree stood still.
 */
export async function stopTree(root: number, options: StopOptions = {}): Promise<number[]> {
  const waitMs = options.waitMs ?? STOP_WAIT_MS;
  const rests = options.atRest ?? atRest;
  const stopped = new Set<number>();
  const stop = (pids: number[]) => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGSTOP');
        stopped.add(pid);
      } catch {
        // gone already
      }
    }
    return waitStopped(pids, waitMs, rests);
  };
  const giveUp = (running: number) => {
    continueAll([...stopped]);
    return new ShellNotStoppedError(running);
  };
  let running = await stop([root]);
  for (let pass = 0; running.length === 0; pass++) {
    const fresh = descendantsOf(root).filter((pid) => !stopped.has(pid));
    if (fresh.length === 0) return [...stopped];
    if (pass === STOP_PASSES) throw giveUp(fresh.length);
    running = await stop(fresh);
  }
  throw giveUp(running.length);
}

export function continueAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * Runs `work` with the tree under `root()` stopped. Nested and concurrent calls share one stop: each
 * waits until the tree has stopped, and the tree runs again once the last of them has ended. When the
 * tree cannot be stopped, `work` does not run: the call rejects with ShellNotStoppedError.
 */
export function freezer(root: () => number | undefined, options: StopOptions = {}): <T>(work: () => Promise<T>) => Promise<T> {
  let holders = 0;
  let stopping: Promise<number[]> = Promise.resolve([]);
  return async (work) => {
    if (holders++ === 0) {
      const pid = root();
      stopping = pid === undefined || process.platform !== 'linux' ? Promise.resolve([]) : stopTree(pid, options);
    }
    const shared = stopping;
    let pids: readonly number[] = [];
    try {
      pids = await shared;
      return await work();
    } finally {
      // Synchronous from the count to the SIGCONT: a caller arriving in between would start a new stop.
      if (--holders === 0) continueAll(pids);
    }
  };
}
