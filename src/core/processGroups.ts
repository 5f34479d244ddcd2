/**
 * The process groups the engine starts apart from itself: project commands and sandboxed shells run
 * `detached`, in a group of their own, so a timeout or a cancel can kill a whole tree at once. Being
 * apart, they do not get the terminal's Ctrl-C, and they outlive an engine process that ends without
 * cancelling them. A front end that must end at once (a second Ctrl-C) kills them all first.
 */
import { descendantsOf } from './procStat';

const groups = new Set<number>();

/** Records the group led by `pid` (a detached child); returns the function that forgets it once it has ended. */
export function trackProcessGroup(pid: number | undefined): () => void {
  if (!pid) return () => undefined;
  groups.add(pid);
  return () => groups.delete(pid);
}

/**
 * SIGKILLs the group led by `pid` and every process below `pid`, wherever its group: a sandboxed
 * shell's bwrap (`--new-session`) starts the sandbox's own init in a session of its own, and that
 * init dies with bwrap only once its parent-death signal is armed, late in its start; a shell ended
 * right after it started could leave it, and the processes it was starting, running. Synchronous.
 * Returns false when the group was gone already.
 */
export function killProcessTree(pid: number): boolean {
  // Listed before the kill: once the leader is gone its children are re-parented and out of sight.
  const below = process.platform === 'linux' ? descendantsOf(pid) : [];
  let killed = true;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    killed = false;
  }
  for (const child of below) {
    try {
      process.kill(child, 'SIGKILL');
    } catch {
      // ended meanwhile, or already with the group
    }
  }
  return killed;
}

/** SIGKILLs every group still recorded, with what runs below it; synchronous, so it can run just before the process exits. */
export function killProcessGroups(): number {
  let killed = 0;
  for (const pid of groups) if (killProcessTree(pid)) killed++;
  groups.clear();
  return killed;
}
