/**
 * Where a build stage's time beyond its model calls goes, read from the run's journal: for every
 * module, the steps between the moment it could start (its last dependency passed QC, or the stage
 * began) and the moment it passed, and how long the stage ran with no module agent at all. The ideal
 * counts only model calls; these are the engine's parts of each module's path:
 * - ready → worktree: the worktree made and the dependencies merged in (and a wave-limit slot);
 * - worktree → builder: the builder's start (its memory, its prompt), and its wait for a wave-limit
 *   slot (in a wide project most modules wait here);
 * - builder → QC: the engine's commit of the builder's work and QC's start (a QC on another tier
 *   than its builder waits for a slot of its own);
 * - QC → passed: the verdict recorded, the training pairs counted.
 * Only first builds count (a fix cycle's steps are QC findings, not overhead).
 *
 * And the critical chain, split: from the stage's start to the last module's pass, through each
 * module's dependency that passed last, the time its agents waited for the model, the time their
 * tools ran (the tests, mostly), and the rest, the engine's own time (preparations, hand-overs,
 * commits, each call's set-up). The engine's part is what compares with the raw-git baseline, which
 * runs no model and no test.
 */
import type { readJournal } from '../src/core/run/journal';

type Journal = ReturnType<typeof readJournal>;

export interface StepFigures {
  /** Mean over the modules that had the step. */
  meanMs: number;
  maxMs: number;
  /** The module with the longest. */
  maxModule: string;
}

export interface BuildTimeline {
  readyToWorktree: StepFigures;
  worktreeToBuilder: StepFigures;
  builderToQc: StepFigures;
  qcToPassed: StepFigures;
  /** Build-stage time during which no module agent ran. */
  idleMs: number;
  /** Module agents running on average during the build stage. */
  meanAgents: number;
  chain: CriticalChain | null;
}

export interface CriticalChain {
  /** Modules on it, the first one to the last to pass. */
  modules: number;
  /** Build stage's start to the last module's pass. */
  windowMs: number;
  /** Model calls of the chain's agents: from the agent's step before a call to the call's usage. */
  modelMs: number;
  /** Their tool calls (not overlapping a model call): tests, reads, writes. */
  toolMs: number;
  /** The rest. */
  engineMs: number;
  /**
   * Of the rest, the time from each chain module's worktree to its builder's start: the builder's
   * wait for a wave-limit slot, where a layer is wider than the slots (a start itself takes a few ms).
   */
  builderWaitMs: number;
  /** The last module's pass to the stage's end: its merge, and the full suite on the final head. */
  tailMs: number;
}

interface ModuleTimes {
  worktree?: number;
  builderStart?: number;
  builderEnd?: number;
  qcStart?: number;
  qcEnd?: number;
  passed?: number;
}

export function buildTimeline(journal: Journal, dependsOn: ReadonlyMap<string, readonly string[]>): BuildTimeline | null {
  const at = (e: { at: string }) => Date.parse(e.at);
  const started = journal.find((e) => e.type === 'stage-started' && e.stage === 'build');
  const ended = journal.find((e) => e.type === 'stage-ended' && e.stage === 'build');
  if (!started || !ended) return null;
  const stageStart = at(started);
  const stageEnd = at(ended);

  const times = new Map<string, ModuleTimes>();
  const of = (module: string) => times.get(module) ?? times.set(module, {}).get(module)!;
  const agentRole = new Map<string, { role: string; module: string }>();
  const running: Array<[number, 1 | -1]> = [];
  for (const e of journal) {
    if (e.type === 'worktree-added') of(e.module).worktree ??= at(e);
    else if (e.type === 'module-status' && e.status === 'passed') of(e.module).passed ??= at(e);
    else if ((e.type === 'agent-started' || e.type === 'agent-ended') && e.module) {
      if (e.type === 'agent-started') agentRole.set(e.agentId, { role: e.role, module: e.module });
      const who = agentRole.get(e.agentId);
      if (!who) continue;
      running.push([at(e), e.type === 'agent-started' ? 1 : -1]);
      const t = of(who.module);
      if (who.role === 'builder') {
        if (e.type === 'agent-started') t.builderStart ??= at(e);
        else t.builderEnd ??= at(e);
      } else if (who.role === 'qc') {
        if (e.type === 'agent-started') t.qcStart ??= at(e);
        else t.qcEnd ??= at(e);
      }
    }
  }

  const steps = { readyToWorktree: [] as Array<[string, number]>, worktreeToBuilder: [] as Array<[string, number]>, builderToQc: [] as Array<[string, number]>, qcToPassed: [] as Array<[string, number]> };
  for (const [module, t] of times) {
    const deps = dependsOn.get(module) ?? [];
    const depsPassed = deps.map((d) => times.get(d)?.passed);
    const ready = deps.length === 0 ? stageStart : depsPassed.every((p) => p !== undefined) ? Math.max(...(depsPassed as number[])) : undefined;
    const add = (list: Array<[string, number]>, from?: number, to?: number) => {
      if (from !== undefined && to !== undefined && to >= from) list.push([module, to - from]);
    };
    add(steps.readyToWorktree, ready, t.worktree);
    add(steps.worktreeToBuilder, t.worktree, t.builderStart);
    add(steps.builderToQc, t.builderEnd, t.qcStart);
    add(steps.qcToPassed, t.qcEnd, t.passed);
  }
  const figures = (list: Array<[string, number]>): StepFigures => {
    if (list.length === 0) return { meanMs: 0, maxMs: 0, maxModule: '-' };
    const longest = list.reduce((a, b) => (b[1] > a[1] ? b : a));
    return { meanMs: list.reduce((n, [, ms]) => n + ms, 0) / list.length, maxMs: longest[1], maxModule: longest[0] };
  };

  // Agents running over the stage: the time at zero, and the mean.
  running.sort((a, b) => a[0] - b[0]);
  let count = 0;
  let last = stageStart;
  let idleMs = 0;
  let area = 0;
  for (const [t, delta] of [...running, [stageEnd, 0] as [number, 0]]) {
    const from = Math.max(last, stageStart);
    const to = Math.min(t, stageEnd);
    if (to > from) {
      if (count === 0) idleMs += to - from;
      area += count * (to - from);
    }
    count += delta;
    last = Math.max(last, t);
  }
  return {
    readyToWorktree: figures(steps.readyToWorktree),
    worktreeToBuilder: figures(steps.worktreeToBuilder),
    builderToQc: figures(steps.builderToQc),
    qcToPassed: figures(steps.qcToPassed),
    idleMs,
    meanAgents: stageEnd > stageStart ? area / (stageEnd - stageStart) : 0,
    chain: criticalChain(journal, dependsOn, times, stageStart, stageEnd),
  };
}

