/**
 * The one place the extension binds to the engine's entry points. Everything else in the VS Code
 * layer receives an `EngineApi`, so the controller can be driven by a fake in tests and nothing but
 * this file changes if the engine's module layout does.
 */
import type { ResumeRunOptions, RunHandle, StartRunOptions } from '../core/api';
import type { RunState } from '../core/contracts/schemas';
import { resumeRun, startRun } from '../core/engine';
import { findUnfinishedRun, listRuns } from '../core/run/runs';

export interface EngineApi {
  startRun(opts: StartRunOptions): Promise<RunHandle>;
  resumeRun(opts: ResumeRunOptions): Promise<RunHandle>;
  listRuns(repoRoot: string): Promise<RunState[]>;
  findUnfinishedRun(repoRoot: string): Promise<RunState | undefined>;
}

export function loadEngine(): EngineApi {
  return { startRun, resumeRun, listRuns, findUnfinishedRun };
}
