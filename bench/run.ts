/**
 * `npm run bench`: the synthetic project at 8 and 32 modules (and 200 with `--large` or
 * BENCH_LARGE=1; BENCH_CASES picks cases), every model call delayed by a fixed latency, default wave limits. Each case runs in
 * a process of its own with the scripted model in another (case.ts), so peak RSS is the engine's.
 * Prints wall time against the model-only ideal and against this machine's floor (measured test and
 * git time added, cores counted), the build stage against its ideal, assembly time and test work, the
 * raw-git baseline and the engine's non-model time against it, peak RSS, bytes written per module
 * to the run state and the journal, and the cache share of input tokens. Figures, not assertions.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { defaultConfig } from '../src/core/config';
import { ENGINE_NODE_FLAGS, missingEngineEnv, missingNodeFlags } from '../src/core/engineNodeFlags';
import { dependencyLine, measureDependencyProvisioning } from './dependencies';
import { LATENCY_MS, type CaseFigures } from './case';
import type { BuildTimeline } from './buildTimeline';
import { breakdownLine } from './smaps';
import { rawGitSides } from './rawGit';

const LARGE = process.argv.includes('--large') || process.env.BENCH_LARGE === '1';
type BenchCase = { modules: number; shape: 'diamond' | 'wide' };
const DEFAULT_CASES: BenchCase[] = [
  { modules: 8, shape: 'diamond' },
  { modules: 32, shape: 'diamond' },
  { modules: 32, shape: 'wide' },
  ...(LARGE ? [{ modules: 200, shape: 'diamond' as const }, { modules: 200, shape: 'wide' as const }] : []),
];

/**
 * `BENCH_CASES=200/diamond,8/wide` runs just those cases, in that order (a 200-module case alone
 * takes tens of minutes on a loaded machine). Anything else in it is a usage error, not a silent default.
 */
export function parseBenchCases(spec: string | undefined): BenchCase[] | undefined {
  if (spec === undefined || spec.trim() === '') return undefined;
  return spec.split(',').map((part) => {
    const m = /^\s*(\d+)\/(diamond|wide)\s*$/.exec(part);
    const modules = m ? Number(m[1]) : NaN;
    if (!m || modules < 1 || modules > 500) throw new Error(`BENCH_CASES: "${part}" is not <modules 1-500>/<diamond|wide>, e.g. BENCH_CASES=200/diamond,8/wide`);
    return { modules, shape: m[2] as BenchCase['shape'] };
  });
}

/**
 * The engine's process runs with the product's V8 flags (ENGINE_NODE_FLAGS, as VS Code's engine
 * process and the CLI have them), so its peak RSS is the product's. BENCH_NODE_FLAGS="..." passes
 * more, or other values of the same flags (e.g. `--max-semi-space-size=64` to see that flag's effect).
 */
const EXTRA_NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
const NODE_FLAGS = [...missingNodeFlags(ENGINE_NODE_FLAGS, EXTRA_NODE_FLAGS, undefined), ...EXTRA_NODE_FLAGS];
/**
 * And with the product's environment (ENGINE_ENV). A value set for the bench is passed on instead
 * (MALLOC_ARENA_MAX=16 is glibc's own limit on 2 cores: the arenas as they were before ENGINE_ENV).
 */
const CASE_ENV: NodeJS.ProcessEnv = { ...process.env, ...missingEngineEnv(process.env) };

function runCaseProcess(modules: number, shape: string): Promise<CaseFigures> {
  return new Promise((resolve, reject) => {
    // --expose-gc: the case measures the heap its run still holds after a full GC.
    const child = spawn(process.execPath, ['--expose-gc', ...NODE_FLAGS, path.join(__dirname, 'case.js'), String(modules), shape], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: CASE_ENV,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH-CASE '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('BENCH-CASE '.length)) as CaseFigures);
      else reject(new Error(`bench case ${modules}/${shape} exited ${code}:\n${out.slice(-2000)}`));
    });
  });
}

