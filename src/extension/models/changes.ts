/**
 * How a tree model reports what changed: the nodes whose content changed in place (their tree items
 * refresh one by one), or 'structure' when nodes were added or removed (a debounced full refresh).
 */
export type ModelChange<T> =
  /** `minor`: only a running count changed (tokens, cost): the tree may show it a little later. */
  | { kind: 'nodes'; nodes: T[]; minor?: boolean }
  | { kind: 'structure' };

export const structure = { kind: 'structure' } as const;

export function nodesChanged<T>(...nodes: T[]): ModelChange<T> {
  return { kind: 'nodes', nodes };
}

/** Tokens and cost: every agent turn changes them, so trees draw them at a slower pace (ModelTreeProvider). */
export function countsChanged<T>(...nodes: T[]): ModelChange<T> {
  return { kind: 'nodes', nodes, minor: true };
}
