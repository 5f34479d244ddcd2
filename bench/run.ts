/**
 * `npm run bench`: the synthetic project at 8 and 32 modules, every model call delayed by a fixed
 * latency, default wave limits. Prints wall time, the ideal time for that DAG under the wave limits
 * (critical-path and throughput bounds, from the calls each agent actually made), their ratio, the
 * engine's overhead per module, peak memory and the share of input tokens read from the prompt cache per role. Figures, not assertions: the machine is noisy.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startRun } from '../src/core/engine';
import { defaultConfig } from '../src/core/config';
import type { PipelineEvent } from '../src/core/events';
import type { RunState } from '../src/core/contracts/schemas';
import { startScriptedModel, syntheticDescription } from '../src/scripted';
import { cacheShareByRole } from '../src/core/run/report';
import type { SyntheticShape } from '../src/scripted/types';
import { dependencyLine, measureDependencyProvisioning } from './dependencies';

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 150);
const CASES: Array<{ modules: number; shape: SyntheticShape }> = [
  { modules: 8, shape: 'diamond' },
  { modules: 32, shape: 'diamond' },
  { modules: 32, shape: 'wide' },
];

interface Figures {
  name: string;
  wallMs: number;
  idealMs: number;
  /** Build stage (builders + QC, where the scheduler and wave limits act) against its own ideal. */
  buildWallMs: number;
  buildIdealMs: number;
  /** Assembly: sequential merges with tests after each (no model calls); it streams from the build, so it overlaps it. */
  assembleWallMs: number;
  /** Assembly test work: test processes run after merges (src/core/assembly/testSelection.ts), and how many were the full suite. */
  assemblyTestProcesses: number;
  assemblyFullSuiteRuns: number;
  ratio: number;
  overheadPerModuleMs: number;
  calls: number;
  peakRssMb: number;
  /** The toolchain's install command, once, in the integration worktree (from the journal's log line). */
  installMs: number | null;
  /** Per role: the share of input tokens read from the prompt cache (shared prefix + growing conversation). */
  cacheShareByRole: Record<string, number | null>;
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

/** Lower bound on wall time: sequential stages + max(critical path, total module work / wave limit). */
function idealMs(state: RunState, callsByAgent: Map<string, { calls: number; module?: string; role: string }>, limit: number): { total: number; build: number } {
  const perModule = new Map<string, number>();
  let sequentialCalls = 0;
  for (const a of callsByAgent.values()) {
    if (a.module) perModule.set(a.module, (perModule.get(a.module) ?? 0) + a.calls);
    else sequentialCalls += a.calls;
  }
  const deps = new Map<string, string[]>();
  const contracts = JSON.parse(fs.readFileSync(path.join(state.runDir, 'worktrees/integration/.orchestration/contracts/modules.json'), 'utf8')) as {
    modules: Array<{ name: string; depends_on: string[] }>;
  };
  for (const m of contracts.modules) deps.set(m.name, m.depends_on);
  const finish = new Map<string, number>();
  const finishOf = (m: string): number => {
    const hit = finish.get(m);
    if (hit !== undefined) return hit;
    const f = Math.max(0, ...(deps.get(m) ?? []).map(finishOf)) + (perModule.get(m) ?? 0);
    finish.set(m, f);
    return f;
  };
  const critical = Math.max(...contracts.modules.map((m) => finishOf(m.name)));
  const total = [...perModule.values()].reduce((a, b) => a + b, 0);
  const build = Math.max(critical, total / limit) * LATENCY_MS;
  return { total: sequentialCalls * LATENCY_MS + build, build };
}

function stageMs(state: RunState, id: string): number {
  const st = state.stages.find((s) => s.id === id);
  return st?.startedAt && st.endedAt ? Date.parse(st.endedAt) - Date.parse(st.startedAt) : 0;
}

