/**
 * The process groups the engine starts apart from itself: project commands and sandboxed shells run
 * `detached`, in a group of their own, so a timeout or a cancel can kill a whole tree at once. Being
 * apart, they do not get the terminal's Ctrl-C, and they outlive an engine process that ends without
 * cancelling them. A front end that must end at once (a second Ctrl-C) kills them all first.
 */
const groups = new Set<number>();

/** Records the group led by `pid` (a detached child); returns the function that forgets it once it has ended. */
export function trackProcessGroup(pid: number | undefined): () => void {
  if (!pid) return () => undefined;
  groups.add(pid);
  return () => groups.delete(pid);
}

/** SIGKILLs every group still recorded; synchronous, so it can run just before the process exits. */
export function killProcessGroups(): number {
  let killed = 0;
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
      killed++;
    } catch {
      // ended meanwhile
    }
  }
  groups.clear();
  return killed;
}