/** The git host's memory beside the engine's: its own (anonymous) memory is what it adds; the rest is the shared Node binary. */
function gitHostLine(h: CaseFigures['memory']['gitHost']): string {
  if (!h) return '';
  return `, git host process ${mb(h.peakRssMb)} RSS of which ${mb(h.peakPrivateMb)} its own, engine RSS + the host's own at most ${mb(h.peakWithEngineMb)}`;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (x: number) => `${x.toFixed(0)} MB`;
const pct = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 100)}%`);

const ms = (x: number) => `${Math.round(x)} ms`;


/** The engine's steps on each module's path, and the build's time with no module agent running. */
function timelineLine(t: BuildTimeline): string {
  const step = (name: string, f: BuildTimeline['readyToWorktree']) => `${name} ${ms(f.meanMs)} / ${ms(f.maxMs)} (${f.maxModule})`;
  return [
    step('ready → worktree', t.readyToWorktree),
    step('worktree → builder', t.worktreeToBuilder),
    step('builder → QC', t.builderToQc),
    step('QC → passed', t.qcToPassed),
    `no module agent running ${s(t.idleMs)}, ${t.meanAgents.toFixed(1)} running on average`,
  ].join('; ');
}

function print(f: CaseFigures): void {
  const pad = ''.padEnd(22);
  console.log(
    `${f.name.padEnd(22)} wall ${s(f.wallMs).padStart(8)}   ideal ${s(f.idealMs).padStart(7)}   ratio ${f.ratio.toFixed(2)}   ` +
      `floor (${os.cpus().length} cores) ${s(f.floorMs)}, ratio ${f.floorRatio.toFixed(2)}   calls ${f.calls}\n` +
      `${pad} build stage ${s(f.buildWallMs)} vs ideal ${s(f.buildIdealMs)} (ratio ${(f.buildWallMs / f.buildIdealMs).toFixed(2)})   ` +
      `assembly ${s(f.assembleWallMs)}, ${f.assemblyTestProcesses} test processes (${(f.assemblyTestProcesses / f.modules).toFixed(2)} per module); agents ran ${f.agentTestRuns} test commands\n` +
      `${pad} raw git ${s(f.rawGitMs)}${rawGitSides(f.rawGitBeforeMs, f.rawGitAfterMs)}; engine non-model time ${s(f.engineNonModelMs)} = ${f.engineRawRatio.toFixed(1)}× raw git, ` +
      `of the build stage ${s(f.buildNonModelMs)} = ${f.buildRawRatio.toFixed(2)}× raw git   ` +
      `peak RSS ${f.peakRssMb.toFixed(0)} MB (engine process)${gitHostLine(f.memory.gitHost)}   install ${f.installMs ?? '-'} ms (once)\n` +
      `${pad} memory: peak RSS ${mb(f.memory.peakRssMb)}; at the highest sampled RSS (${mb(f.memory.atPeak.rssMb)}) heap used ${mb(f.memory.atPeak.heapUsedMb)} of ${mb(f.memory.atPeak.heapTotalMb)} ` +
      `(young generation ${mb(f.memory.atPeak.youngGenMb)}, old ${mb(f.memory.atPeak.oldGenMb)}), outside the heap ${mb(f.memory.atPeak.rssMb - f.memory.atPeak.heapTotalMb)} ` +
      `(external ${mb(f.memory.atPeak.externalMb)}, array buffers ${mb(f.memory.atPeak.arrayBuffersMb)}); peak heap used ${mb(f.memory.peakHeapUsedMb)}, ` +
      `live after a full GC at most ${mb(f.memory.peakLiveHeapMb)}; heap used after the run (after GC) ${f.memory.heapAfterRunMb === null ? 'n/a' : mb(f.memory.heapAfterRunMb)}\n` +
      (f.memory.composition ? `${pad} RSS by kind at its highest 5-s sample: ${breakdownLine(f.memory.composition)}\n` : '') +
      `${pad} written per module: state ${f.stateBytesPerModule === null ? 'n/a' : `${Math.round(f.stateBytesPerModule)} B`}, journal ${Math.round(f.journalBytesPerModule)} B   ` +
      `cache share of input ${pct(f.cacheShare)} (${Object.entries(f.cacheShareByRole).map(([role, share]) => `${role} ${pct(share)}`).join(', ')})\n` +
      `${pad} CPU over the run: the engine's process ${s(f.engineCpuMs)}, its git host's ${f.gitHostCpuMs === null ? 'n/a' : s(f.gitHostCpuMs)}, the scripted model's process ${f.modelCpuMs === null ? 'n/a' : s(f.modelCpuMs)} (CPU the real API would not take from this machine)\n` +
      `${pad} child processes ${f.childProcesses} (${(f.childProcesses / f.modules).toFixed(1)} per module; ${f.gitHostProcesses} git started by the git host process), ` +
      `starts on the event loop held it ${s(f.spawnSyncMs)}; ` +
      `most: ${f.topCommands.map(([cmd, t]) => `${cmd} ${t.count}`).join(', ')}` +
      (f.buildTimeline ? `\n${pad} build steps (mean / max): ${timelineLine(f.buildTimeline)}` : '') +
      (f.buildTimeline?.chain ? `\n${pad} ${chainLine(f.buildTimeline.chain, f.rawGitMs)}` : ''),
  );
}

