/**
 * "No failure from an earlier phase reaches a later one" (seed 001, T4), applied to the user's own
 * code: on a repository that already has code, the integration test command runs on the base commit
 * before any builder is paid for. Red stops the run with the failing output; builders would
 * otherwise be graded against, and blamed for, failures that were there before them.
 */
import { listTrackedFiles } from '../git';

/** Files that are not code: a repository holding only these counts as new. */
const NOT_CODE = /(^|\/)(README|LICENSE|LICENCE|CHANGELOG|CONTRIBUTING|NOTICE|AUTHORS|COPYING)(\.[A-Za-z]+)?$|\.(md|markdown|txt|rst|adoc)$|(^|\/)\.git(ignore|attributes|keep)$|^\.build-pipeline\.json$/i;

/** Whether the worktree's tracked files (outside .orchestration/) include anything that is not documentation. */
export async function hasExistingCode(worktree: string): Promise<boolean> {
  const files = await listTrackedFiles(worktree);
  return files.some((f) => !f.startsWith('.orchestration/') && !NOT_CODE.test(f));
}
