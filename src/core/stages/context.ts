/**
 * What every stage gets: the run's store (state + events), configuration, model client, wave
 * limiter, abort signal and gate handler. Stages are plain objects in a list (see pipeline.ts), so
 * the later stages (1b bootstrap, 5 harden, 6 ship, 7 curate) slot in without touching the others.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { GateHandler, GateId, GateRequest } from '../api';
import type { PipelineConfig } from '../config';
import type { ModelTier } from '../contracts/schemas';
import type { TierLimiter } from '../limiter';
import type { RunStore } from '../run/store';
import type { AgentRuntime } from '../agents/runAgent';
import type { LoadedContracts } from './contracts';
import type { MemoryStore } from '../memory/types';
import type { RunSandbox } from '../sandbox/runSandbox';
import type { RunMcp } from '../mcp/runMcp';

export interface PipelineContext {
  store: RunStore;
  config: PipelineConfig;
  client: Anthropic;
  limiter: TierLimiter;
  /** Aborted on cancel or FAIL-CRITICAL: every agent in flight stops. */
  signal: AbortSignal;
  /** Stops the whole run (FAIL-CRITICAL, user cancel). */
  abort(reason: string): void;
  repoRoot: string;
  gate: GateHandler;
  approver: string;
  /** Contracts as committed on the integration branch; loaded after the architect stage. */
  contracts(): LoadedContracts;
  /** Reads and validates the contracts from the integration worktree again (after the architect wrote them). */
  reloadContracts(): Promise<LoadedContracts>;
  runtime(): AgentRuntime;
  /** L2/L3 memory of the run (see src/core/memory). */
  memory: MemoryStore;
  /** Injectable clock for time-based curation (pair expiry); default: the system clock. */
  clock?: () => Date;
  /** Where every shell of the run is confined (src/core/sandbox); UNSANDBOXED only by the user's choice. */
  sandbox: RunSandbox;
  /** The run's MCP servers; `toolsFor(role)` gives a role the tools `mcpAccess` allows it. */
  mcp: RunMcp;
  modelFor(tier: ModelTier): string;
}

export type StageResult =
  | { status: 'done'; detail?: string }
  /** `upstream`: the stage stopped only because the stage it streams from stopped (see Stage.streamsFrom). */
  | { status: 'halted'; reason: string; upstream?: boolean }
  /** `reason` says why the run waits again at a gate it already passed (a dirty tree at the ship merge). */
  | { status: 'awaiting-approval'; gate: GateId; reason?: string };

export interface Stage {
  id: string;
  title: string;
  run(ctx: PipelineContext, feedback?: string): Promise<StageResult>;
  /** Runs in every run that gets there, even after `stopAfter` skipped the stages before it (Stage 7 curate). */
  alwaysRuns?: boolean;
  /** A human gate after the stage: approve continues, changes reruns the stage with feedback. */
  gateAfter?: {
    id: GateId;
    describe(ctx: PipelineContext): Omit<GateRequest, 'gate' | 'runId'>;
  };
  /**
   * The stage starts together with the stage this names (the one before it) and takes that stage's
   * work as it comes: `runStreaming` replaces `run` then, and `upstreamEnded` resolves when the other
   * stage has ended. Assembly streams from the build (issue 10); `streamAssembly: false` turns it off.
   */
  streamsFrom?: string;
  runStreaming?(ctx: PipelineContext, upstreamEnded: Promise<void>): Promise<StageResult>;
  /** Runs once the gate is approved (the ship merge); may send the run back to the gate. */
  afterApproval?(ctx: PipelineContext): Promise<StageResult>;
  /**
   * Asked before a resumed run asks the stage's gate again: what the approval did already, if the run
   * stopped after that took effect and before it was recorded (the ship merge landed, then a kill).
   */
  settledBeforeGate?(ctx: PipelineContext): Promise<StageResult | undefined>;
}

export const ENGINE_AUTHOR = { name: 'build-pipeline', email: 'engine@build-pipeline.invalid' };

export function agentAuthor(agentName: string): { name: string; email: string } {
  return { name: agentName, email: `${agentName}@agents.build-pipeline.invalid` };
}
