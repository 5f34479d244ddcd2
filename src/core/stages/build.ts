/**
 * Stage 3, build, with per-module QC (M6, M7). Every module runs through its own small pipeline as
 * soon as its dependencies have passed QC: worktree → builder → engine commit → QC → (fix cycle)*.
 * Concurrency is bounded by the wave limiter around each agent, not by waves of modules: a module's
 * builder and QC hold one slot between them (moduleSlot.ts), so its QC starts the moment the engine
 * has committed the builder's work, and waiting agents are served critical path first (priority.ts).
 * FAIL-CRITICAL aborts the run's signal, which stops every agent in flight.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { passedQc, type ModuleSpec, type ModuleStatus, type QcVerdict } from '../contracts/schemas';
import { AgentError } from '../agents/runAgent';
import { removeWorktree } from '../git';
import { prepareModuleWorktree } from './moduleWorktree';
import { noPreparationRunning } from './preparations';
import { checkOutDependentsAhead, discardWorktreesNotTaken } from './worktreesAhead';
import { handOverVoided, mergesAheadSettled, moduleHandedOver } from './mergesAhead';
import { discardPreparedNotTaken } from './preparedAhead';
import { Developments, type Developed } from './developments';
import { runBuilder } from './builder';
import { runQc } from './qc';
import { ModuleSlot } from './moduleSlot';
import { findingsForBuilder, writeQcReport } from './qcReport';
import { SENT_BY, type FixRequest } from './fixRequest';
import { runDag } from '../scheduler';
import type { PipelineContext, Stage, StageResult } from './context';
import { reportPairsOnQcPass } from '../training/builderPairs';
import { hasOpenConflicts, openConflict, settleConflicts, takeResolution } from '../conflicts/resolve';
import { withIntegrationTree } from '../assembly/integrationLock';
import { perRun } from '../run/perRun';
import { finalSuiteAheadVoided, testFinalHeadAhead } from '../assembly/finalSuiteAhead';

/** Rounds of block → resolve → resume per build stage; a module blocking again after that stops the run. */
const CONFLICT_ROUNDS = 3;

export const buildStage: Stage = { id: 'build', title: 'Build', run: runBuild };

async function runBuild(ctx: PipelineContext): Promise<StageResult> {
  for (let round = 0; ; round++) {
    // Contract conflicts (M13): evaluated, decided at their gate and applied before the modules run again.
    // Applying a resolution commits on the integration branch, where assembly may be merging (it streams from the build).
    const stop = await withIntegrationTree(ctx.store.paths.integrationWorktree, () => settleConflicts(ctx));
    if (stop) return stop;
    const result = await buildRound(ctx);
    if (result.status === 'halted' && !ctx.signal.aborted && hasOpenConflicts(ctx) && round < CONFLICT_ROUNDS) continue;
    return result;
  }
}

async function buildRound(ctx: PipelineContext): Promise<StageResult> {
  const manifest = ctx.contracts().manifest;
  // A resumed run rebuilds what did not pass; passed modules keep their branches and are not redone.
  // A module assembly has sent back to its builder is left alone: buildModule joins that work.
  ctx.store.update((s) => {
    for (const m of s.modules) if (!passedQc(m.status) && !inDevelopment(ctx).has(m.name)) m.status = 'pending';
  });
  const nodes = manifest.build_order.map((n) => ({ name: n, dependsOn: manifest.modules.find((m) => m.name === n)!.depends_on }));
  const byName = new Map(manifest.modules.map((m) => [m.name, m]));
  // A passed module's worktree is removed while its dependents already start (they need its
  // branch, not its folder); the stage ends only after every removal has.
  const releases: Array<Promise<void>> = [];
  const outcomes = await runDag(
    nodes,
    async (node) => {
      const { status, released } = await buildModule(ctx, byName.get(node.name)!);
      releases.push(released);
      return { result: status, ok: passedQc(status) };
    },
    { signal: ctx.signal },
  );
  await Promise.all(releases);
  await Promise.all([discardWorktreesNotTaken(ctx), mergesAheadSettled(ctx), discardPreparedNotTaken(ctx)]);
  const results = [...outcomes].map(([name, o]): readonly [string, ModuleStatus] =>
    o.kind === 'ran' ? [name, o.result] : [name, settle(ctx, name, 'cancelled', o.reason)],
  );

  if (ctx.signal.aborted) return { status: 'halted', reason: String(ctx.signal.reason ?? 'run stopped') };
  const notPassed = results.filter(([, s]) => !passedQc(s));
  if (notPassed.length > 0) {
    const lines = notPassed.map(([n, s]) => `${n}: ${s}${ctx.store.module(n).detail ? ` (${ctx.store.module(n).detail})` : ''}`);
    return { status: 'halted', reason: `not every module passed QC:\n${lines.join('\n')}` };
  }
  return { status: 'done', detail: `${results.length} modules passed QC` };
}

