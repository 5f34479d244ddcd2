/**
 * The one place the extension binds to the engine's entry points. Everything else in the VS Code
 * layer receives an `EngineApi`, so the controller can be driven by a fake in tests and nothing but
 * this file changes if the engine's module layout does.
 */
import type { ResumeRunOptions, RunHandle, StartRunOptions } from '../core/api';
import type { RunState } from '../core/contracts/schemas';
import { findUnfinishedRun, isRunActive, listRuns } from '../core/run/runs';
import { loadConfig } from '../core/config';
import { checkInEngineProcess, resumeInEngineProcess, startInEngineProcess } from './engineProcess/client';

type EngineModule = typeof import('./engineBundle');
let engineModule: EngineModule | undefined;

/**
 * The engine bundle (dist/engine.js: the SDK, the agent toolset, the scripted model) is loaded here only
 * for plans and teams; build and audit runs load it in their own engine process. Listing runs needs
 * only the light run-directory code.
 */
function engine(): EngineModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (engineModule ??= require('./engine.js') as EngineModule);
}

/** The plan and team entry points of the same lazily loaded bundle (src/extension/plans/). */
export function planEngine(): Pick<EngineModule, 'startImplement' | 'createPlan' | 'openModelSession' | 'startScriptedModel'> {
  return engine();
}

export interface EngineApi {
  startRun(opts: StartRunOptions): Promise<RunHandle>;
  /** What startRun checks before it creates anything (the preflight among it), without starting. */
  checkStart(opts: StartRunOptions): Promise<void>;
  startAudit(opts: StartRunOptions): Promise<RunHandle>;
  resumeRun(opts: ResumeRunOptions): Promise<RunHandle>;
  /** The repository's runs, in the runs folder its .build-pipeline.json names (runsDir) or the default one. */
  listRuns(repoRoot: string): Promise<RunState[]>;
  findUnfinishedRun(repoRoot: string): Promise<RunState | undefined>;
  /** Whether a process (the CLI, another window) drives the run now. */
  isRunActive(run: RunState): boolean;
}

/**
 * The runsDir of the repository's .build-pipeline.json. An unreadable file counts as none here: the
 * views list the default folder, and a start or resume reports the file's error itself.
 */
function configuredRunsDir(repoRoot: string): string | undefined {
  try {
    return loadConfig(repoRoot).runsDir;
  } catch {
    return undefined;
  }
}

export function loadEngine(): EngineApi {
  return {
    // Runs go to an engine process of their own (engineProcess/host.ts: why), which starts the
    // scripted model itself for the offline demo.
    startRun: (opts) => startInEngineProcess('build', opts),
    checkStart: (opts) => checkInEngineProcess(opts),
    startAudit: (opts) => startInEngineProcess('audit', opts),
    resumeRun: (opts) => resumeInEngineProcess(opts),
    listRuns: (repoRoot) => listRuns(repoRoot, configuredRunsDir(repoRoot)),
    findUnfinishedRun: (repoRoot) => findUnfinishedRun(repoRoot, configuredRunsDir(repoRoot)),
    isRunActive,
  };
}
