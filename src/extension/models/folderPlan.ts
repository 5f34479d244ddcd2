/**
 * Plans the workspace-folder updates for a batch of builder worktrees coming and going (SPEC U5).
 * Every `updateWorkspaceFolders` call makes VS Code re-read the workspace (file watchers, explorer,
 * search, every extension's folder listeners), and it accepts one change at a time, each confirmed
 * before the next: with dozens of builders, one call per worktree kept the window busy for minutes.
 * So what piled up while the previous call was being confirmed goes in as few calls as the API
 * allows: one per contiguous run of folders to remove (highest first, so lower indices stay valid),
 * and all additions in one, merged with the last removal when that run ends the list.
 * The first folder is never touched (changing it restarts every extension). No vscode here: unit-tested.
 */

export interface FolderToAdd {
  path: string;
  name: string;
}

/** One `updateWorkspaceFolders(start, deleteCount, ...add)` call. */
export interface FolderUpdate {
  start: number;
  deleteCount: number;
  add: FolderToAdd[];
}

/**
 * `current`: the workspace folders' paths in order. `adds` and `removes` hold normalized paths; a
 * path in both is treated as the later request said (the caller keeps only the latest per path).
 */
export function planFolderUpdates(current: readonly string[], adds: readonly FolderToAdd[], removes: ReadonlySet<string>): FolderUpdate[] {
  const indices = current.map((p, i) => (i > 0 && removes.has(p) ? i : -1)).filter((i) => i > 0);
  const runs: { start: number; count: number }[] = [];
  for (const i of indices.sort((a, b) => b - a)) {
    const last = runs.at(-1);
    if (last && last.start === i + 1) {
      last.start = i;
      last.count++;
    } else runs.push({ start: i, count: 1 });
  }
  const present = new Set(current);
  const seen = new Set<string>();
  const toAdd = adds.filter((a) => !present.has(a.path) && !removes.has(a.path) && !seen.has(a.path) && seen.add(a.path));
  const updates: FolderUpdate[] = runs.map((r) => ({ start: r.start, deleteCount: r.count, add: [] }));
  if (toAdd.length === 0) return updates;
  // Nothing to add to an empty window: the first folder would be a worktree.
  if (current.length === 0) return updates;
  const tail = updates[0];
  if (tail && tail.start + tail.deleteCount === current.length) tail.add = toAdd;
  else updates.push({ start: current.length - updates.reduce((n, u) => n + u.deleteCount, 0), deleteCount: 0, add: toAdd });
  return updates;
}
