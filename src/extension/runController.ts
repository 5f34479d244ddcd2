/**
 * Holds the current run (a RunHandle from the engine, or the last run's state read from disk) and fans
 * its events out to the tree models, the log, the status bar and the worktree folders. It sets the
 * context keys the menus hang off. No pipeline logic: every decision is the engine's.
 */
import * as vscode from 'vscode';
import type { RunHandle, RunResult } from '../core/api';
import type { RunState } from '../core/contracts/schemas';
import { Emitter, type PipelineEvent } from '../core/events';
import { CostTracker } from './models/costTracker';
import { describeEvent } from './models/eventText';
import { LocksModel } from './models/locksModel';
import { ModulesModel } from './models/modulesModel';
import { RefreshCoalescer } from './models/refreshCoalescer';
import { RunningStages } from './models/runningStages';
import { StagesModel } from './models/stagesModel';
import { Disposable } from './lifecycle';
import type { GatePrompter } from './gates';
import type { RunStatusBar } from './statusBar';
import type { WorktreeFolders } from './worktreeFolders';
import { timing } from './diagnostics/timingLog';
import { startCpuProfile, stopCpuProfile } from './diagnostics/cpuProfile';
import { lostRunEnd } from './models/lostRun';
import { EngineProcessGoneError } from './engineProcess/client';

/** Events after which the contracts on disk may have changed. */
const CONTRACT_EVENTS = new Set<PipelineEvent['type']>(['stage-ended', 'gate-waiting', 'gate-decided', 'contracts-changed', 'run-ended']);

export class RunController extends Disposable {
  readonly stages = new StagesModel();
  readonly modules = new ModulesModel();
  readonly locks = new LocksModel();
  private costs = new CostTracker();
  private handle: RunHandle | undefined;
  private handleSubscription: { dispose(): void } | undefined;
  private shown: RunState | undefined;
  /** Every stage running now: build and assembly run at once when assembly streams into the build. */
  readonly running = new RunningStages();
  private readonly changed = this._register(new Emitter<void>());
  /** Usage events arrive once per agent turn: the status bar and context keys follow them at most once per interval. */
  private readonly contextRefresh = new RefreshCoalescer(() => void this.refreshContext());
  /** Fires when the run, its stage, its cost or its gate changed (for views' descriptions and the status bar). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly gates: GatePrompter,
    private readonly statusBar: RunStatusBar,
    private readonly folders: WorktreeFolders,
  ) {
    super();
    this._register(gates.onDidChange(() => this.refreshContext()));
    this._register({ dispose: () => this.handleSubscription?.dispose() });
    this._register({ dispose: () => this.contextRefresh.dispose() });
    void this.refreshContext();
  }

  get active(): RunHandle | undefined {
    return this.handle;
  }

  /** The run on screen: the active one's state, or the last one shown from disk. */
  get runState(): RunState | undefined {
    return this.handle?.state() ?? this.shown;
  }

  get isDemo(): boolean {
    return this.runState?.offline ?? false;
  }

  get costUsd(): number {
    return this.costs.totalUsd;
  }

  /** Shows a run that is not running in this window (the last one, or one the user picked). */
  show(state: RunState): void {
    if (this.handle) return;
    this.shown = state;
    this.loadState(state);
  }

  attach(handle: RunHandle): Promise<RunResult> {
    this.handleSubscription?.dispose();
    this.handle = handle;
    this.shown = undefined;
    const state = handle.state();
    this.loadState(state);
    this.log.info(`Attached to run ${handle.runId}${state.offline ? ' (offline demo, scripted model)' : ''} in ${handle.runDir}`);
    this.handleSubscription = handle.onEvent((e) => this.onEvent(e));
    startCpuProfile();
    return handle.done.then(
      (result) => {
        this.detach(handle, result.state);
        return result;
      },
      (err: unknown) => {
        // The engine process is gone without ending the run: end it in the views as a halt.
        if (this.handle === handle) {
          // The client's own message says the process ended and to resume; an error the engine reported is said as such.
          const message = err instanceof Error ? err.message : String(err);
          const reason = err instanceof EngineProcessGoneError ? message : `the engine stopped with an error (${message}); resume the run to go on`;
          const lost = lostRunEnd(handle.state(), reason);
          for (const e of lost.events) this.onEvent(e);
          this.detach(handle, lost.state);
        }
        throw err;
      },
    );
  }

  private detach(handle: RunHandle, finalState: RunState | undefined): void {
    if (this.handle !== handle) return;
    this.handleSubscription?.dispose();
    this.handleSubscription = undefined;
    this.handle = undefined;
    stopCpuProfile();
    timing.flush();
    this.shown = finalState ?? handle.state();
    this.locks.reload(handle.runDir);
    void this.refreshContext();
  }

  private loadState(state: RunState): void {
    this.costs = new CostTracker();
    this.costs.seed(state.usage);
    this.stages.loadState(state);
    this.modules.loadState(state);
    this.running.seed(state);
    this.locks.reload(state.runDir);
    void this.refreshContext();
  }

  private onEvent(e: PipelineEvent): void {
    if (timing.enabled) timing.mark('event', e.type === 'module-status' ? { type: e.type, module: e.module, status: e.status } : { type: e.type });
    const cost = this.costs.observe(e);
    this.stages.apply(e, cost);
    this.modules.apply(e, cost);
    const line = describeEvent(e);
    this.log[line.level](line.text);
    const stagesChanged = this.running.apply(e);
    // The blueprint lists every module: show them all in one go rather than one redraw per module.
    if ((e.type === 'stage-started' || e.type === 'stage-ended') && this.handle) this.modules.addListed(this.handle.state());
    if (e.type === 'worktree-added' && e.module !== 'integration') this.folders.add(e.path, e.module);
    if (e.type === 'worktree-removed') this.folders.remove(e.path);
    if (CONTRACT_EVENTS.has(e.type) && this.handle) this.locks.reload(this.handle.runDir);
    if (stagesChanged || e.type === 'agent-usage' || e.type === 'gate-waiting' || e.type === 'run-ended') {
      this.contextRefresh.request();
    }
  }

  private async refreshContext(): Promise<void> {
    const state = this.runState;
    const gate = this.gates.waiting?.gate ?? this.stages.waitingGate?.gate;
    this.statusBar.update({
      active: !!this.handle,
      offline: state?.offline ?? false,
      stages: this.running.stages,
      costUsd: this.costs.totalUsd,
      gate: this.gates.waiting ? gate : undefined,
    });
    this.changed.fire();
    await Promise.all([
      vscode.commands.executeCommand('setContext', 'buildPipeline.runActive', !!this.handle),
      // Also a gate a stopped run left open (restored from disk): Approve Gate resumes the run, which asks it again.
      vscode.commands.executeCommand('setContext', 'buildPipeline.gateWaiting', !!this.gates.waiting || (!this.handle && state?.status === 'awaiting-approval')),
      vscode.commands.executeCommand('setContext', 'buildPipeline.hasRun', !!state),
      vscode.commands.executeCommand('setContext', 'buildPipeline.demo', state?.offline ?? false),
    ]);
  }
}
