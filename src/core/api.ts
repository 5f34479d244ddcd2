/**
 * The engine's public surface, shared by the CLI and the VS Code adapter. Everything a front end
 * needs goes through here: start or resume a run, watch its events, answer its gates, read state.
 */
import type { ConfigOverrides } from './config';
import type { RunState, RunStatus } from './contracts/schemas';
import type { Event, PipelineEvent } from './events';

export type GateId = 'blueprint' | 'ship';

export interface GateRequest {
  gate: GateId;
  runId: string;
  /** One line, e.g. "Blueprint ready: 2 modules, 2 ADRs, 2 locked decisions". */
  title: string;
  /** A few lines of detail for a prompt or a tooltip. */
  summary: string;
  counts?: { modules: number; adrs: number; lockedDecisions: number };
  /** A file worth opening before deciding (architecture.md for the blueprint gate). */
  openPath?: string;
}

export type GateAnswer =
  | { decision: 'approve' }
  | { decision: 'changes'; feedback: string }
  | { decision: 'reject'; reason?: string }
  /** Nobody can answer now (no TTY, window closing): the run stops as awaiting-approval and can be resumed. */
  | { decision: 'later' };

export type GateHandler = (request: GateRequest, signal: AbortSignal) => Promise<GateAnswer>;

/** What starting and resuming have in common: where, how to reach the model, who answers gates. */
export interface RunOptionsBase {
  repoRoot: string;
  /** Overrides of `.build-pipeline.json`, entry by entry (see ConfigOverrides). */
  config?: ConfigOverrides;
  /** Overrides ANTHROPIC_API_KEY from the environment (the extension passes its SecretStorage key). */
  apiKey?: string;
  gate: GateHandler;
  /** Who answers gates, recorded with each decision ("cli", "vscode", "--yes"). */
  approver?: string;
  /**
   * Offline only: starts the stand-in for the Messages API that the run talks to (the CLI and the
   * extension pass the built-in scripted model; tests pass it with a scenario). The engine does not
   * know the scripted model, so an offline run without this (and without `baseURL`) fails clearly.
   */
  offlineModel?: OfflineModelStarter;
  /** Talk to this Messages API endpoint instead of the default (an already running scripted model, a proxy). */
  baseURL?: string;
}

/** A running Messages API endpoint the engine may close when the run ends. */
export interface OfflineModel {
  url: string;
  close(): Promise<void>;
}

export type OfflineModelStarter = () => Promise<OfflineModel>;

export interface StartRunOptions extends RunOptionsBase {
  description: string;
  /** Use the built-in scripted model (no API key needed). */
  offline: boolean;
}

export interface ResumeRunOptions extends RunOptionsBase {
  runId: string;
  /** Defaults to how the run was started. */
  offline?: boolean;
}

export interface RunSummary {
  runId: string;
  status: RunStatus;
  reason?: string;
  modules: { name: string; status: string; verdict?: string; fixCycles: number }[];
  merges: number;
  retries: number;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number };
  /** Estimated from the tokens at the API's prices (src/core/pricing.ts); offline nothing is charged. */
  costUsd: number;
  /** Played by an offline stand-in (the scripted model): the cost is what the real API would have charged. */
  offline: boolean;
  /** Share of graded modules whose first QC verdict was PASS (null before any was graded). */
  firstAttemptPassRate: number | null;
  wallMs: number;
  /** False when agents' shells ran without the sandbox (the user turned it off). */
  shellsSandboxed: boolean;
}

export interface RunResult {
  status: RunStatus;
  state: RunState;
  summary: RunSummary;
}

export interface RunHandle {
  readonly runId: string;
  readonly runDir: string;
  readonly onEvent: Event<PipelineEvent>;
  /** Snapshot of the persisted state (as last written). */
  state(): RunState;
  /** Cancels every agent in flight and stops the run; the repository is left consistent. */
  cancel(reason?: string): void;
  readonly done: Promise<RunResult>;
}