async function runCase(modules: number, shape: SyntheticShape): Promise<Figures> {
  const repo = tempRepo();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const callsByAgent = new Map<string, { calls: number; module?: string; role: string }>();
  const started = Date.now();
  const handle = await startRun({
    repoRoot: repo,
    description: syntheticDescription(modules, shape),
    offline: true,
    offlineModel: () => startScriptedModel({ latencyMs: LATENCY_MS }),
    gate: async () => ({ decision: 'approve' }),
    approver: 'bench',
  });
  let installMs: number | null = null;
  handle.onEvent((e: PipelineEvent) => {
    const install = e.type === 'log' ? /^install `.*` exited 0 in (\d+) ms$/.exec(e.message) : null;
    if (install) installMs = Number(install[1]);
    if (e.type === 'agent-usage') {
      const a = callsByAgent.get(e.agentId) ?? { calls: 0, module: e.module, role: e.role };
      a.calls++;
      callsByAgent.set(e.agentId, a);
    }
  });
  const result = await handle.done;
  const wallMs = Date.now() - started;
  clearInterval(sampler);
  if (result.status !== 'succeeded') throw new Error(`bench run ${modules}/${shape} ended ${result.status}: ${result.state.haltReason}`);
  const limit = defaultConfig().waveLimits.sonnet;
  const ideal = idealMs(result.state, callsByAgent, limit);
  fs.rmSync(repo, { recursive: true, force: true });
  return {
    name: `${modules} modules, ${shape}`,
    wallMs,
    idealMs: ideal.total,
    buildWallMs: stageMs(result.state, 'build'),
    buildIdealMs: ideal.build,
    assembleWallMs: stageMs(result.state, 'assemble'),
    assemblyTestProcesses: result.state.assembly?.testProcesses ?? 0,
    assemblyFullSuiteRuns: result.state.assembly?.fullSuiteRuns ?? 0,
    ratio: wallMs / ideal.total,
    overheadPerModuleMs: (wallMs - ideal.total) / modules,
    calls: [...callsByAgent.values()].reduce((n, a) => n + a.calls, 0),
    peakRssMb: Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 1024 / 1024,
    installMs,
    cacheShareByRole: cacheShareByRole(result.state),
  };
}

async function main(): Promise<void> {
  console.log(`Build Pipeline benchmark — scripted model latency ${LATENCY_MS} ms per call, wave limits ${JSON.stringify(defaultConfig().waveLimits)}, ${os.cpus().length} cores, node ${process.version}\n`);
  const rows: Figures[] = [];
  for (const c of CASES) {
    const f = await runCase(c.modules, c.shape);
    rows.push(f);
    console.log(
      `${f.name.padEnd(22)} wall ${(f.wallMs / 1000).toFixed(1).padStart(6)} s   ideal ${(f.idealMs / 1000).toFixed(1).padStart(6)} s   ratio ${f.ratio.toFixed(2)}   ` +
        `overhead/module ${Math.round(f.overheadPerModuleMs).toString().padStart(5)} ms   calls ${f.calls}   peak RSS ${f.peakRssMb.toFixed(0)} MB\n` +
        `${''.padEnd(22)} build stage ${(f.buildWallMs / 1000).toFixed(1)} s vs ideal ${(f.buildIdealMs / 1000).toFixed(1)} s (ratio ${(f.buildWallMs / f.buildIdealMs).toFixed(2)})   ` +
        `assembly ${(f.assembleWallMs / 1000).toFixed(1)} s (${c.modules} merges, ${f.assemblyTestProcesses} test processes, ${f.assemblyFullSuiteRuns} of them the full suite)   ` +
        `install ${f.installMs ?? '-'} ms (once)\n` +
        `${''.padEnd(22)} input tokens read from cache: ${Object.entries(f.cacheShareByRole).map(([role, share]) => `${role} ${share === null ? 'n/a' : `${Math.round(share * 100)}%`}`).join(', ')}`,
    );
  }
  const dependencies = await measureDependencyProvisioning();
  console.log(`\n${dependencyLine(dependencies)}`);
  fs.mkdirSync('bench-results', { recursive: true });
  fs.writeFileSync(path.join('bench-results', `bench-${Date.now()}.json`), JSON.stringify({ latencyMs: LATENCY_MS, rows, dependencies }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
