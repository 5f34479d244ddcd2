/**
 * The one place the extension binds to the engine's entry points. Everything else in the VS Code
 * layer receives an `EngineApi`, so the controller can be driven by a fake in tests and nothing but
 * this file changes if the engine's module layout does.
 */
import type { ResumeRunOptions, RunHandle, RunOptionsBase, StartRunOptions } from '../core/api';
import type { RunState } from '../core/contracts/schemas';
import { findUnfinishedRun, listRuns } from '../core/run/runs';

type EngineModule = typeof import('./engineBundle');
let engineModule: EngineModule | undefined;

/**
 * The engine bundle (dist/engine.js: the SDK, the agent toolset, the scripted model) is loaded on the
 * first start or resume, not at activation. Listing runs needs only the light run-directory code.
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
  startAudit(opts: StartRunOptions): Promise<RunHandle>;
  resumeRun(opts: ResumeRunOptions): Promise<RunHandle>;
  listRuns(repoRoot: string): Promise<RunState[]>;
  findUnfinishedRun(repoRoot: string): Promise<RunState | undefined>;
}

export function loadEngine(): EngineApi {
  return {
    startRun: (opts) => engine().startRun(withOfflineModel(opts)),
    startAudit: (opts) => engine().startAudit(withOfflineModel(opts)),
    resumeRun: (opts) => engine().resumeRun(withOfflineModel(opts)),
    listRuns,
    findUnfinishedRun,
  };
}

/** The offline demo's model: the built-in scripted model, started per run (used only when the run is offline). */
function withOfflineModel<T extends RunOptionsBase>(opts: T): T {
  return opts.offlineModel ? opts : { ...opts, offlineModel: () => engine().startScriptedModel({}) };
}
