/**
 * What `plan` and `implement` need to call models: the client (the real API, or the built-in
 * scripted model offline), the tier limiter, an abort signal, an event stream journaled to a file,
 * and token totals. The same wiring as the pipeline's engine.ts, without its stage machinery.
 */
import * as fs from 'node:fs';
import type { PipelineConfig } from '../config';
import type { ModelTier, Usage } from '../contracts/schemas';
import { Emitter, type Event, type PipelineEvent } from '../events';
import { TierLimiter } from '../limiter';
import type { AgentRuntime } from '../agents/runAgent';
import type { ToolObserver } from '../agents/tools';
import { redact } from '../run/journal';
import { addUsage, emptyUsage } from '../usage';
import type { OfflineModelStarter } from '../api';
import type { TeamEvent } from './events';
import type { RunSandbox } from '../sandbox/runSandbox';
import { openRunResources, secretsOf } from '../run/modelConnection';

export interface SessionOptions {
  config: PipelineConfig;
  offline: boolean;
  apiKey?: string;
  baseURL?: string;
  /** Offline: starts the stand-in Messages API (the CLI injects the built-in scripted model; tests inject it with a scenario). */
  offlineModel?: OfflineModelStarter;
  /** Where every event is appended as a JSON line (secrets redacted); none = not journaled. */
  journalFile?: string;
  /** The user's repository: its `.env` files are hidden from sandboxed shells. */
  repoRoot?: string;
  /** Where the repository's runs live (worktrees included): not searched for `.env` files. */
  runsRoot?: string;
}

export interface ModelSession {
  config: PipelineConfig;
  offline: boolean;
  signal: AbortSignal;
  cancel(reason: string): void;
  emit(e: TeamEvent): void;
  onEvent: Event<TeamEvent>;
  /** The runtime for one agent; `signal` lets the caller stop that agent alone (a stalled teammate). */
  runtime(signal?: AbortSignal): AgentRuntime;
  modelFor(tier: ModelTier): string;
  observer(agentId: string): ToolObserver;
  /** Where teammates' shells and the test gates run (src/core/sandbox); UNSANDBOXED only by the user's choice. */
  sandbox: RunSandbox;
  usage: Usage;
  close(): Promise<void>;
}

const MAX_FIELD = 4000;

export async function openModelSession(opts: SessionOptions): Promise<ModelSession> {
  const { config } = opts;
  // The same sandbox, offline rules and preflight as a build run (src/core/run/modelConnection.ts).
  const resources = await openRunResources(config, opts, { repoRoot: opts.repoRoot, runsRoot: opts.runsRoot });
  const { sandbox, model } = resources;
  const client = model.client;
  const secrets = secretsOf(opts.apiKey);
  const limiter = new TierLimiter(config.waveLimits);
  const controller = new AbortController();
  const emitter = new Emitter<TeamEvent>();
  const usage = emptyUsage();
  const emit = (e: TeamEvent) => {
    if (e.type === 'agent-usage') addUsage(usage, e.usage);
    if (opts.journalFile) {
      const line = JSON.stringify({ at: new Date().toISOString(), ...e }, (_k, v) =>
        typeof v === 'string' ? cut(redact(v, secrets)) : v,
      );
      fs.appendFileSync(opts.journalFile, line + '\n');
    }
    emitter.fire(e);
  };
  return {
    config,
    offline: opts.offline,
    signal: controller.signal,
    cancel: (reason) => controller.abort(reason),
    emit,
    onEvent: emitter.event,
    runtime: (signal) => ({
      client,
      limiter,
      emit: (e: PipelineEvent) => emit(e),
      signal: signal ?? controller.signal,
      turnRetries: config.turnRetries,
      retryBaseDelayMs: config.retryBaseDelayMs,
      contextWindowOf: (id) => config.contextWindowTokens ?? model.contextWindows[id],
    }),
    modelFor: (tier) => config.tierModels[tier],
    observer: (agentId) => ({
      call: (tool, input) => emit({ type: 'tool-call', agentId, tool, input: JSON.stringify(input) }),
      result: (tool, isError, output) => emit({ type: 'tool-result', agentId, tool, isError, output }),
    }),
    sandbox,
    usage,
    close: async () => {
      emitter.dispose();
      await resources.close();
    },
  };
}

function cut(s: string): string {
  return s.length > MAX_FIELD ? `${s.slice(0, MAX_FIELD)}… [${s.length - MAX_FIELD} more characters]` : s;
}
