/**
 * Where a module's agents stand in the wave limiter's queue when more agents wait than a tier has
 * slots. Critical path first, the usual rule for scheduling a DAG on few workers: a module that a
 * longer chain of modules waits for goes before one that nothing waits for. At the same depth, a
 * module further along (QC, or a fix cycle) goes before one that has not started: it passes sooner,
 * which frees its dependents and lets assembly merge it while the rest still build. Arrival order
 * stays the rule among equals (src/core/limiter.ts).
 */
import type { ModulesManifest } from '../contracts/schemas';

export type ModuleStep = 'build' | 'fix' | 'qc';

const depthsByManifest = new WeakMap<ModulesManifest, Map<string, number>>();

/** For every module, the number of modules in the longest chain of modules that depend on it (0: none does). */
export function dependentDepths(manifest: ModulesManifest): Map<string, number> {
  const known = depthsByManifest.get(manifest);
  if (known) return known;
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
  depthsByManifest.set(manifest, depths);
  return depths;
}

export function modulePriority(manifest: ModulesManifest, module: string, step: ModuleStep): number {
  return 2 * (dependentDepths(manifest).get(module) ?? 0) + (step === 'build' ? 0 : 1);
}