function settle(ctx: PipelineContext, module: string, status: ModuleStatus, detail?: string): ModuleStatus {
  ctx.store.update((s) => {
    const m = s.modules.find((x) => x.name === module)!;
    m.status = status;
    m.detail = detail;
  });
  ctx.store.emit({ type: 'module-status', module, status, detail });
  return status;
}

const NOTHING_TO_RELEASE: Promise<void> = Promise.resolve();

async function buildModule(ctx: PipelineContext, spec: ModuleSpec): Promise<Developed> {
  const status = ctx.store.module(spec.name).status;
  if (passedQc(status)) return { status, released: NOTHING_TO_RELEASE };
  return developTracked(ctx, spec, undefined);
}

/**
 * Builder → QC → (fix cycle with the findings)* until PASS, a failure, or the fix cycles run out.
 * `findings` starts a fix cycle right away: assembly uses that to send a module back after its merge
 * broke the integration tests. Returns once the module's worktree is released too.
 */
export async function developModule(ctx: PipelineContext, spec: ModuleSpec, findings: FixRequest | undefined): Promise<ModuleStatus> {
  const { status, released } = await developTracked(ctx, spec, findings);
  await released;
  return status;
}

/**
 * Settles once the module is in no development (its worktree released): what touches a module's
 * worktree from outside its development (a contract resolution bringing in the new contracts) waits
 * for this, or it would merge and commit under a working builder.
 */
export function moduleAtRest(ctx: PipelineContext, name: string): Promise<void> {
  return inDevelopment(ctx).idle(name);
}

function developTracked(ctx: PipelineContext, spec: ModuleSpec, findings: FixRequest | undefined): Promise<Developed> {
  return inDevelopment(ctx).develop(spec.name, findings !== undefined, () => developOnce(ctx, spec, findings));
}

const inDevelopment = perRun(() => new Developments());

async function developOnce(ctx: PipelineContext, spec: ModuleSpec, findings: FixRequest | undefined): Promise<Developed> {
  const prepared: { wt?: string } = {};
  const status = await developSteps(ctx, spec, findings, prepared);
  return { status, released: prepared.wt ? releaseWorktree(ctx, spec.name, prepared.wt) : NOTHING_TO_RELEASE };
}

