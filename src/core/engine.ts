/**
 * Starting and resuming runs: the one entry point the CLI and the VS Code extension share.
 * It prepares the run directory, the integration branch and worktree, the model client (the real
 * API, or offline the stand-in the caller injects) and then walks the stage list. The engine never
 * imports the scripted model: it is a test double and a demo, and the front ends provide it.
 */
import * as fs from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import type { OfflineModel, ResumeRunOptions, RunHandle, RunOptionsBase, RunResult, RunSummary, StartRunOptions } from './api';
import { loadConfig, type PipelineConfig } from './config';
import type { RunState } from './contracts/schemas';
import { TierLimiter } from './limiter';
import { runStages, STAGES } from './pipeline';
import { createRunDir, newRunId, runPaths, type RunPaths } from './run/runDir';
import { assertNoActiveRun, runsRootFor } from './run/runs';
import { RunStore } from './run/store';
import { buildRunReport, writeRunReport } from './run/report';
import { acquireRunLock } from './run/lock';
import { loadContracts, type LoadedContracts } from './stages/contracts';
import type { PipelineContext } from './stages/context';
import { createWorktree, integrationBranch, openRepo } from './git';
import { addUsage, emptyUsage } from './usage';
import { estimateUsd } from './pricing';
import { openRunMemory } from './memory/runMemory';
import { preflight } from './preflight';
import type { Stage } from './stages/context';
import { AUDIT_STAGES } from './audit/stages';
import { prepareAuditRun } from './audit/launch';
import { openRunSandbox, type RunSandbox } from './sandbox/runSandbox';
import { openRunMcp } from './mcp/runMcp';
import { mcpSecrets } from './mcp/config';

export { listRuns, findUnfinishedRun, isRunActive } from './run/runs';

export async function startRun(opts: StartRunOptions): Promise<RunHandle> {
  assertModelReachable(opts, opts.offline);
  const repo = await openRepo(opts.repoRoot);
  const config = loadConfig(repo.root, opts.config);
  // One active run per repository: two runs would race for the same CPU, budget and user attention.
  await assertNoActiveRun(repo.root, config.runsDir);
  const runsRoot = await runsRootFor(repo.root, config.runsDir);
  // Before anything is created: where the sandbox cannot start, the run does not start.
  const sandbox = await openRunSandbox(config.sandbox, { repoRoot: repo.root, runsRoot });
  // Preflight before anything exists: a refused key or an unknown model is a setting to fix, not a broken run.
  const model = await connectChecked(config, opts, opts.offline).catch(async (e) => {
    await sandbox.close();
    throw e;
  });
  const runId = newRunId();
  const paths = runPaths(runsRoot, runId);
  createRunDir(paths);
  const now = new Date().toISOString();
  const state: RunState = {
    version: 1,
    runId,
    runDir: paths.runDir,
    repoRoot: repo.root,
    description: opts.description,
    mode: 'build',
    offline: opts.offline,
    shellsSandboxed: sandbox.enabled,
    baseBranch: repo.branch ?? '(detached)',
    baseCommit: repo.head,
    integrationBranch: integrationBranch(runId),
    status: 'running',
    createdAt: now,
    updatedAt: now,
    stages: STAGES.map((s) => ({ id: s.id, status: 'pending', attempts: 0, usage: emptyUsage() })),
    modules: [],
    gates: [],
    usage: emptyUsage(),
    agentUsage: {},
    agentCostUsd: {},
    roleUsage: {},
    costUsd: 0,
    merges: [],
  };
  const store = new RunStore(paths, state, [...secretsOf(opts.apiKey), ...mcpSecrets(config.mcpServers)]);
  store.save();
  // The integration branch starts at the user's HEAD; its worktree is the engine's, never the user's.
  try {
    await createWorktree(repo.root, paths.integrationWorktree, state.integrationBranch, repo.head);
  } catch (e) {
    await model.close();
    await sandbox.close();
    throw e;
  }
  return launch(store, config, opts, model, sandbox);
}

/** A standalone read-only audit (M15): a run of its own, driven like a build run through AUDIT_STAGES. */
export async function startAudit(opts: StartRunOptions): Promise<RunHandle> {
  assertModelReachable(opts, opts.offline);
  const repo = await openRepo(opts.repoRoot);
  const config = loadConfig(repo.root, opts.config);
  const runsRoot = await runsRootFor(repo.root, config.runsDir);
  const sandbox = await openRunSandbox(config.sandbox, { repoRoot: repo.root, runsRoot });
  const model = await connectChecked(config, opts, opts.offline).catch(async (e) => {
    await sandbox.close();
    throw e;
  });
  try {
    const { store } = await prepareAuditRun(opts, [...secretsOf(opts.apiKey), ...mcpSecrets(config.mcpServers)]);
    return launch(store, config, opts, model, sandbox, AUDIT_STAGES);
  } catch (e) {
    await model.close();
    await sandbox.close();
    throw e;
  }
}

