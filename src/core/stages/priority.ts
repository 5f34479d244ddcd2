/**
 * Where a module's agents stand in the wave limiter's queue when more agents wait than a tier has
 * slots. Critical path first, the usual rule for scheduling a DAG on few workers: a module that a
 * longer chain of modules waits for goes before one that nothing waits for. At the same depth, a
 * module further along (QC, or a fix cycle) goes before one that has not started: it passes sooner,
 * which frees its dependents and lets assembly merge it while the rest still build. Among modules
 * equal in both, the one earlier in `assembly_order` goes first: assembly streams in that order, and
 * a module that got its slot late held every merge after it back. (200 modules, wide: their
 * worktrees were ready in no particular order, the slots went in that order, and the 14th module of
 * the order started last: assembly merged 13 modules, then waited 220 s with 180 passed modules
 * behind it.) Arrival order stays the rule among modules equal in all three (src/core/limiter.ts).
 */
import type { ModulesManifest } from '../contracts/schemas';

export type ModuleStep = 'build' | 'fix' | 'qc';

/** What the priorities read of a manifest, worked out once per manifest. */
interface ManifestRanks {
  /** The longest chain of dependents of each module (dependentDepths). */
  depths: Map<string, number>;
  /** Each module's index in `assembly_order`. */
  positions: Map<string, number>;
}

const ranksByManifest = new WeakMap<ModulesManifest, ManifestRanks>();

function ranksOf(manifest: ModulesManifest): ManifestRanks {
  let ranks = ranksByManifest.get(manifest);
  if (!ranks) {
    ranks = { depths: longestDependentChains(manifest), positions: new Map(manifest.assembly_order.map((name, i) => [name, i])) };
    ranksByManifest.set(manifest, ranks);
  }
  return ranks;
}

/** For every module, the number of modules in the longest chain of modules that depend on it (0: none does). */
export function dependentDepths(manifest: ModulesManifest): Map<string, number> {
  return ranksOf(manifest).depths;
}

function longestDependentChains(manifest: ModulesManifest): Map<string, number> {
  const dependents = new Map<string, string[]>(manifest.modules.map((m) => [m.name, []]));
  for (const m of manifest.modules) for (const d of m.depends_on) dependents.get(d)?.push(m.name);
  const depths = new Map<string, number>();
  const depthOf = (name: string, seen: Set<string>): number => {
    const cached = depths.get(name);
    if (cached !== undefined) return cached;
    // The manifest validator refuses cycles; a cycle here counts as no further depth rather than looping.
    if (seen.has(name)) return 0;
    seen.add(name);
    const below = dependents.get(name) ?? [];
    const depth = below.length === 0 ? 0 : 1 + Math.max(...below.map((d) => depthOf(d, seen)));
    seen.delete(name);
    depths.set(name, depth);
    return depth;
  };
  for (const m of manifest.modules) depthOf(m.name, new Set());
  return depths;
}

/**
 * Below 0.5, higher the earlier the module is in `assembly_order` (0 for the last, and for a module
 * not in it): added to the whole-number part, it orders equals and never outweighs depth or step.
 */
function assemblyPlace(manifest: ModulesManifest, module: string): number {
  const at = ranksOf(manifest).positions.get(module);
  const n = manifest.assembly_order.length;
  return at === undefined ? 0 : (0.5 * (n - 1 - at)) / n;
}

export function modulePriority(manifest: ModulesManifest, module: string, step: ModuleStep): number {
  return 2 * (ranksOf(manifest).depths.get(module) ?? 0) + (step === 'build' ? 0 : 1) + assemblyPlace(manifest, module);
}
