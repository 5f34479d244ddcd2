/**
 * How a tree model reports what changed: the nodes whose content changed in place (their tree items
 * refresh one by one), or 'structure' when nodes were added or removed (a debounced full refresh).
 */
export type ModelChange<T> = { kind: 'nodes'; nodes: T[] } | { kind: 'structure' };

export const structure = { kind: 'structure' } as const;

export function nodesChanged<T>(...nodes: T[]): ModelChange<T> {
  return { kind: 'nodes', nodes };
}
