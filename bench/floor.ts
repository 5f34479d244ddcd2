/**
 * The bounds the bench compares a run with, as pure functions of the DAG and measured work.
 *
 * - ideal: only the model's time counts (every call takes the scripted latency; tests, git and the
 *   engine are free): sequential stages + max(critical path, T + work of the modules that cannot
 *   start before T / wave limit, for every T at which a module may first start). With the work split
 *   by tier, each tier's work shares its own limit and the busiest tier bounds: a module's builder
 *   runs on the module's tier and its QC on QC's, and each tier has slots of its own.
 * - floor: what this machine could reach: each module's measured test and git time is added to its
 *   path, and that CPU work shares the machine's cores, so the bound is also Σ cpu / cores.
 */
export interface ModuleWork {
  name: string;
  dependsOn: readonly string[];
  /** Model time of the module's agents (calls × latency). */
  modelMs: number;
  /** Measured test-process and git time of the module (0 for the ideal). */
  cpuMs: number;
  /** `modelMs` split by the wave-limit tier each call ran on; with per-tier limits it is what they share. */
  modelMsByTier?: Readonly<Record<string, number>>;
}

/** One limit for all model work, or one per tier (then every module gives `modelMsByTier`). */
export type WaveLimits = number | Readonly<Record<string, number>>;

/** How long `modules`' model work takes at the least with `limits` slots: the busiest tier's. */
function slotTime(modules: readonly ModuleWork[], limits: WaveLimits): number {
  if (typeof limits === 'number') return modules.reduce((n, m) => n + m.modelMs, 0) / Math.max(1, limits);
  const byTier = new Map<string, number>();
  for (const m of modules) {
    if (!m.modelMsByTier) throw new Error(`${m.name}: per-tier wave limits need the module's model time by tier`);
    for (const [tier, ms] of Object.entries(m.modelMsByTier)) byTier.set(tier, (byTier.get(tier) ?? 0) + ms);
  }
  return Math.max(0, ...[...byTier].map(([tier, ms]) => ms / Math.max(1, limits[tier] ?? 1)));
}

export interface Bound {
  totalMs: number;
  /** The build stage's share (the part after the sequential stages). */
  buildMs: number;
  criticalPathMs: number;
}

/** Each module's earliest finish when only `cost` counts and nothing waits for a free slot. */
function earliestFinish(modules: readonly ModuleWork[], cost: (m: ModuleWork) => number): Map<string, number> {
  const byName = new Map(modules.map((m) => [m.name, m]));
  const finish = new Map<string, number>();
  const visiting = new Set<string>();
  const finishOf = (name: string): number => {
    const known = finish.get(name);
    if (known !== undefined) return known;
    const m = byName.get(name);
    if (!m) return 0;
    if (visiting.has(name)) throw new Error(`dependency cycle through ${name}`);
    visiting.add(name);
    const start = Math.max(0, ...m.dependsOn.map(finishOf));
    visiting.delete(name);
    const f = start + cost(m);
    finish.set(name, f);
    return f;
  };
  for (const m of modules) finishOf(m.name);
  return finish;
}

/**
 * The longer of the critical path and the model work over the wave limit, where the work bound is
 * taken at every point T at which a module may first start: the modules that cannot start before T
 * still need their calls, `limit` at a time, after T. (A wide project waits for its root module and
 * only then runs the rest side by side; the work over the limit from time 0 ignored that wait.)
 */
function pathAndWorkBound(modules: readonly ModuleWork[], pathCost: (m: ModuleWork) => number, limits: WaveLimits): { cp: number; bound: number } {
  const finish = earliestFinish(modules, pathCost);
  const cp = Math.max(0, ...finish.values());
  const startOf = (m: ModuleWork) => finish.get(m.name)! - pathCost(m);
  let bound = cp;
  for (const t of new Set(modules.map(startOf))) bound = Math.max(bound, t + slotTime(modules.filter((m) => startOf(m) >= t), limits));
  return { cp, bound };
}

/** Model-only lower bound: `sequentialMs` (architect, scaffold… one agent at a time) + the build's bound. */
export function idealBound(modules: readonly ModuleWork[], sequentialMs: number, waveLimits: WaveLimits): Bound {
  const { cp, bound } = pathAndWorkBound(modules, (m) => m.modelMs, waveLimits);
  return { totalMs: sequentialMs + bound, buildMs: bound, criticalPathMs: cp };
}

/**
 * The same with measured CPU work: the critical path counts model + cpu per module; the model
 * work still shares the wave limit, and the CPU work shares the cores. `sequentialCpuMs` is CPU work
 * outside the modules that nothing can overlap (the install before the build, the full suite on the
 * final head after it); `sharedCpuMs` is CPU work that runs alongside the build on the same cores
 * (assembly's tests after each merge, streamed into the build).
 */
export function floorBound(modules: readonly ModuleWork[], sequentialMs: number, waveLimits: WaveLimits, cores: number, sequentialCpuMs = 0, sharedCpuMs = 0): Bound {
  const { cp, bound: withCpu } = pathAndWorkBound(modules, (m) => m.modelMs + m.cpuMs, waveLimits);
  // Never below the ideal: CPU time only delays starts, it never removes model work.
  const model = Math.max(withCpu, pathAndWorkBound(modules, (m) => m.modelMs, waveLimits).bound);
  const cpu = (modules.reduce((n, m) => n + m.cpuMs, 0) + sharedCpuMs) / Math.max(1, cores);
  const buildMs = Math.max(model, cpu);
  return { totalMs: sequentialMs + buildMs + sequentialCpuMs, buildMs, criticalPathMs: cp };
}

/** One agent outside the modules (architect, scaffold, audit, ship…): its stage, role and model calls. */
export interface StageAgent {
  stage: string;
  role: string;
  calls: number;
}

/**
 * The model time of the stages around the build. Agents of one stage and role that the engine may run
 * side by side (`concurrent`: role → how many at once; Infinity for no limit) cost the longer of the
 * longest agent and their calls shared by that limit; every other agent runs alone, one after another.
 * (Counting harden's audit workers one after another made the ideal longer than a real run.)
 */
export function sequentialModelMs(agents: readonly StageAgent[], latencyMs: number, concurrent: Readonly<Record<string, number>>): number {
  const groups = new Map<string, { limit: number; calls: number[] }>();
  let alone = 0;
  for (const a of agents) {
    const limit = concurrent[a.role];
    if (limit === undefined) {
      alone += a.calls;
      continue;
    }
    const key = `${a.stage}\u0000${a.role}`;
    const g = groups.get(key) ?? { limit, calls: [] };
    g.calls.push(a.calls);
    groups.set(key, g);
  }
  let together = 0;
  for (const g of groups.values()) together += Math.max(Math.max(...g.calls), g.calls.reduce((n, c) => n + c, 0) / Math.max(1, g.limit));
  return (alone + together) * latencyMs;
}

/** Bytes per module, for the "state writes stay linear" figure. */
export function perModule(bytes: number, modules: number): number {
  return modules > 0 ? bytes / modules : 0;
}
