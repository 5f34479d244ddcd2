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

async function waitStopped(pids: Iterable<number>): Promise<void> {
  const deadline = Date.now() + STOP_WAIT_MS;
  let waiting = [...pids].filter((pid) => !atRest(pid));
  while (waiting.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1));
    waiting = waiting.filter((pid) => !atRest(pid));
  }
}

/**
 * Stops `root` and every process below it, and waits until they have stopped; looks again until no
 * new one appears (a process may fork between the look and its own stop); returns what was stopped.
 */
export async function stopTree(root: number): Promise<number[]> {
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
    return waitStopped(pids);
  };
  await stop([root]);
  for (let pass = 0; pass < 10; pass++) {
    const fresh = descendantsOf(root).filter((pid) => !stopped.has(pid));
    if (fresh.length === 0) break;
    await stop(fresh);
  }
  return [...stopped];
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
 * waits until the tree has stopped, and the tree runs again once the last of them has ended.
 */
export function freezer(root: () => number | undefined): <T>(work: () => Promise<T>) => Promise<T> {
  let holders = 0;
  let stopping: Promise<number[]> = Promise.resolve([]);
  return async (work) => {
    if (holders++ === 0) {
      const pid = root();
      stopping = pid === undefined || process.platform !== 'linux' ? Promise.resolve([]) : stopTree(pid);
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
