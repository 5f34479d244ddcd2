/**
 * The module dependency graph from modules.json: cycle detection for the validator, and a
 * deterministic dependency order plus "who depends on this" for the scheduler and assembler.
 *
 * All walks are iterative: a hostile manifest with a very long dependency chain must produce a
 * problem report, not a stack overflow.
 */

/** Module name → names it depends on. Edges to names that are not keys are ignored. */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

export function dependencyGraph(
  modules: readonly { readonly name: string; readonly depends_on: readonly string[] }[],
): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const module of modules) {
    const deps = graph.get(module.name) ?? [];
    deps.push(...module.depends_on);
    graph.set(module.name, deps);
  }
  return graph;
}

const enum Mark {
  Visiting = 1,
  Done = 2,
}

/**
 * Depth-first post-order over the graph. Calls `onCycle` with the cycle (first node repeated at the
 * end) the first time a back edge is found and stops; otherwise returns every node, each after its
 * dependencies, preferring the graph's own key order so the result is stable.
 */
function walk(graph: DependencyGraph): { order: string[]; cycle: string[] | null } {
  const marks = new Map<string, Mark>();
  const order: string[] = [];
  for (const root of graph.keys()) {
    if (marks.has(root)) continue;
    // Each frame is a node and the index of the next dependency to look at.
    const stack: { node: string; next: number }[] = [{ node: root, next: 0 }];
    marks.set(root, Mark.Visiting);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const deps = graph.get(frame.node) ?? [];
      if (frame.next >= deps.length) {
        marks.set(frame.node, Mark.Done);
        order.push(frame.node);
        stack.pop();
        continue;
      }
      const dep = deps[frame.next++]!;
      if (!graph.has(dep)) continue;
      const mark = marks.get(dep);
      if (mark === Mark.Visiting) {
        const start = stack.findIndex((f) => f.node === dep);
        return { order, cycle: [...stack.slice(start).map((f) => f.node), dep] };
      }
      if (mark === undefined) {
        marks.set(dep, Mark.Visiting);
        stack.push({ node: dep, next: 0 });
      }
    }
  }
  return { order, cycle: null };
}

/** The first dependency cycle found, as a path that returns to its start (`['a', 'b', 'a']`), or null. */
export function findCycle(graph: DependencyGraph): string[] | null {
  return walk(graph).cycle;
}

export function formatCycle(cycle: readonly string[]): string {
  return cycle.join(' -> ');
}

export class DependencyCycleError extends Error {
  constructor(readonly cycle: readonly string[]) {
    super(`dependency cycle: ${formatCycle(cycle)}`);
    this.name = 'DependencyCycleError';
  }
}

/**
 * Every module after all of its dependencies; ties keep the graph's key order.
 * Throws DependencyCycleError on a cycle (a validated manifest never has one).
 */
export function topologicalOrder(graph: DependencyGraph): string[] {
  const { order, cycle } = walk(graph);
  if (cycle) throw new DependencyCycleError(cycle);
  return order;
}

/**
 * Every module that depends on `name` directly or indirectly, in graph key order. When a module
 * fails, these are the ones that cannot be assembled either.
 */
export function transitiveDependents(graph: DependencyGraph, name: string): string[] {
  const dependents = new Map<string, string[]>();
  for (const [node, deps] of graph) {
    for (const dep of deps) {
      const list = dependents.get(dep) ?? [];
      list.push(node);
      dependents.set(dep, list);
    }
  }
  const found = new Set<string>();
  const queue = [name];
  while (queue.length > 0) {
    for (const dependent of dependents.get(queue.pop()!) ?? []) {
      if (dependent !== name && !found.has(dependent)) {
        found.add(dependent);
        queue.push(dependent);
      }
    }
  }
  return [...graph.keys()].filter((node) => found.has(node));
}
