/**
 * The bounds the bench compares a run with, as pure functions of the DAG and measured work.
 *
 * - ideal: only the model's time counts (every call takes the scripted latency; tests, git and the
 *   engine are free): sequential stages + max(critical path, module work / wave limit).
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
}

export interface Bound {
  totalMs: number;
  /** The build stage's share (the part after the sequential stages). */
  buildMs: number;
  criticalPathMs: number;
}

function criticalPath(modules: readonly ModuleWork[], cost: (m: ModuleWork) => number): number {
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
  return Math.max(0, ...modules.map((m) => finishOf(m.name)));
}

/** Model-only lower bound: `sequentialMs` (architect, scaffold… one agent at a time) + the build's bound. */
export function idealBound(modules: readonly ModuleWork[], sequentialMs: number, waveLimit: number): Bound {
  const cp = criticalPath(modules, (m) => m.modelMs);
  const throughput = modules.reduce((n, m) => n + m.modelMs, 0) / Math.max(1, waveLimit);
  const buildMs = Math.max(cp, throughput);
  return { totalMs: sequentialMs + buildMs, buildMs, criticalPathMs: cp };
}

/**
 * The same with measured CPU work: the critical path counts model + cpu per module; the model
 * work still shares the wave limit, and the CPU work shares the cores. `sequentialCpuMs` is CPU work
 * outside the modules that nothing can overlap (the install before the build, the full suite on the
 * final head after it); `sharedCpuMs` is CPU work that runs alongside the build on the same cores
 * (assembly's tests after each merge, streamed into the build).
 */
export function floorBound(modules: readonly ModuleWork[], sequentialMs: number, waveLimit: number, cores: number, sequentialCpuMs = 0, sharedCpuMs = 0): Bound {
  const cp = criticalPath(modules, (m) => m.modelMs + m.cpuMs);
  const model = modules.reduce((n, m) => n + m.modelMs, 0) / Math.max(1, waveLimit);
  const cpu = (modules.reduce((n, m) => n + m.cpuMs, 0) + sharedCpuMs) / Math.max(1, cores);
  const buildMs = Math.max(cp, model, cpu);
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
