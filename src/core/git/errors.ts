/**
 * One error type for the whole git layer, with a reason the engine can branch on
 * (`GitError.is(e, 'dirtyTree')`) instead of matching git's English messages itself.
 */
export type GitErrorReason =
  | 'notARepo'
  | 'noCommits'
  | 'branchExists'
  | 'worktreeExists'
  | 'mergeConflict'
  | 'dirtyTree'
  /** A branch, run id, module name or path failed validation before git was run. */
  | 'invalidName'
  /** A mutating call was pointed at a tree the engine does not own (e.g. the user's checkout). */
  | 'notEngineWorktree'
  /** The user's working tree, index or HEAD differ from an earlier snapshot. */
  | 'userTreeChanged'
  /** A worktree holds another repository (a gitlink or an embedded `.git`): not committed. */
  | 'nestedRepository'
  | 'unknown';

export class GitError extends Error {
  constructor(
    readonly reason: GitErrorReason,
    message: string,
    /** The git command line that failed, when there was one. */
    readonly command?: string,
    /** git's combined output, for logs. */
    readonly output?: string,
  ) {
    super(message);
    this.name = 'GitError';
  }

  static is(error: unknown, reason?: GitErrorReason): error is GitError {
    return error instanceof GitError && (reason === undefined || error.reason === reason);
  }
}

/** Classifies git's output (run with LC_ALL=C, so messages are English) into a reason. */
export function reasonFromGitOutput(output: string): GitErrorReason {
  if (/not a git repository/i.test(output)) return 'notARepo';
  if (/a branch named .* already exists/i.test(output)) return 'branchExists';
  if (/already exists|is a missing but (locked|already registered) worktree|already checked out|is already used by worktree/i.test(output)) {
    return 'worktreeExists';
  }
  if (/would be overwritten|commit your changes or stash them|contains modified or untracked files|local changes/i.test(output)) {
    return 'dirtyTree';
  }
  if (/CONFLICT|unmerged|you have not concluded your merge|MERGE_HEAD exists/i.test(output)) return 'mergeConflict';
  if (/does not have any commits yet|ambiguous argument 'HEAD'|bad default revision 'HEAD'/i.test(output)) return 'noCommits';
  return 'unknown';
}
