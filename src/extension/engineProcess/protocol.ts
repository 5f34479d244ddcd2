/**
 * The messages between the extension host and the engine's own process (host.ts). Everything that
 * crosses is data: run options without their functions, engine events, the run state, gate requests
 * and answers, the result, and errors by name and message (a PreflightError keeps its reason and
 * setting, which the extension turns into a button to the setting).
 */
import type { GateAnswer, GateRequest, ResumeRunOptions, RunResult, StartRunOptions } from '../../core/api';
import type { RunState } from '../../core/contracts/schemas';
import type { PipelineEvent } from '../../core/events';

/** The options a run starts with, minus what cannot cross a process boundary (the gate handler, the offline model starter, a clock). */
export type StartData = Omit<StartRunOptions, 'gate' | 'offlineModel' | 'clock'>;
export type ResumeData = Omit<ResumeRunOptions, 'gate' | 'offlineModel' | 'clock'>;

export type ToEngine =
  | { op: 'start'; mode: 'build' | 'audit'; options: StartData }
  /** Only what a start checks before it creates anything (engine.ts: checkStart); answered `checked` or `error`. */
  | { op: 'check'; options: StartData }
  | { op: 'resume'; options: ResumeData }
  | { op: 'cancel'; reason?: string }
  | { op: 'gate-answer'; id: number; answer: GateAnswer };

export interface ErrorData {
  name: string;
  message: string;
  stack?: string;
  reason?: string;
  setting?: { config: string; vscode: string };
}

export type FromEngine =
  | { kind: 'started'; runId: string; runDir: string; state: RunState }
  /** The start's checks passed (nothing was created). */
  | { kind: 'checked' }
  | { kind: 'state'; state: RunState }
  | { kind: 'event'; event: PipelineEvent }
  | { kind: 'gate'; id: number; request: GateRequest }
  /** The engine stopped waiting for that gate (its run was cancelled). */
  | { kind: 'gate-withdrawn'; id: number }
  | { kind: 'done'; result: RunResult }
  /** Before `started`: the start failed. After it: the run failed. */
  | { kind: 'error'; error: ErrorData };

export function errorData(e: unknown): ErrorData {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const extra = e as Error & { reason?: unknown; setting?: unknown };
  return {
    name: e.name,
    message: e.message,
    stack: e.stack,
    reason: typeof extra.reason === 'string' ? extra.reason : undefined,
    setting: extra.setting && typeof extra.setting === 'object' ? (extra.setting as ErrorData['setting']) : undefined,
  };
}

export function errorFromData(d: ErrorData): Error {
  const e = new Error(d.message) as Error & { reason?: string; setting?: ErrorData['setting'] };
  e.name = d.name;
  if (d.stack) e.stack = d.stack;
  if (d.reason !== undefined) e.reason = d.reason;
  if (d.setting !== undefined) e.setting = d.setting;
  return e;
}
