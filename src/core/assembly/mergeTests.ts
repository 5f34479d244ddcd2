/**
 * Runs the tests a selection names (testSelection.ts) in the integration worktree, in order, and
 * stops at the first red one. Every command is one test process: the count goes into the run state
 * (`assembly.testProcesses`), which is the figure the bench prints as assembly test work.
 */
import { agentShellEnv } from '../agents/env';
import { runCommand } from '../shell';
import type { PipelineContext } from '../stages/context';
import type { TestRun } from './testSelection';

export interface TestsOutcome {
  ok: boolean;
  /** The run that went red (the last one that ran). */
  failed?: TestRun;
  /** 'exited with 1', 'timed out'. */
  outcome?: string;
  output: string;
  /** Wall time of the runs that ran. */
  durationMs: number;
}

/** `counted: false` leaves the runs out of assembly's test work; `signal` stops them besides the run's own. */
export interface TestRunOptions {
  counted?: boolean;
  signal?: AbortSignal;
}

/** A run ahead is counted by its caller once it is used (finalSuiteAhead.ts); it may be stopped alone. */
export async function runTests(ctx: PipelineContext, worktree: string, runs: readonly TestRun[], options: TestRunOptions = {}): Promise<TestsOutcome> {
  let durationMs = 0;
  for (const run of runs) {
    const result = await runCommand(run.command, worktree, agentShellEnv('engine'), ctx.config.testTimeoutMs, options.signal ?? ctx.signal, ctx.sandbox, { background: standsAside(ctx, run) });
    durationMs += result.durationMs;
    if (options.counted !== false) countTestProcess(ctx, run.kind === 'full', result.durationMs);
    if (result.exitCode !== 0) {
      return { ok: false, failed: run, outcome: result.timedOut ? 'timed out' : `exited with ${result.exitCode}`, output: result.output, durationMs };
    }
  }
  return { ok: true, output: '', durationMs };
}

/**
 * A merge's own tests run at a lower CPU priority while modules are still being built: assembly
 * streams beside the build, and when a layer of modules passes together their dependents' worktrees
 * and assembly's tests of the same modules want the 2 cores at once; the build is the run's critical
 * path, assembly catches up while the agents wait on the model. The full suite (the final head, a
 * fallback) and everything after the build run at the normal priority: then assembly is the path.
 */
export function standsAside(ctx: PipelineContext, run: TestRun): boolean {
  return run.kind !== 'full' && ctx.store.state.stages.some((s) => s.id === 'build' && s.status === 'running');
}

/** A final-head suite run ahead that finished (finalSuiteAhead.ts), counted apart from the runs above. */
export function countSuiteAhead(ctx: PipelineContext): void {
  ctx.store.update((s) => {
    s.assembly ??= { testProcesses: 0, fullSuiteRuns: 0 };
    s.assembly.fullSuitesAhead = (s.assembly.fullSuitesAhead ?? 0) + 1;
  });
}

export function countTestProcess(ctx: PipelineContext, full: boolean, ms: number): void {
  ctx.store.update((s) => {
    s.assembly ??= { testProcesses: 0, fullSuiteRuns: 0 };
    s.assembly.testProcesses++;
    s.assembly.testMs = (s.assembly.testMs ?? 0) + ms;
    if (full) {
      s.assembly.fullSuiteRuns++;
      s.assembly.fullSuiteMs = (s.assembly.fullSuiteMs ?? 0) + ms;
    }
  });
}
