/**
 * What a merge changed on the integration branch, and whether a module's branch is already merged
 * there: the two git facts assembly decides on. The diff is taken against the merge's first parent
 * (the integration branch before it), so it shows exactly what the merge brought in, whoever made
 * the commits on the module branch (builder, or the engine's own commits there).
 */
import { git, runGit, splitNul } from '../git/run';

export async function pathsChangedByMerge(worktree: string, before: string, after: string): Promise<string[]> {
  return splitNul(await git(worktree, ['diff', '--name-only', '--no-renames', '-z', before, after, '--'])).sort();
}

export async function isAncestor(worktree: string, commit: string, of: string): Promise<boolean> {
  return (await runGit(worktree, ['merge-base', '--is-ancestor', commit, of])).exitCode === 0;
}

/**
 * The merge commit on the integration branch's first-parent history that brought `branchTip` in,
 * or null. A run killed between a merge and the state write finds its merge here on resume, so the
 * module is neither merged twice nor counted as tested when its tests never ran.
 */
export async function mergeThatBrought(worktree: string, branchTip: string): Promise<{ commit: string; parent: string } | null> {
  const lines = (await git(worktree, ['rev-list', '--first-parent', '--merges', '--parents', 'HEAD'])).split('\n').filter(Boolean);
  for (const line of lines) {
    const [commit, parent, ...others] = line.split(' ');
    if (!commit || !parent) continue;
    for (const other of others) if (other === branchTip || (await isAncestor(worktree, branchTip, other))) return { commit, parent };
  }
  return null;
}
