/**
 * `npm run bench:assembly`: assembly's own figures for one synthetic project, run once per setting:
 * assembly after the whole build vs streaming into it, and the speculative merge queue at depth 1
 * and 2 (`assemblyQueueDepth`). Prints wall time, the assembly stage's time, the tail (how long the
 * run went on after the build stage ended) and assembly test work (test processes, full-suite runs).
 * Figures, not assertions: one run each on a shared machine. BENCH_MODULES / BENCH_SHAPE choose the project.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startRun } from '../src/core/engine';
import type { PipelineConfig } from '../src/core/config';
import type { RunState } from '../src/core/contracts/schemas';
import { startScriptedModel, syntheticDescription } from '../src/scripted';
import type { SyntheticShape } from '../src/scripted/types';

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 150);
const MODULES = Number(process.env.BENCH_MODULES ?? 8);
const SHAPE = (process.env.BENCH_SHAPE ?? 'diamond') as SyntheticShape;

const SETTINGS: Array<{ name: string; config: Partial<PipelineConfig> }> = [
  { name: 'after the build, depth 1', config: { streamAssembly: false, assemblyQueueDepth: 1 } },
  { name: 'streaming, depth 1', config: { streamAssembly: true, assemblyQueueDepth: 1 } },
  { name: 'streaming, depth 2', config: { streamAssembly: true, assemblyQueueDepth: 2 } },
  { name: 'after the build, depth 2', config: { streamAssembly: false, assemblyQueueDepth: 2 } },
];

function tempRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-bench-assembly-'));
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(dir, 'README.md'), '# bench\n');
  git('add', '.');
  git('-c', 'user.name=bench', '-c', 'user.email=b@x.invalid', 'commit', '-q', '-m', 'init');
  return dir;
}

function at(state: RunState, id: string, end: 'startedAt' | 'endedAt'): number {
  const v = state.stages.find((s) => s.id === id)?.[end];
  return v ? Date.parse(v) : NaN;
}

async function runSetting(config: Partial<PipelineConfig>): Promise<string> {
  const repo = tempRepo();
  const started = Date.now();
  const handle = await startRun({
    repoRoot: repo,
    description: syntheticDescription(MODULES, SHAPE),
    offline: true,
    offlineModel: () => startScriptedModel({ latencyMs: LATENCY_MS }),
    gate: async () => ({ decision: 'approve' }),
    approver: 'bench',
    config: { ...config, stopAfter: 'assemble' },
  });
  const result = await handle.done;
  const wall = Date.now() - started;
  fs.rmSync(repo, { recursive: true, force: true });
  if (result.status !== 'succeeded') return `ended ${result.status}: ${result.state.haltReason}`;
  const s = result.state;
  const assembly = at(s, 'assemble', 'endedAt') - at(s, 'assemble', 'startedAt');
  const tail = at(s, 'assemble', 'endedAt') - at(s, 'build', 'endedAt');
  return (
    `wall ${(wall / 1000).toFixed(1)} s   assembly stage ${(assembly / 1000).toFixed(1)} s   after the build ${(tail / 1000).toFixed(1)} s   ` +
    `test processes ${s.assembly?.testProcesses ?? 0} (full suite ${s.assembly?.fullSuiteRuns ?? 0})`
  );
}

async function main(): Promise<void> {
  console.log(`Assembly benchmark — ${MODULES} modules, ${SHAPE}, scripted model latency ${LATENCY_MS} ms, ${os.cpus().length} cores, node ${process.version}\n`);
  for (const setting of SETTINGS) console.log(`${setting.name.padEnd(26)} ${await runSetting(setting.config)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
