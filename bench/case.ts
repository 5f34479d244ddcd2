/**
 * One bench case in a process of its own (`node out/bench/case.js <modules> <shape>`), so its peak
 * RSS is the engine's alone: the scripted model runs in a child process (scriptedProcess.ts). Prints
 * the case's figures as one JSON line at the end.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as v8 from 'node:v8';
import * as inspector from 'node:inspector';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { startRun } from '../src/core/engine';
import { defaultConfig } from '../src/core/config';
import { readJournal } from '../src/core/run/journal';
import { cacheShare, cacheShareByRole } from '../src/core/run/report';
import { ModulesManifestSchema, type RunState } from '../src/core/contracts/schemas';
import { moduleTestCommandFor, projectCommands } from '../src/core/stack/commands';
import { syntheticDescription, syntheticPlan } from '../src/scripted';
import type { SyntheticShape } from '../src/scripted/types';
import { cpuMsOfProcess, startScriptedModelProcess } from './scriptedProcess';
import { floorBound, idealBound, perModule, sequentialModelMs, type ModuleWork, type StageAgent } from './floor';
import { rawGitAround } from './rawGit';
import { readShipChecks } from '../src/core/stages/shipChecks';
import { buildTimeline, type BuildTimeline } from './buildTimeline';
import { countSpawns, type SpawnTally } from './spawnLog';
import { gitHostMemory, gitHostPid, stats as gitHostStarts } from '../src/core/git/spawner';
import { rssBreakdown, type RssBreakdown } from './smaps';

/** Every child process the engine starts in this case, counted from the start (engine modules call node:child_process at use). */
const spawns = countSpawns();

/**
 * The scripted model's time per call. A real call takes seconds (time to first token, then the reply
 * at tens of tokens a second); at 150 ms a call was faster than starting one sandboxed test process,
 * so the model-only ideal left no room for the work a real run does around the model on 2 cores. 1 s
 * is still several times faster than a real call. BENCH_LATENCY_MS=150 gives the earlier figures.
 */
export const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 1000);

export interface CaseFigures {
  name: string;
  /** CPU time of the engine's process (all its threads; not the processes it started) over the run. */
  engineCpuMs: number;
  /** CPU time of the scripted model's own process over the run (null where /proc cannot tell). */
  modelCpuMs: number | null;
  /** CPU time of the git host process (src/core/git/spawner.ts), which starts the engine's git processes; null if none ran. */
  gitHostCpuMs: number | null;
  modules: number;
  wallMs: number;
  idealMs: number;
  ratio: number;
  buildWallMs: number;
  buildIdealMs: number;
  assembleWallMs: number;
  /** Test processes assembly ran (from the state when assembly records it, else one per merge). */
  assemblyTestProcesses: number;
  /** Test commands the builders and QC agents ran through their shells. */
  agentTestRuns: number;
  /** The raw-git baseline: the median of its runs (rawGitRunsMs). */
  rawGitMs: number;
  rawGitRunsMs: number[];
  /** The baseline's runs just before the case and just after it (rawGitAround). */
  rawGitBeforeMs: number[];
  rawGitAfterMs: number[];
  /** Wall time beyond the model-only ideal: everything the engine, git and the tests added. */
  engineNonModelMs: number;
  engineRawRatio: number;
  /**
   * The build stage's own (build wall − build ideal): every git operation of the raw-git baseline
   * is the build stage's (assembly's merges stream into it), while the whole run's non-model time also
   * holds the stages around it (the architect's and scaffold's tool calls, the install, harden, the ship checks).
   */
  buildNonModelMs: number;
  buildRawRatio: number;
  floorMs: number;
  floorRatio: number;
  calls: number;
  peakRssMb: number;
  /** The engine's memory while the run went on (sampled) and what its heap still held at the end. */
  memory: MemoryFigures;
  stateBytesPerModule: number | null;
  journalBytesPerModule: number;
  installMs: number | null;
  cacheShare: number | null;
  cacheShareByRole: Record<string, number | null>;
  /** Child processes the engine process started (git, sandbox start, test commands), and the event-loop time their starts took. */
  childProcesses: number;
  spawnSyncMs: number;
  /** Of those, git processes started from the git worker threads (their starts do not stop the event loop), and the time the starts took there. */
  gitHostProcesses: number;
  gitHostSpawnMs: number;
  /** The most frequent commands among them. */
  topCommands: Array<[string, SpawnTally]>;
  /** Where the build stage's time beyond model calls went (bench/buildTimeline.ts). */
  buildTimeline: BuildTimeline | null;
}

function tempRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-bench-'));
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(dir, 'README.md'), '# bench\n');
  git('add', '.');
  git('-c', 'user.name=bench', '-c', 'user.email=b@x.invalid', 'commit', '-q', '-m', 'init');
  return dir;
}

function stageMs(state: RunState, id: string): number {
  const st = state.stages.find((s) => s.id === id);
  return st?.startedAt && st.endedAt ? Date.parse(st.endedAt) - Date.parse(st.startedAt) : 0;
}

type Journal = ReturnType<typeof readJournal>;

/** Per agent: model calls and module, from the journal's usage lines, and the model it ran on. */
function callsByAgent(journal: Journal): Map<string, { calls: number; module?: string; role: string; stage: string; model?: string }> {
  const out = new Map<string, { calls: number; module?: string; role: string; stage: string; model?: string }>();
  const models = new Map<string, string>();
  for (const e of journal) {
    if (e.type === 'agent-started') models.set(e.agentId, e.model);
    if (e.type !== 'agent-usage') continue;
    const a = out.get(e.agentId) ?? { calls: 0, module: e.module, role: e.role, stage: e.stage, model: models.get(e.agentId) };
    a.calls++;
    out.set(e.agentId, a);
  }
  return out;
}

/**
 * The agents' test runs per module and their wall time (the bash call to its result), from their bash
 * calls: a call counts when `isTestRun` says its command runs the module's tests. (A word match
 * counted every command that mentioned `node --test`, the builders' training-pair appends among
 * them, so the floor added a third test run per module.) An agent's bash calls run one after another,
 * so its results come in the order of its calls: each result closes the oldest open call, test or not.
 */
function testMsByModule(
  journal: Journal,
  moduleOf: Map<string, string | undefined>,
  isTestRun: (module: string, command: string) => boolean,
): { perModule: Map<string, number>; runsOf: Map<string, number>; runs: number } {
  // Per agent, its bash calls not yet answered: when each started, and whether it runs tests.
  const open = new Map<string, Array<{ at: number; test: boolean }>>();
  const perModule = new Map<string, number>();
  const runsOf = new Map<string, number>();
  let runs = 0;
  for (const e of journal) {
    if ((e.type !== 'tool-call' && e.type !== 'tool-result') || e.tool !== 'bash') continue;
    const module = moduleOf.get(e.agentId);
    if (!module) continue;
    if (e.type === 'tool-call') {
      const test = isTestRun(module, commandOf(e.input));
      open.set(e.agentId, [...(open.get(e.agentId) ?? []), { at: Date.parse(e.at), test }]);
      if (!test) continue;
      runs++;
      runsOf.set(module, (runsOf.get(module) ?? 0) + 1);
    } else {
      const call = open.get(e.agentId)?.shift();
      if (call?.test) perModule.set(module, (perModule.get(module) ?? 0) + Date.parse(e.at) - call.at);
    }
  }
  return { perModule, runsOf, runs };
}

/** A bash call's command, from the journal's JSON of its input ('' if it has none). */
function commandOf(input: string): string {
  try {
    const command = (JSON.parse(input) as { command?: unknown }).command;
    return typeof command === 'string' ? command.trim() : '';
  } catch {
    return '';
  }
}

/**
 * CPU time (user + system of every process it started) of one run of `command` in `cwd`, from bash's
 * `times`. The floor needs CPU work, not wall time: an agent's test run measured from its tool call to
 * its result also counts the time it waited for a core behind every other agent's tests, and the
 * floor shares that work among the cores again, so wall times made the floor higher than a run.
 */