export async function resumeRun(opts: ResumeRunOptions): Promise<RunHandle> {
  const repo = await openRepo(opts.repoRoot);
  const config = loadConfig(repo.root, opts.config);
  const runsRoot = await runsRootFor(repo.root, config.runsDir);
  const paths = runPaths(runsRoot, opts.runId);
  if (!fs.existsSync(paths.state)) throw new Error(`no run ${opts.runId} in ${repo.root}`);
  const store = RunStore.load(paths, [...secretsOf(opts.apiKey), ...mcpSecrets(config.mcpServers)]);
  if (store.state.status === 'succeeded') throw new Error(`run ${opts.runId} already succeeded; nothing to resume`);
  const audit = store.state.mode === 'audit';
  if (!audit && !fs.existsSync(paths.integrationWorktree)) {
    throw new Error(`run ${opts.runId}: its integration worktree ${paths.integrationWorktree} is gone; it cannot be resumed`);
  }
  const offline = opts.offline ?? store.state.offline;
  assertModelReachable(opts, offline);
  const sandbox = await openRunSandbox(config.sandbox, { repoRoot: repo.root, runsRoot });
  const model = await connectChecked(config, opts, offline).catch(async (e) => {
    await sandbox.close();
    throw e;
  });
  store.update((s) => {
    s.status = 'running';
    s.haltReason = undefined;
    s.shellsSandboxed = sandbox.enabled;
  });
  return launch(store, config, { ...opts, offline }, model, sandbox, audit ? AUDIT_STAGES : STAGES);
}

/** Checked before anything is created: offline, someone must have said which stand-in to talk to. */
function assertModelReachable(opts: RunOptionsBase, offline: boolean): void {
  if (offline && !opts.offlineModel && !opts.baseURL) {
    throw new Error(
      'an offline run needs a model to talk to: pass offlineModel (the CLI and the VS Code extension start the built-in scripted model) or baseURL',
    );
  }
}

function secretsOf(apiKey?: string): string[] {
  return [apiKey, process.env.ANTHROPIC_API_KEY].filter((s): s is string => !!s);
}

/** The model client of a run (and the offline stand-in it talks to), checked by the preflight. */
interface ModelConnection {
  client: Anthropic;
  contextWindows: Record<string, number>;
  close(): Promise<void>;
}

async function connectChecked(config: PipelineConfig, opts: StartRunOptions | ResumeRunOptions, offline: boolean): Promise<ModelConnection> {
  let offlineModel: OfflineModel | undefined;
  let baseURL = opts.baseURL;
  if (offline && !baseURL && opts.offlineModel) {
    offlineModel = await opts.offlineModel();
    baseURL = offlineModel.url;
  }
  const client = new Anthropic({
    apiKey: offline ? 'offline-scripted-model' : (opts.apiKey ?? process.env.ANTHROPIC_API_KEY ?? null),
    ...(baseURL ? { baseURL } : {}),
    maxRetries: config.sdkMaxRetries,
  });
  const close = async () => void (await offlineModel?.close());
  try {
    const { contextWindows } = config.skipPreflight ? { contextWindows: {} } : await preflight(client, config);
    return { client, contextWindows, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Drives `stages` of a prepared run (a build run, or a standalone audit). */
async function launch(
  store: RunStore,
  config: PipelineConfig,
  opts: StartRunOptions | ResumeRunOptions,
  model: ModelConnection,
  sandbox: RunSandbox,
  stages: readonly Stage[] = STAGES,
): Promise<RunHandle> {
  let releaseLock: () => void;
  try {
    releaseLock = acquireRunLock(store.paths.runDir);
  } catch (e) {
    await model.close();
    await sandbox.close();
    throw e;
  }
  const controller = new AbortController();
  const offline = opts.offline ?? false;
  const client = model.client;
  const limiter = new TierLimiter(config.waveLimits);
  const mcp = openRunMcp(config.mcpServers, config.mcpAccess, {
    sandbox,
    cwd: store.paths.integrationWorktree,
    warn: (message) => store.emit({ type: 'log', level: 'warn', message }),
  });
  let contracts: LoadedContracts | undefined;
  const started = Date.now();
  let retries = 0;
  let budgetReached: string | undefined;
  const agentModels = new Map<string, string>();
  store.onEvent((e) => {
    if (e.type === 'agent-retry') retries++;
    if (e.type === 'agent-started') agentModels.set(e.agentId, e.model);
    if (e.type === 'agent-usage') {
      // Saved with the next state update; stage and module totals are added by the stages themselves.
      addUsage(store.state.usage, e.usage);
      addUsage((store.state.agentUsage[e.agentId] ??= emptyUsage()), e.usage);
      addUsage(((store.state.roleUsage ??= {})[e.role] ??= emptyUsage()), e.usage);
      // Dollars per agent, module and stage live in the run state, so they survive a reload or a resume.
      const usd = estimateUsd(e.usage, agentModels.get(e.agentId));
      store.state.costUsd += usd;
      const agentCost = (store.state.agentCostUsd ??= {});
      agentCost[e.agentId] = (agentCost[e.agentId] ?? 0) + usd;
      const mod = e.module ? store.state.modules.find((m) => m.name === e.module) : undefined;
      if (mod) mod.costUsd = (mod.costUsd ?? 0) + usd;
      const stage = store.state.stages.find((st) => st.id === e.stage);
      if (stage) stage.costUsd = (stage.costUsd ?? 0) + usd;
      if (config.budgetUsd > 0 && store.state.costUsd >= config.budgetUsd && !controller.signal.aborted) {
        budgetReached =
          `budget of $${config.budgetUsd.toFixed(2)} reached ($${store.state.costUsd.toFixed(4)} spent, estimated); ` +
          'raise budgetUsd and resume to continue';
        controller.abort(budgetReached);
      }
    }
  });

  const ctx: PipelineContext = {
    store,
    memory: openRunMemory(store.paths.runDir, store.paths.integrationWorktree),
    clock: opts.clock,
    config,
    client,
    limiter,
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    repoRoot: store.state.repoRoot,
    gate: opts.gate,
    approver: opts.approver ?? 'user',
    contracts: () => {
      if (!contracts) throw new Error('contracts are not loaded yet');
      return contracts;
    },
    reloadContracts: async () => (contracts = await loadContracts(store.paths.integrationWorktree)),
    runtime: () => ({
      client,
      limiter,
      emit: (e) => store.emit(e),
      signal: controller.signal,
      turnRetries: config.turnRetries,
      retryBaseDelayMs: config.retryBaseDelayMs,
      contextWindowOf: (id) => config.contextWindowTokens ?? model.contextWindows[id],
    }),
    modelFor: (tier) => config.tierModels[tier],
    sandbox,
    mcp,
  };
  const done = (async (): Promise<RunResult> => {
    // Let the caller subscribe to the handle's events before the first one fires.
    await new Promise((resolve) => setImmediate(resolve));
    store.emit({ type: 'run-started', runId: store.state.runId, runDir: store.paths.runDir, offline, description: store.state.description, shellsSandboxed: sandbox.enabled });
    try {
      // Resuming past the architect: the later stages read the committed contracts.
      if (['waiting', 'done'].includes(store.state.stages.find((s) => s.id === 'architect')?.status ?? '')) {
        await ctx.reloadContracts();
      }
      const stopped = await runStages(ctx, stages);
      // Stopped by the budget: halted (resumable), not cancelled by anyone.
      const outcome = budgetReached && stopped.status === 'cancelled' ? { status: 'halted' as const, reason: budgetReached } : stopped;
      store.update((s) => {
        s.status = outcome.status;
        s.haltReason = outcome.status === 'succeeded' ? undefined : outcome.status === 'awaiting-approval' ? (outcome.reason ?? `awaiting approval at the ${outcome.gate} gate`) : outcome.reason;
      });
    } catch (e) {
      store.update((s) => {
        s.status = controller.signal.aborted ? 'cancelled' : 'halted';
        s.haltReason = (e as Error).message;
      });
    } finally {
      await model.close();
      await mcp.close();
      await sandbox.close();
      releaseLock();
    }
    writeRunReport(store.state);
    store.emit({ type: 'run-ended', runId: store.state.runId, status: store.state.status, reason: store.state.haltReason });
    return { status: store.state.status, state: store.state, summary: summarize(store.state, Date.now() - started, retries) };
  })();

  return {
    runId: store.state.runId,
    runDir: store.paths.runDir,
    onEvent: store.onEvent,
    state: () => store.state,
    cancel: (reason = 'cancelled by the user') => controller.abort(reason),
    done,
  };
}

export function summarize(state: RunState, wallMs: number, retries: number): RunSummary {
  return {
    runId: state.runId,
    status: state.status,
    reason: state.haltReason,
    modules: state.modules.map((m) => ({ name: m.name, status: m.status, verdict: m.verdict, fixCycles: m.fixCycles })),
    merges: state.merges.filter((m) => m.status === 'MERGED').length,
    retries,
    tokens: { input: state.usage.input, output: state.usage.output, cacheRead: state.usage.cacheRead, cacheWrite: state.usage.cacheWrite },
    costUsd: state.costUsd,
    offline: state.offline,
    firstAttemptPassRate: buildRunReport(state).firstAttemptPassRate,
    wallMs,
    shellsSandboxed: state.shellsSandboxed !== false,
  };
}

export type { RunPaths };
