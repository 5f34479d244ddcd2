import * as assert from 'node:assert/strict';
import {
  DependencyCycleError,
  dependencyGraph,
  findCycle,
  formatCycle,
  topologicalOrder,
  transitiveDependents,
} from '../../src/core/contracts/graph';

function graphOf(edges: Record<string, string[]>): Map<string, string[]> {
  return dependencyGraph(Object.entries(edges).map(([name, depends_on]) => ({ name, depends_on })));
}

describe('dependency graph', () => {
  it('finds no cycle in a DAG', () => {
    assert.equal(findCycle(graphOf({ a: [], b: ['a'], c: ['a', 'b'] })), null);
  });

  it('reports a two-node cycle as a path back to its start', () => {
    const cycle = findCycle(graphOf({ a: ['b'], b: ['a'] }));
    assert.deepEqual(cycle, ['a', 'b', 'a']);
    assert.equal(formatCycle(cycle ?? []), 'a -> b -> a');
  });

  it('reports only the nodes on the cycle, not the path leading to it', () => {
    const cycle = findCycle(graphOf({ entry: ['x'], x: ['y'], y: ['z'], z: ['x'] }));
    assert.deepEqual(cycle, ['x', 'y', 'z', 'x']);
  });

  it('treats a self-dependency as a cycle', () => {
    assert.deepEqual(findCycle(graphOf({ a: ['a'] })), ['a', 'a']);
  });

  it('ignores edges to unknown modules (reported elsewhere)', () => {
    assert.equal(findCycle(graphOf({ a: ['ghost'] })), null);
    assert.deepEqual(topologicalOrder(graphOf({ a: ['ghost'] })), ['a']);
  });

  it('orders dependencies first and keeps declaration order for ties', () => {
    assert.deepEqual(topologicalOrder(graphOf({ api: ['db', 'auth'], auth: ['db'], db: [], ui: [] })), [
      'db',
      'auth',
      'api',
      'ui',
    ]);
  });

  it('throws a DependencyCycleError carrying the cycle', () => {
    assert.throws(
      () => topologicalOrder(graphOf({ a: ['b'], b: ['c'], c: ['a'] })),
      (e: unknown) => e instanceof DependencyCycleError && formatCycle(e.cycle) === 'a -> b -> c -> a',
    );
  });

  it('survives a 100000-long dependency chain without overflowing the stack', () => {
    const edges: Record<string, string[]> = {};
    const n = 100_000;
    for (let i = 0; i < n; i++) edges[`m${i}`] = i + 1 < n ? [`m${i + 1}`] : [];
    const graph = graphOf(edges);
    assert.equal(findCycle(graph), null);
    const order = topologicalOrder(graph);
    assert.equal(order[0], `m${n - 1}`);
    assert.equal(order[n - 1], 'm0');
    graph.set(`m${n - 1}`, ['m0']);
    assert.equal(findCycle(graph)?.length, n + 1);
  });

  it('lists transitive dependents in declaration order, without the module itself', () => {
    const graph = graphOf({ db: [], auth: ['db'], api: ['auth'], ui: ['api'], docs: [] });
    assert.deepEqual(transitiveDependents(graph, 'db'), ['auth', 'api', 'ui']);
    assert.deepEqual(transitiveDependents(graph, 'ui'), []);
    assert.deepEqual(transitiveDependents(graphOf({ a: ['b'], b: ['a'] }), 'a'), ['b']);
  });
});