type Interval = [number, number];

function criticalChain(journal: Journal, dependsOn: ReadonlyMap<string, readonly string[]>, times: ReadonlyMap<string, ModuleTimes>, stageStart: number, stageEnd: number): CriticalChain | null {
  const passedAt = (m: string) => times.get(m)?.passed;
  const last = [...times.keys()].filter((m) => passedAt(m) !== undefined).sort((a, b) => passedAt(b)! - passedAt(a)!)[0];
  if (!last) return null;
  const chain = new Set<string>();
  for (let m: string | undefined = last; m !== undefined && !chain.has(m); ) {
    chain.add(m);
    const deps: string[] = (dependsOn.get(m) ?? []).filter((d) => passedAt(d) !== undefined);
    m = deps.sort((a, b) => passedAt(b)! - passedAt(a)!)[0];
  }
  const end = passedAt(last)!;
  const at = (e: { at: string }) => Date.parse(e.at);
  const model: Interval[] = [];
  const tools: Interval[] = [];
  const agentOfChain = new Set<string>();
  const previous = new Map<string, number>();
  const openTools = new Map<string, number[]>();
  for (const e of journal) {
    if (e.type === 'agent-started' && e.module && chain.has(e.module)) agentOfChain.add(e.agentId);
    if (!('agentId' in e) || !agentOfChain.has(e.agentId)) continue;
    const t = at(e);
    if (e.type === 'agent-usage') model.push([previous.get(e.agentId) ?? t, t]);
    else if (e.type === 'tool-call') openTools.set(e.agentId, [...(openTools.get(e.agentId) ?? []), t]);
    else if (e.type === 'tool-result') {
      const started = openTools.get(e.agentId)?.shift();
      if (started !== undefined) tools.push([started, t]);
    }
    previous.set(e.agentId, t);
  }
  const window: Interval = [stageStart, end];
  const modelMs = covered(model, window);
  const toolMs = covered([...model, ...tools], window) - modelMs;
  const windowMs = end - stageStart;
  let builderWaitMs = 0;
  for (const m of chain) {
    const t = times.get(m);
    if (t?.worktree !== undefined && t.builderStart !== undefined) builderWaitMs += Math.max(0, t.builderStart - t.worktree);
  }
  return { modules: chain.size, windowMs, modelMs, toolMs, engineMs: windowMs - modelMs - toolMs, builderWaitMs, tailMs: Math.max(0, stageEnd - end) };
}

/** The length of the union of `intervals` within `window`. */
function covered(intervals: readonly Interval[], window: Interval): number {
  const clipped = intervals.map(([a, b]): Interval => [Math.max(a, window[0]), Math.min(b, window[1])]).filter(([a, b]) => b > a);
  clipped.sort((x, y) => x[0] - y[0]);
  let total = 0;
  let reach = -Infinity;
  for (const [a, b] of clipped) {
    if (b <= reach) continue;
    total += b - Math.max(a, reach);
    reach = b;
  }
  return total;
}
