/**
 * Module worktrees checked out ahead. A module becomes ready the moment its last dependency passes
 * QC, and the modules of a layer pass within a second of each other; checking out each dependent's
 * worktree then (every file of the project, a third of a second of CPU in the bench, six or more at
 * once on two cores) put the slowest part of its preparation on the critical path, at its busiest
 * moment. So when a module starts building, its dependents' worktrees are checked out at the
 * scaffold commit in the background, one at a time at a lower priority, while the model works; when a dependent becomes
 * ready its preparation (moduleWorktree.ts) only merges its dependencies in, which writes their files
 * and nothing else.
 *
 * Rules that keep this safe:
 * - a worktree made ahead is not the module's until its preparation takes it and records the base
 *   commit; one a stopped run left without it is removed and made again on resume (moduleWorktree.ts);
 * - the preparation never waits for a checkout that has not begun: it takes the work over itself;
 * - at the end of a build round, worktrees made ahead for modules that did not start (a dependency
 *   failed, the run stopped, a contract changed) are removed with their branches.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertSafeModuleName } from '../contracts/names';
import type { ModuleSpec } from '../contracts/schemas';
import { createWorktree, deleteEngineBranch, removeWorktree } from '../git';
import type { PipelineContext } from './context';
import { perRun } from '../run/perRun';

/**
 * One checkout ahead at a time, at a lower CPU priority: the module that is building is on the
 * critical path, and its tool calls and commits must not wait for work nothing needs yet (with two
 * at a time at the usual priority, a wide project's root module built slower while its 31
 * dependents were checked out, and the whole run with it).
 */
const AT_ONCE = 1;

type Phase = 'queued' | 'making' | 'made' | 'nothing' | 'taken';

interface Ahead {
  phase: Phase;
  /** Settles when the checkout is done or given up; never rejects. */
  done: Promise<void>;
}

interface RunAhead {
  modules: Map<string, Ahead>;
  running: number;
  waiting: Array<() => void>;
}

const aheadOf = perRun<RunAhead>(() => ({ modules: new Map(), running: 0, waiting: [] }));

/** As many modules as may start at once (the largest wave limit): more made ahead would only wait for a slot. */
export function mostAtOnce(ctx: PipelineContext): number {
  return Math.max(1, ...Object.values(ctx.config.waveLimits));
}

/** The module's worktree folder; a module name is the architect's output, so it is checked before it names a path. */
export function moduleWorktreePath(ctx: PipelineContext, module: string): string {
  assertSafeModuleName(module);
  return path.join(ctx.store.paths.worktrees, module);
}

/**
 * `started` has its worktree and is building: its dependents still pending get theirs checked out
 * now, as many as may start at once (the largest wave limit): more would only wait for a slot, and
 * their worktrees can be made meanwhile.
 */
export function checkOutDependentsAhead(ctx: PipelineContext, modules: readonly ModuleSpec[], started: string): void {
  const run = aheadOf(ctx);
  const most = mostAtOnce(ctx);
  for (const spec of modules) {
    if (run.modules.size >= most) return;
    if (!spec.depends_on.includes(started) || run.modules.has(spec.name)) continue;
    const state = ctx.store.module(spec.name);
    if (state.status !== 'pending' || state.baseCommit) continue;
    const ahead: Ahead = { phase: 'queued', done: Promise.resolve() };
    ahead.done = inTurn(run, () => checkOut(ctx, spec.name, ahead));
    run.modules.set(spec.name, ahead);
  }
}

async function inTurn(run: RunAhead, work: () => Promise<void>): Promise<void> {
  if (run.running >= AT_ONCE) await new Promise<void>((resolve) => run.waiting.push(resolve));
  run.running++;
  try {
    await work();
  } finally {
    run.running--;
    run.waiting.shift()?.();
  }
}

async function checkOut(ctx: PipelineContext, module: string, ahead: Ahead): Promise<void> {
  // Taken over by its preparation, or the run is stopping: nothing to do.
  if (ahead.phase !== 'queued' || ctx.signal.aborted) return;
  ahead.phase = 'making';
  const wt = moduleWorktreePath(ctx, module);
  const state = ctx.store.module(module);
  const scaffold = ctx.store.state.scaffoldCommit;
  try {
    // Something of this module is there already (a resumed run): its preparation decides about it.
    // (A branch of that name makes createWorktree refuse before it touches anything: caught below.)
    if (!scaffold || fs.existsSync(wt)) {
      ahead.phase = 'nothing';
      return;
    }
    await createWorktree(ctx.repoRoot, wt, state.branch, scaffold, { background: true });
    ahead.phase = 'made';
  } catch {
    // createWorktree leaves nothing behind when it fails; the preparation tries again and reports.
    ahead.phase = 'nothing';
  }
}

/**
 * The module's preparation takes its worktree over: true when one was checked out ahead at the
 * scaffold commit, with no dependency merged yet. A checkout under way is waited for; one still
 * queued is dropped (the preparation makes the worktree itself, at once).
 */
export async function takeWorktreeMadeAhead(ctx: PipelineContext, module: string): Promise<boolean> {
  const run = aheadOf(ctx);
  const ahead = run.modules.get(module);
  if (!ahead) return false;
  run.modules.delete(module);
  if (ahead.phase === 'queued') {
    ahead.phase = 'taken';
    return false;
  }
  await ahead.done;
  return ahead.phase === 'made';
}

/**
 * The end of a build round: worktrees checked out ahead for modules that never started are removed
 * with their branches (the next round, or a resumed run, makes them again from the contracts of then).
 */
export async function discardWorktreesNotTaken(ctx: PipelineContext): Promise<void> {
  const run = aheadOf(ctx);
  const left = [...run.modules];
  run.modules.clear();
  await Promise.all(
    left.map(async ([module, ahead]) => {
      if (ahead.phase === 'queued') ahead.phase = 'taken';
      await ahead.done;
      if (ahead.phase === 'made') await discardLeftAhead(ctx, module, 'checked out ahead');
    }),
  );
}

/** A worktree made ahead for a module that never started, removed at a round's end; a failure is said, not thrown. */
export async function discardLeftAhead(ctx: PipelineContext, module: string, how: string): Promise<void> {
  await discardUnprepared(ctx, module).catch((e: Error) => ctx.store.emit({ type: 'log', level: 'warn', message: `could not remove the worktree ${how} for ${module}: ${e.message}` }));
}

/**
 * Removes a module's worktree (if any) and branch while they hold nothing but the engine's work:
 * its preparation never completed, so no builder has worked there.
 */
export async function discardUnprepared(ctx: PipelineContext, module: string): Promise<void> {
  // Also when the folder is gone: the worktree's registration is pruned, or git keeps the branch.
  await removeWorktree(ctx.repoRoot, moduleWorktreePath(ctx, module), { force: true });
  await deleteEngineBranch(ctx.repoRoot, ctx.store.module(module).branch);
}