/** The critical chain split into model, agents' tools and the engine; the engine's part against raw git. */
function chainLine(c: NonNullable<BuildTimeline['chain']>, rawGitMs: number): string {
  return (
    `critical chain (${c.modules} modules, ${s(c.windowMs)}): model calls ${s(c.modelMs)}, agents' tools (tests) ${s(c.toolMs)}, ` +
    `engine ${s(c.engineMs)} = ${(c.engineMs / Math.max(1, rawGitMs)).toFixed(2)}× raw git ` +
    `(of it, worktree → builder start ${s(c.builderWaitMs)}: waits for a wave-limit slot; the rest ${s(c.engineMs - c.builderWaitMs)} = ${((c.engineMs - c.builderWaitMs) / Math.max(1, rawGitMs)).toFixed(2)}× raw git); ` +
    `after the last pass ${s(c.tailMs)} (its merge, the full suite on the final head)`
  );
}

async function main(): Promise<void> {
  console.log(
    `Build Pipeline benchmark — scripted model latency ${LATENCY_MS} ms per call (own process), wave limits ${JSON.stringify(defaultConfig().waveLimits)}, ` +
      `${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join('/')}, node ${process.version}${NODE_FLAGS.length ? ` ${NODE_FLAGS.join(' ')}` : ''}` +
      `, MALLOC_ARENA_MAX=${CASE_ENV.MALLOC_ARENA_MAX ?? '(unset)'}` +
      `${LARGE ? '' : ' (200-module cases: --large)'}\n`,
  );
  const rows: CaseFigures[] = [];
  const chosen = parseBenchCases(process.env.BENCH_CASES);
  for (const c of chosen ?? DEFAULT_CASES) {
    const f = await runCaseProcess(c.modules, c.shape);
    rows.push(f);
    print(f);
  }
  // Chosen cases only: the dependency-provisioning figures are left out (they do not change with the case).
  const dependencies = chosen ? undefined : await measureDependencyProvisioning();
  if (dependencies) console.log(`\n${dependencyLine(dependencies)}`);
  fs.mkdirSync('bench-results', { recursive: true });
  fs.writeFileSync(path.join('bench-results', `bench-${Date.now()}.json`), JSON.stringify({ latencyMs: LATENCY_MS, load: os.loadavg(), rows, dependencies }, null, 2));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
