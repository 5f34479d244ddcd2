/**
 * The engine's event stream. Tree views, the CLI renderer and the journal all subscribe the same
 * way, through an emitter shaped like `vscode.Event` (listener in, disposable out), so the engine
 * never needs to know who is watching.
 */
import type { GateDecision, ModuleStatus, QcVerdict, RunStatus, StageStatus, Usage } from './contracts/schemas';

export interface Disposable {
  dispose(): void;
}

export type Event<T> = (listener: (e: T) => void) => Disposable;

export class Emitter<T> {
  private listeners = new Set<(e: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(e: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(e);
      } catch {
        // A broken subscriber (a UI view, say) must never break the pipeline that feeds it.
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}

/**
 * An Emitter that keeps what is fired before anyone listens (up to `keep` events, the oldest dropped
 * beyond) and hands it to the first listener when it subscribes. Events crossing a process boundary
 * arrive in a burst with the message that returns the handle, and the caller subscribes only once its
 * own continuation runs: without this the run's first events (its start, with the sandbox warning)
 * were fired to nobody.
 */
export class BufferingEmitter<T> {
  private readonly inner = new Emitter<T>();
  private early: T[] | undefined = [];
  private disposed = false;

  constructor(private readonly keep = 1000) {}

  readonly event: Event<T> = (listener) => {
    const early = this.early;
    this.early = undefined;
    for (const e of early ?? []) {
      try {
        listener(e);
      } catch {
        // As in Emitter.fire: a broken subscriber never breaks the feed.
      }
    }
    return this.disposed ? { dispose: () => undefined } : this.inner.event(listener);
  };

  fire(e: T): void {
    if (this.disposed) return;
    if (!this.early) return this.inner.fire(e);
    this.early.push(e);
    if (this.early.length > this.keep) this.early.shift();
  }

  /**
   * Nothing more is fired; listeners are let go. What was kept for a first listener still goes to it:
   * a run can end within the very burst that started it, before anyone subscribed.
   */
  dispose(): void {
    this.disposed = true;
    this.inner.dispose();
  }
}

export type PipelineEvent =
  | { type: 'run-started'; runId: string; runDir: string; offline: boolean; description: string; shellsSandboxed?: boolean }
  | { type: 'run-ended'; runId: string; status: RunStatus; reason?: string }
  | { type: 'stage-started'; stage: string }
  | { type: 'stage-ended'; stage: string; status: StageStatus; detail?: string }
  | { type: 'gate-waiting'; gate: string; summary: string }
  | { type: 'gate-decided'; decision: GateDecision }
  | { type: 'module-status'; module: string; status: ModuleStatus; detail?: string }
  | { type: 'module-verdict'; module: string; verdict: QcVerdict; attempt: number; reportPath: string }
  /** `preparedAhead`: the module's worktree and merges were made while its last dependency was in QC. */
  | { type: 'worktree-added'; module: string; path: string; branch: string; preparedAhead?: true }
  | { type: 'worktree-removed'; module: string; path: string }
  | { type: 'merge'; module: string; result: 'clean' | 'auto-resolved' | 'conflict'; tests: 'pass' | 'fail' | 'not-run' }
  /** The contracts on the integration branch changed mid-stage (a contract conflict's approved resolution): locks and ADRs views reload. */
  | { type: 'contracts-changed'; reason: string }
  | { type: 'agent-started'; agentId: string; role: string; module?: string; model: string }
  | { type: 'agent-ended'; agentId: string; role: string; module?: string; ok: boolean; summary?: string }
  | { type: 'agent-usage'; agentId: string; role: string; module?: string; stage: string; usage: Usage }
  | { type: 'agent-retry'; agentId: string; attempt: number; reason: string; delayMs: number }
  | { type: 'tool-call'; agentId: string; tool: string; input: string }
  | { type: 'tool-result'; agentId: string; tool: string; isError: boolean; output: string }
  | { type: 'containment'; agentId: string; module?: string; detail: string }
  | { type: 'audit-worker'; id: string; domain: string; status: 'pending' | 'done' | 'missing' | 'unfinished'; findings: number }
  | { type: 'audit-synthesis'; domain: string; status: 'pending' | 'done' | 'failed'; summary: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };
