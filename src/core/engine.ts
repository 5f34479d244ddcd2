/**
 * Starting and resuming runs: the one entry point the CLI and the VS Code extension share.
 * It prepares the run directory, the integration branch and worktree, the model client (the real
 * API, or offline the stand-in the caller injects) and then walks the stage list. The engine never
 * imports the scripted model: it is a test double and a demo, and the front ends provide it.
 */
import * as fs from 'node:fs';
import type { ResumeRunOptions, RunHandle, RunResult, RunSummary, StartRunOptions } from './api';
import { loadConfig, type PipelineConfig } from './config';
import type { RunState } from './contracts/schemas';
import { TierLimiter } from './limiter';
import { runStages, STAGES } from './pipeline';
import { runPaths, type RunPaths } from './run/runDir';
import { runsRootFor } from './run/runs';
import { RunStore } from './run/store';
import { buildRunReport, writeRunReport } from './run/report';
import { acquireRunLock } from './run/lock';
import { assertNoActiveRun, createRunRecord, lockAsOnlyActiveRun } from './run/newRun';
import { neverStarted, remakeIntegrationWorktree } from './run/unstartedRun';
import { assertModelReachable, assertResumableOffline, openRunResources, secretsOf, type RunResources } from './run/modelConnection';
import { loadContracts, type LoadedContracts } from './stages/contracts';
import type { PipelineContext } from './stages/context';
import { createWorktree, integrationBranch, openRepo } from './git';
import { addUsage, emptyUsage } from './usage';
import { estimateUsd } from './pricing';
import { openRunMemory } from './memory/runMemory';
import type { Stage } from './stages/context';
import { AUDIT_STAGES } from './audit/stages';
import { openRunMcp } from './mcp/runMcp';
import { mcpSecrets } from './mcp/config';

export { listRuns, findUnfinishedRun, isRunActive } from './run/runs';

export async function startRun(opts: StartRunOptions): Promise<RunHandle> {
  return startNewRun(opts, 'build');
}

/**
 * A standalone read-only audit (M15): a run of its own, recorded and driven like a build run through
 * AUDIT_STAGES, so listing, status, locking and resume work the same. It creates no branch and no
 * worktree, and reads HEAD as of the start (later commits of the user's are not audited half-way through).
 */
export async function startAudit(opts: StartRunOptions): Promise<RunHandle> {
  return startNewRun(opts, 'audit');
}

/**
 * What a start checks before it creates anything, without starting: the model is reachable, no run
 * is active, the sandbox opens and the preflight accepts the key and every model. The VS Code
 * extension calls it before it reloads the window for a run (workspacePrep.ts), so a setting to fix
 * is shown where the user pressed Start and nothing waits across the reload. Creates nothing.
 */
export async function checkStart(opts: StartRunOptions): Promise<void> {
  const { resources } = await openForStart(opts);
  await resources.close();
}

/**
 * Everything a start checks, in order, before it creates anything: the model is reachable, the
 * repository opens, no run is active, then the sandbox and the preflight (a refused key or an unknown
 * model is a setting to fix, not a broken run). The caller closes the resources.
 */
async function openForStart(opts: StartRunOptions) {
  assertModelReachable(opts);
  const repo = await openRepo(opts.repoRoot);
  const config = loadConfig(repo.root, opts.config);
  await assertNoActiveRun(repo.root, config.runsDir);
  const runsRoot = await runsRootFor(repo.root, config.runsDir);
  const resources = await openRunResources(config, opts, { repoRoot: repo.root, runsRoot });
  return { repo, config, runsRoot, resources };
}

async function startNewRun(opts: StartRunOptions, mode: 'build' | 'audit'): Promise<RunHandle> {
  const { repo, config, runsRoot, resources } = await openForStart(opts);
  const stages = mode === 'audit' ? AUDIT_STAGES : STAGES;
  let releaseLock: (() => void) | undefined;
  try {
    const record = createRunRecord({
      runsRoot,
      repo,
      description: opts.description,
      mode,
      offline: opts.offline,
      shellsSandboxed: resources.sandbox.enabled,
      stageIds: stages.map((s) => s.id),
      // An audit never writes to the repository: no integration branch.
      integrationBranch: mode === 'audit' ? () => '' : integrationBranch,
      secrets: [...secretsOf(opts.apiKey), ...mcpSecrets(config.mcpServers)],
    });
    const store = record.store;
    releaseLock = record.releaseLock;
    // The integration branch starts at the user's HEAD; its worktree is the engine's, never the user's.
    if (mode === 'build') await createWorktree(repo.root, store.paths.integrationWorktree, store.state.integrationBranch, repo.head);
    const handle = await launch(store, config, opts, resources, stages, releaseLock);
    releaseLock = undefined; // the run's now: released when it stops
    return handle;
  } catch (e) {
    releaseLock?.();
    await resources.close();
    throw e;
  }
}

export async function resumeRun(opts: ResumeRunOptions): Promise<RunHandle> {
  const repo = await openRepo(opts.repoRoot);
  const config = loadConfig(repo.root, opts.config);
  const runsRoot = await runsRootFor(repo.root, config.runsDir);
  const paths = runPaths(runsRoot, opts.runId);
  if (!fs.existsSync(paths.state)) throw new Error(`no run ${opts.runId} in ${repo.root}`);
  // Taken before anything is written: a second resume of a run another process drives rewrote its
  // state (a fresh snapshot, the change lines removed) and only then found the lock held.
  const releaseLock = lockAsOnlyActiveRun(runsRoot, paths.runDir);
  let launched = false;
  try {
    const store = RunStore.load(paths, [...secretsOf(opts.apiKey), ...mcpSecrets(config.mcpServers)]);
    if (store.state.status === 'succeeded') throw new Error(`run ${opts.runId} already succeeded; nothing to resume`);
    const audit = store.state.mode === 'audit';
    if (!audit && neverStarted(store.state)) await remakeIntegrationWorktree(repo.root, store.state, paths.integrationWorktree);
    if (!audit && !fs.existsSync(paths.integrationWorktree)) {
      throw new Error(`run ${opts.runId}: its integration worktree ${paths.integrationWorktree} is gone; it cannot be resumed`);
    }
    assertResumableOffline(`run ${opts.runId}`, store.state.offline, opts.offline);
    const offline = opts.offline ?? store.state.offline;
    const resources = await openRunResources(config, { ...opts, offline }, { repoRoot: repo.root, runsRoot });
    store.update((s) => {
      s.status = 'running';
      s.haltReason = undefined;
      // Once a session of the run ran unsandboxed, the run says so for good: its code was written then.
      s.shellsSandboxed = s.shellsSandboxed !== false && resources.sandbox.enabled;
    });
    try {
      const handle = await launch(store, config, { ...opts, offline }, resources, audit ? AUDIT_STAGES : STAGES, releaseLock);
      launched = true;
      return handle;
    } catch (e) {
      await resources.close();
      throw e;
    }
  } finally {
    // Launched, the run releases the lock when it stops.
    if (!launched) releaseLock();
  }
}

/** Drives `stages` of a prepared run (a build run, or a standalone audit). */
async function launch(
  store: RunStore,
  config: PipelineConfig,
  opts: StartRunOptions | ResumeRunOptions,
  resources: RunResources,
  stages: readonly Stage[] = STAGES,
  /** The run's lock when the caller took it already (a resume takes it before writing the state). */
  heldLock?: () => void,
): Promise<RunHandle> {
  // Throws when another process holds the run; the caller closes the resources then.
  const releaseLock = heldLock ?? acquireRunLock(store.paths.runDir);
  const { model, sandbox } = resources;
  const controller = new AbortController();
  const offline = opts.offline ?? false;
  const client = model.client;
  const limiter = new TierLimiter(config.waveLimits);
  const mcp = openRunMcp(config.mcpServers, config.mcpAccess, {
    sandbox,
    cwd: store.paths.integrationWorktree,
    warn: (message) => store.emit({ type: 'log', level: 'warn', message }),
    signal: controller.signal,
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
      // Saved with the next state update. Every reply counts where it was spent, here and only here:
      // the tokens and dollars of an agent that failed or was cancelled count for its module and stage too.
      addUsage(store.state.usage, e.usage);
      addUsage((store.state.agentUsage[e.agentId] ??= emptyUsage()), e.usage);
      addUsage(((store.state.roleUsage ??= {})[e.role] ??= emptyUsage()), e.usage);
      // Dollars per agent, module and stage live in the run state, so they survive a reload or a resume.
      const usd = estimateUsd(e.usage, agentModels.get(e.agentId));
      store.state.costUsd += usd;
      const agentCost = (store.state.agentCostUsd ??= {});
      agentCost[e.agentId] = (agentCost[e.agentId] ?? 0) + usd;
      const mod = e.module ? store.state.modules.find((m) => m.name === e.module) : undefined;
      if (mod) {
        addUsage(mod.usage, e.usage);
        mod.costUsd = (mod.costUsd ?? 0) + usd;
      }
      const stage = store.state.stages.find((st) => st.id === e.stage);
      if (stage) {
        addUsage(stage.usage, e.usage);
        stage.costUsd = (stage.costUsd ?? 0) + usd;
      }
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
    memory: openRunMemory(store.paths.runDir, store.paths.integrationWorktree, store.scrub),
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
        // Cancelled: what stopped it (a gate prompt's abort error only says "The operation was aborted").
        s.haltReason = controller.signal.aborted && controller.signal.reason !== undefined ? String(controller.signal.reason) : (e as Error).message;
      });
    } finally {
      // A run that stops between stages still leaves its memory's search index complete on disk.
      await ctx.memory.flush().catch(() => undefined);
      await mcp.close();
      await resources.close();
      // state.json whole once the run stops: readers that ignore the change lines still see the end state.
      store.snapshot();
      const written = store.bytesWritten();
      store.emit({
        type: 'log',
        level: 'info',
        message:
          `run files written: state ${written.snapshotBytes + written.changeBytes} bytes ` +
          `(${written.snapshots} snapshots, ${written.changeLines} change lines), journal ${written.journalBytes} bytes`,
      });
      // The report under the lock: a resume that takes the lock at once must not have it overwritten
      // with this session's end after its own start.
      try {
        writeRunReport(store.state);
      } finally {
        releaseLock();
      }
    }
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