/** The module's steps; the worktree, once there is one, goes into `prepared` for the release. */
async function developSteps(ctx: PipelineContext, spec: ModuleSpec, findings: FixRequest | undefined, prepared: { wt?: string }): Promise<ModuleStatus> {
  const name = spec.name;
  const state = () => ctx.store.module(name);
  const slot = new ModuleSlot(ctx, name);
  try {
    const wt = await prepareModuleWorktree(ctx, spec);
    prepared.wt = wt;
    // While this module builds, its dependents' worktrees are checked out, ready for their merges.
    checkOutDependentsAhead(ctx, ctx.contracts().manifest.modules, name);
    for (let cycle = state().fixCycles; ; cycle++) {
      settle(ctx, name, cycle === 0 ? 'building' : 'fixing', cycle === 0 ? undefined : `fix cycle ${cycle}`);
      const built = await runBuilder(ctx, spec, wt, cycle, findings, takeResolution(ctx, name), await slot.forStep(cycle === 0 ? 'build' : 'fix'));
      if (built.outcome?.status === 'blocked') {
        openConflict(ctx, name, built.outcome, built.conflictReport);
        return settle(ctx, name, 'blocked', `contract conflict: ${built.outcome.summary} (${built.conflictReport ?? 'no report file'})`);
      }
      if (!built.outcome) return settle(ctx, name, 'failed', 'the builder ended without reporting an outcome');

      settle(ctx, name, 'qc');
      aheadOfTheVerdict(ctx, name);
      const attempt = state().qcAttempts + 1;
      let qc: Awaited<ReturnType<typeof runQc>> | undefined;
      try {
        qc = await runQc(ctx, spec, wt, attempt, built.ownershipNote, await slot.forStep('qc'), built.outcome.summary);
      } finally {
        // Not passed (a FAIL, no verdict, an error): its branch may change, so nothing ahead may assume it.
        if (qc?.verdict?.verdict !== 'PASS') {
          handOverVoided(ctx, name);
          finalSuiteAheadVoided(ctx, name);
        }
      }
      // Kept only for a fix cycle that follows at once.
      if (qc.verdict?.verdict !== 'FAIL-MAJOR' || cycle >= ctx.config.fixCycles) slot.release();
      if (!qc.verdict) return settle(ctx, name, 'failed', 'QC ended without a verdict');
      const verdict: QcVerdict = qc.verdict;
      const reportPath = writeQcReport(ctx.store.paths.qc, name, verdict, attempt, built.outOfScope);
      ctx.store.update((s) => {
        const m = s.modules.find((x) => x.name === name)!;
        m.qcAttempts = attempt;
        m.verdict = verdict.verdict;
        m.firstQcVerdict ??= verdict.verdict;
        m.builtCommit = built.commit;
      });
      ctx.store.emit({ type: 'module-verdict', module: name, verdict, attempt, reportPath });

      if (verdict.verdict === 'PASS') {
        reportPairsOnQcPass(ctx, name, built.pairs);
        settle(ctx, name, 'passed', verdict.summary.slice(0, 200));
        return 'passed';
      }
      if (verdict.verdict === 'FAIL-CRITICAL') {
        settle(ctx, name, 'failed', `FAIL-CRITICAL: ${verdict.summary.slice(0, 200)}`);
        ctx.abort(`FAIL-CRITICAL in module ${name}: ${verdict.summary}`);
        return 'failed';
      }
      if (cycle >= ctx.config.fixCycles) {
        return settle(ctx, name, 'failed', `still FAIL-MAJOR after ${cycle} fix cycles`);
      }
      findings = { from: SENT_BY.qc, findings: findingsForBuilder(verdict) };
      ctx.store.update((s) => (s.modules.find((x) => x.name === name)!.fixCycles = cycle + 1));
    }
  } catch (e) {
    if (AgentError.is(e, 'cancelled') || ctx.signal.aborted) return settle(ctx, name, 'cancelled', 'run stopped');
    return settle(ctx, name, 'failed', (e as Error).message.slice(0, 500));
  } finally {
    slot.release();
  }
}

/**
 * `name` is handed over to QC, its branch final if it passes: its dependents still waiting get their
 * merges of it (and of what was handed over before) made now, or their whole preparation when it is
 * the last (mergesAhead.ts); the last module of assembly_order gets the final head's full suite
 * (assembly/finalSuiteAhead.ts). Only a head start: nothing it could throw may change this module's outcome.
 */
function aheadOfTheVerdict(ctx: PipelineContext, name: string): void {
  try {
    moduleHandedOver(ctx, ctx.contracts().manifest.modules, name);
    // The last module of assembly_order: the final head's full suite runs while it is in QC.
    testFinalHeadAhead(ctx, name);
  } catch (e) {
    ctx.store.emit({ type: 'log', level: 'warn', message: `merges ahead after ${name} was handed over to QC: ${(e as Error).message}` });
  }
}

/**
 * A passed module's worktree is removed (its branch keeps every commit); a failed or blocked one is
 * kept so the user can look at it. Either way the workspace folder goes away.
 */
async function releaseWorktree(ctx: PipelineContext, module: string, wt: string): Promise<void> {
  ctx.store.emit({ type: 'worktree-removed', module, path: wt });
  if (ctx.store.module(module).status !== 'passed') return;
  // Its dependents' worktrees are being made right now; only the stage's end waits for this removal.
  await noPreparationRunning(ctx);
  try {
    await removeWorktree(ctx.repoRoot, wt, { force: true });
    ctx.store.update((s) => (s.modules.find((x) => x.name === module)!.worktree = undefined));
  } catch (e) {
    ctx.store.emit({ type: 'log', level: 'warn', message: `could not remove worktree ${wt}: ${(e as Error).message}` });
  }
  if (fs.existsSync(wt)) ctx.store.emit({ type: 'log', level: 'warn', message: `worktree ${path.basename(wt)} left on disk` });
}
