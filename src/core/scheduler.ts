/**
 * Runs work over a dependency graph: each node starts as soon as every node it depends on has
 * finished *successfully*; a node whose dependency did not succeed is skipped with the reason.
 * Concurrency is not limited here: the wave limiter bounds the agents inside each node's work,
 * which lets a QC agent start the moment its builder ends instead of waiting for a wave.
 */
export interface DagNode {
  name: string;
  dependsOn: readonly string[];
}

export type DagOutcome<R> = { kind: 'ran'; result: R; ok: boolean } | { kind: 'skipped'; reason: string };

export async function runDag<R>(
  nodes: readonly DagNode[],
  work: (node: DagNode) => Promise<{ result: R; ok: boolean }>,
  options: { signal?: AbortSignal; isDone?: (name: string) => boolean } = {},
): Promise<Map<string, DagOutcome<R>>> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const started = new Map<string, Promise<DagOutcome<R>>>();
  const visiting = new Set<string>();

  const outcomeOf = (name: string): Promise<DagOutcome<R>> => {
    const existing = started.get(name);
    if (existing) return existing;
    const node = byName.get(name);
    if (!node) return Promise.resolve({ kind: 'skipped', reason: `unknown node ${name}` });
    if (visiting.has(name)) return Promise.resolve({ kind: 'skipped', reason: `dependency cycle through ${name}` });
    visiting.add(name);
    const deps = node.dependsOn.map(outcomeOf);
    visiting.delete(name);
    const p = (async (): Promise<DagOutcome<R>> => {
      const settled = await Promise.all(deps);
      const bad = node.dependsOn.find((_, i) => {
        const d = settled[i]!;
        return d.kind === 'skipped' || !d.ok;
      });
      if (bad) return { kind: 'skipped', reason: `dependency ${bad} did not succeed` };
      if (options.signal?.aborted) return { kind: 'skipped', reason: 'stopped' };
      const { result, ok } = await work(node);
      return { kind: 'ran', result, ok };
    })();
    started.set(name, p);
    return p;
  };

  const entries = await Promise.all(nodes.map(async (n) => [n.name, await outcomeOf(n.name)] as const));
  return new Map(entries);
}