function cpuMsOf(command: string, cwd: string): number {
  const out = execFileSync('bash', ['-c', `{ ${command}\n} >/dev/null 2>&1; times`], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const children = out.trim().split('\n')[1] ?? '';
  return [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((ms, m) => ms + (Number(m[1]) * 60 + Number(m[2])) * 1000, 0);
}

export interface MemoryFigures {
  /** The kernel's high-water mark of the process's RSS when the run ended (before the bench read its files). */
  peakRssMb: number;
  /** At the highest sampled RSS: V8's heap in use, and memory outside it (Buffers, ArrayBuffers, native). */
  atPeak: { rssMb: number; heapUsedMb: number; heapTotalMb: number; externalMb: number; arrayBuffersMb: number; youngGenMb: number; oldGenMb: number };
  /**
   * At the highest RSS among the samples taken every 5 s: what RSS is made of (smaps.ts: mapped
   * files, glibc's main and per-thread malloc arenas, other anonymous memory). Null where /proc cannot be read.
   */
  composition: RssBreakdown | null;
  /**
   * The git host process (src/core/git/spawner.ts), sampled with the engine: its highest RSS, the
   * highest of its own memory (anonymous; the rest is the Node binary the engine maps too), and the
   * highest sum of the engine's RSS and the host's own memory at one sample. Null if none ran.
   */
  gitHost: { peakRssMb: number; peakPrivateMb: number; peakWithEngineMb: number } | null;
  /** Highest sampled heap in use (live objects and garbage not yet collected). */
  peakHeapUsedMb: number;
  /** Highest heap in use just after a full (mark-compact) GC: the live set at its largest. */
  peakLiveHeapMb: number;
  /** Heap in use after a full GC once the run ended (run state and result still held): what the run retained. */
  heapAfterRunMb: number | null;
}

const MB = 1024 * 1024;

/**
 * Samples process.memoryUsage() while the run goes on (every 250 ms, off the run's critical path),
 * keeping the breakdown at the highest RSS seen: whether RSS is the JS heap or memory outside it.
 */
function memorySampler(): { stop(): Omit<MemoryFigures, 'heapAfterRunMb'> } {
  // V8's young generation (new space) and old generation (old space and large objects), committed.
  const generations = () => {
    const spaces = new Map(v8.getHeapSpaceStatistics().map((sp) => [sp.space_name, sp.space_size]));
    const of = (...names: string[]) => names.reduce((n, name) => n + (spaces.get(name) ?? 0), 0);
    return { young: of('new_space', 'new_large_object_space'), old: of('old_space', 'large_object_space') };
  };
  let atPeak = process.memoryUsage();
  let gens = generations();
  let peakHeapUsed = atPeak.heapUsed;
  let peakLive = 0;
  let gitHost: MemoryFigures['gitHost'] = null;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    const h = gitHostMemory();
    if (h) {
      gitHost = {
        peakRssMb: Math.max(gitHost?.peakRssMb ?? 0, h.rssMb),
        peakPrivateMb: Math.max(gitHost?.peakPrivateMb ?? 0, h.privateMb),
        peakWithEngineMb: Math.max(gitHost?.peakWithEngineMb ?? 0, m.rss / MB + h.privateMb),
      };
    }
    if (m.rss > atPeak.rss) {
      atPeak = m;
      gens = generations();
    }
    peakHeapUsed = Math.max(peakHeapUsed, m.heapUsed);
  }, 250);
  timer.unref();
  // Read as soon as a full GC is reported: little has been allocated since, so this is close to the live set.
  const gcs = new PerformanceObserver((list) => {
    if (list.getEntries().some((e) => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
      peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
    }
  });
  gcs.observe({ entryTypes: ['gc'] });
  // Reading smaps costs a few milliseconds, so less often than the RSS samples above.
  let composition: MemoryFigures['composition'] = null;
  const composed = setInterval(() => {
    const b = rssBreakdown();
    if (b && (!composition || b.rssMb > composition.rssMb)) composition = b;
  }, 5000);
  composed.unref();
  return {
    stop: () => {
      clearInterval(timer);
      clearInterval(composed);
      gcs.disconnect();
      return {
        peakRssMb: process.resourceUsage().maxRSS / 1024,
        atPeak: { rssMb: atPeak.rss / MB, heapUsedMb: atPeak.heapUsed / MB, heapTotalMb: atPeak.heapTotal / MB, externalMb: atPeak.external / MB, arrayBuffersMb: atPeak.arrayBuffers / MB, youngGenMb: gens.young / MB, oldGenMb: gens.old / MB },
        peakHeapUsedMb: peakHeapUsed / MB,
        peakLiveHeapMb: peakLive / MB,
        composition,
        gitHost,
      };
    },
  };
}

/**
 * BENCH_HEAP_SNAPSHOT=<dir>: heap snapshots when half the modules have passed QC (the build in full
 * swing), when the build stage ends and when the run ends, to find what grows with N. Taking them
 * costs memory and time: the case's other figures are not comparable then.
 */
function heapSnapshot(label: string): void {
  const dir = process.env.BENCH_HEAP_SNAPSHOT;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  const file = v8.writeHeapSnapshot(path.join(dir, `${label}.heapsnapshot`));
  process.stderr.write(`heap snapshot: ${file}\n`);
}

/**
 * BENCH_HEAP_PROFILE=<file>: V8's sampling heap profiler over the whole run, counting objects that
 * were collected too, so the profile shows where the engine allocates (not only what it keeps).
 */
async function startAllocationProfile(): Promise<() => Promise<void>> {
  const file = process.env.BENCH_HEAP_PROFILE;
  if (!file) return async () => undefined;
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  await post('HeapProfiler.startSampling', { samplingInterval: 64 * 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return async () => {
    const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    process.stderr.write(`allocation profile: ${file}\n`);
  };
}

/** Heap in use after a full GC; needs --expose-gc (run.ts passes it), else null. */
function heapAfterGc(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  gc();
  return process.memoryUsage().heapUsed / MB;
}

/** The run itself, with what is measured while it runs (time, CPU, memory, child processes). */
async function measuredRun(modules: number, shape: SyntheticShape) {
  spawns.reset(); // the raw-git baseline's process, started just before
  const repo = tempRepo();
  const sampler = memorySampler();
  const stopProfile = await startAllocationProfile();
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  let modelCpuMs: number | undefined;
  const handle = await startRun({
    repoRoot: repo,
    description: syntheticDescription(modules, shape),
    offline: true,
    offlineModel: () => startScriptedModelProcess(LATENCY_MS, (ms) => (modelCpuMs = ms)),
    gate: async () => ({ decision: 'approve' }),
    approver: 'bench',
  });
  const label = `${modules}-${shape}`;
  let passed = 0;
  handle.onEvent((e) => {
    if (e.type === 'module-status' && e.status === 'passed' && ++passed === Math.ceil(modules / 2)) heapSnapshot(`${label}-half-passed`);
    if (e.type === 'stage-ended' && e.stage === 'build') heapSnapshot(`${label}-build-ended`);
  });
  const result = await handle.done;
  const wallMs = Date.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  // The git host starts with the run's first git call and serves this run alone (the raw-git baseline runs elsewhere).
  const gitHostCpuMs = cpuMsOfProcess(gitHostPid());
  // The run's own processes only: the baselines measured around and after it (raw git, each module's
  // tests once more) start their own, which once made up two thirds of the event-loop time this figure printed.
  const spawned = structuredClone(spawns.summary());
  const gitStarts = structuredClone(gitHostStarts);
  const memory: MemoryFigures = { ...sampler.stop(), heapAfterRunMb: heapAfterGc() };
  heapSnapshot(`${label}-run-ended`);
  await stopProfile();
  if (result.status !== 'succeeded') throw new Error(`bench run ${modules}/${shape} ended ${result.status}: ${result.state.haltReason}`);
  return { repo, state: result.state, wallMs, cpu, gitHostCpuMs, spawned, gitStarts, memory, modelCpuMs };
}

export async function runCase(modules: number, shape: SyntheticShape): Promise<CaseFigures> {
  const planned = syntheticPlan(modules, shape).modules.map((m) => ({ name: m.name, dependsOn: m.dependsOn }));
  // Two baseline runs on each side of the case up to 64 modules (seconds each), one at 200 (minutes).
  const { result: run, raw } = await rawGitAround(planned, modules <= 64 ? 2 : 1, () => measuredRun(modules, shape));
  const { repo, state, wallMs, cpu, spawned, gitStarts, memory, modelCpuMs, gitHostCpuMs } = run;
  const journal = readJournal(path.join(state.runDir, 'journal.jsonl'));
  const contracts = JSON.parse(fs.readFileSync(path.join(state.runDir, 'worktrees/integration/.orchestration/contracts/modules.json'), 'utf8')) as {
    modules: Array<{ name: string; depends_on: string[] }>;
    build_order: string[];
  };
  const agents = callsByAgent(journal);
  const moduleOf = new Map([...agents].map(([id, a]) => [id, a.module]));
  // The bench's modules are Node modules: their tests run with the module's test command, or with
  // `node --test` on the test file when that command runs none of them (what the agents check for).
  const config = defaultConfig();
  const manifest = ModulesManifestSchema.parse(contracts);
  const tests = testMsByModule(journal, moduleOf, (module, command) => command === moduleTestCommandFor(config, manifest, module) || command.startsWith('node --test '));
  const install = journal.map((e) => (e.type === 'log' ? /^install `.*` exited 0 in (\d+) ms$/.exec(e.message) : null)).find(Boolean);
  const writes = journal
    .map((e) => (e.type === 'log' ? /^run files written: state (\d+) bytes/.exec(e.message) : null))
    .find(Boolean);
  const assembly = (state as RunState & { assembly?: { testProcesses: number; testMs?: number; fullSuiteMs?: number } }).assembly;
  const assemblyTestProcesses = assembly?.testProcesses ?? journal.filter((e) => e.type === 'merge' && e.tests !== 'not-run').length;

  const journalBytes = fs.statSync(path.join(state.runDir, 'journal.jsonl')).size;
  const order = contracts.build_order.map((n) => contracts.modules.find((m) => m.name === n)!);
  // The baseline ran the synthetic plan's DAG: it must be the one the architect's contracts built.
  const built = JSON.stringify(order.map((m) => [m.name, [...m.depends_on].sort()]));
  if (built !== JSON.stringify(planned.map((m) => [m.name, [...m.dependsOn].sort()]))) {
    throw new Error(`bench run ${modules}/${shape}: the contracts' modules and build order differ from the synthetic plan the raw-git baseline ran`);
  }

  // Audit workers run in waves of their tier's limit, coordinators all at once (src/core/audit/fanout.ts).
  // The bench runs with the defaults, as a user's first run does (config, above).
  // A module's calls by the tier they ran on: its builder's on the module's tier, its QC's on QC's,
  // each tier with slots of its own (the architect gives modules different tiers).
  const tierOf = new Map(Object.entries(config.tierModels).map(([tier, model]) => [model, tier]));
  const modelCalls = new Map<string, Record<string, number>>();
  const stageAgents: StageAgent[] = [];
  for (const a of agents.values()) {
    if (!a.module) {
      stageAgents.push(a);
      continue;
    }
    const tier = (a.model && tierOf.get(a.model)) || 'unknown';
    const calls = modelCalls.get(a.module) ?? {};
    calls[tier] = (calls[tier] ?? 0) + a.calls;
    modelCalls.set(a.module, calls);
  }
  const sequentialMs = sequentialModelMs(stageAgents, LATENCY_MS, { 'audit-worker': config.waveLimits[config.roleTiers.auditWorker], 'audit-coordinator': Infinity });
  // Each module's tests measured once more, alone, for their CPU time; its agents ran them runsOf times.
  const integration = path.join(state.runDir, 'worktrees/integration');
  const testCpuMs = new Map(contracts.modules.map((m) => [m.name, cpuMsOf(moduleTestCommandFor(config, manifest, m.name), integration)]));
  const commands = projectCommands(config, manifest);
  const projectTestCpuMs = commands.projectTest ? cpuMsOf(commands.projectTest, integration) : 0;
  const fullSuiteCpuMs = cpuMsOf(commands.integrationTest, integration);
  // The ship stage runs the full suite once more on the release commit (stages/shipChecks.ts).
  const shipSuiteRuns = readShipChecks(state.runDir) ? 1 : 0;
  // BENCH_KEEP_RUN=1 keeps the case's repository and run folder (journal, state) for a look afterwards.
  if (process.env.BENCH_KEEP_RUN) process.stderr.write(`kept: ${repo} (run folder ${state.runDir})\n`);
  else fs.rmSync(repo, { recursive: true, force: true });
  const work: ModuleWork[] = contracts.modules.map((m) => ({
    name: m.name,
    dependsOn: m.depends_on,
    modelMs: Object.values(modelCalls.get(m.name) ?? {}).reduce((n, c) => n + c, 0) * LATENCY_MS,
    modelMsByTier: Object.fromEntries(Object.entries(modelCalls.get(m.name) ?? {}).map(([tier, c]) => [tier, c * LATENCY_MS])),
    cpuMs: (testCpuMs.get(m.name) ?? 0) * (tests.runsOf.get(m.name) ?? 0) + (raw.perModuleMs[m.name] ?? 0),
  }));
  // An agent on a model the config does not name ('unknown') is counted as if it had a single slot.
  const limit = { ...config.waveLimits };
  const ideal = idealBound(work, sequentialMs, limit);
  // Besides the modules' own work: the install (before the build), the full suite on the final
  // head (after it) and the ship checks' full suite cannot overlap anything; assembly's other tests
  // (each module's own and the project-level ones after its merge) run alongside the build. All as
  // CPU time, as above.
  const fullSuiteRuns = (assembly as { fullSuiteRuns?: number } | undefined)?.fullSuiteRuns ?? 1;
  // A final-head suite run ahead and used ran while its module was in QC, beside the build (assembly/finalSuiteAhead.ts).
  const usedAhead = journal.filter((e) => e.type === 'log' && /^assembly: the merge of .* is the tree its full suite ran on while it was in QC/.test(e.message)).length;
  const sequentialCpuMs = (install ? Number(install[1]) : 0) + fullSuiteCpuMs * (fullSuiteRuns - usedAhead + shipSuiteRuns);
  const aheadCpuMs = fullSuiteCpuMs * usedAhead;
  const sharedCpuMs = [...testCpuMs.values()].reduce((n, ms) => n + ms + projectTestCpuMs, 0) + aheadCpuMs;
  const floor = floorBound(work, sequentialMs, limit, os.cpus().length, sequentialCpuMs, sharedCpuMs);
  const inHost = Object.values(gitStarts).reduce((n, t) => ({ count: n.count + t.count, spawnMs: n.spawnMs + t.spawnMs }), { count: 0, spawnMs: 0 });
  // One list by command: the engine's own starts, and git's from the git host (which starts them; the engine's event loop does not wait on them).
  const byCommand: Record<string, SpawnTally> = { ...spawned.byCommand };
  for (const [cmd, t] of Object.entries(gitStarts)) byCommand[`${cmd} (git host)`] = { count: t.count, syncMs: 0, maxSyncMs: 0 };
  const topCommands = Object.entries(byCommand).sort((a, b) => b[1].count - a[1].count);
  if (process.env.BENCH_SPAWN_LOG) fs.writeFileSync(process.env.BENCH_SPAWN_LOG, JSON.stringify({ ...spawned, gitHost: gitStarts }, null, 2));
  const buildMs = stageMs(state, 'build');
  return {
    name: `${modules} modules, ${shape}`,
    modules,
    wallMs,
    idealMs: ideal.totalMs,
    ratio: wallMs / ideal.totalMs,
    buildWallMs: buildMs,
    buildIdealMs: ideal.buildMs,
    assembleWallMs: stageMs(state, 'assemble'),
    assemblyTestProcesses,
    agentTestRuns: tests.runs,
    rawGitMs: raw.totalMs,
    rawGitRunsMs: raw.runsMs,
    rawGitBeforeMs: raw.beforeMs,
    rawGitAfterMs: raw.afterMs,
    engineNonModelMs: wallMs - ideal.totalMs,
    engineRawRatio: (wallMs - ideal.totalMs) / Math.max(1, raw.totalMs),
    buildNonModelMs: buildMs - ideal.buildMs,
    buildRawRatio: (buildMs - ideal.buildMs) / Math.max(1, raw.totalMs),
    floorMs: floor.totalMs,
    floorRatio: wallMs / floor.totalMs,
    calls: [...agents.values()].reduce((n, a) => n + a.calls, 0),
    peakRssMb: memory.peakRssMb,
    memory,
    stateBytesPerModule: writes ? perModule(Number(writes[1]), modules) : null,
    journalBytesPerModule: perModule(journalBytes, modules),
    installMs: install ? Number(install[1]) : null,
    cacheShare: cacheShare(state.usage),
    cacheShareByRole: cacheShareByRole(state),
    childProcesses: spawned.total.count + inHost.count,
    spawnSyncMs: spawned.total.syncMs,
    gitHostProcesses: inHost.count,
    gitHostSpawnMs: inHost.spawnMs,
    topCommands: topCommands.slice(0, 8),
    buildTimeline: buildTimeline(journal, new Map(contracts.modules.map((m) => [m.name, m.depends_on]))),
    engineCpuMs: (cpu.user + cpu.system) / 1000,
    modelCpuMs: modelCpuMs ?? null,
    gitHostCpuMs: gitHostCpuMs ?? null,
  };
}

if (require.main === module) {
  runCase(Number(process.argv[2]), process.argv[3] as SyntheticShape).then(
    (f) => {
      process.stdout.write(`\nBENCH-CASE ${JSON.stringify(f)}\n`);
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
