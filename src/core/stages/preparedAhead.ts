/**
 * Dependents prepared while their last dependency is in QC. A module becomes ready the moment its
 * last dependency passes; its preparation then merged every dependency into its worktree and checked
 * the result out: about half a second per layer of a diamond, on the critical path, although the
 * dependency's branch had not changed since its builder handed it over to QC (only a fix gives it
 * new commits: a FAIL and its fix cycle, or assembly sending it back). So when the
 * last dependency of a module is handed over, the module's worktree gets all its merges now, while
 * QC runs (mergesAhead.ts calls this), and when the module is ready its preparation
 * (moduleWorktree.ts) only checks that what was merged is what passed.
 *
 * Rules that keep this safe:
 * - the worktree is not the module's until its preparation takes it and records the base commit; a
 *   run stopped before that leaves one without a base, which is made again on resume;
 * - the preparation takes it only when it started from the commit module worktrees start from now,
 *   and the dependencies were merged in the order of the merge rule, each at the very commit its
 *   branch is at now; otherwise (a dependency failed QC and was fixed, or was handed over again) it
 *   is discarded and the module is prepared as usual;
 * - once a module's preparation has begun, nothing more is prepared ahead for it in that round;
 * - one preparation ahead at a time (a wide project's root has dozens of dependents, and its QC is
 *   the critical path meanwhile), at most as many as may start at once; the module's preparation
 *   never waits for one that has not begun: it does the work itself;
 * - at the end of a build round, worktrees prepared for modules that did not start are removed with
 *   their branches, as those checked out ahead are (worktreesAhead.ts).
 */
import * as fs from 'node:fs';
import { abortMerge, branchCommits, branchExists, createWorktree, mergeAllNoFf } from '../git';
import { ENGINE_AUTHOR, type PipelineContext } from './context';
import { perRun } from '../run/perRun';
import { discardLeftAhead, mostAtOnce, moduleWorktreePath, takeWorktreeMadeAhead } from './worktreesAhead';

interface Merged {
  /** The commit the worktree started from (the scaffold's, or a contract resolution's after it). */
  start: string;
  /** The dependencies, in the order merged. */
  order: string[];
  /** The commit each was at when merged. */
  theirs: string[];
  /** The last merge: the module's base commit if it is taken. */
  head: string;
}

interface Prepared {
  /** 'queued' until its turn; 'taken' once the module's preparation has begun (nothing more is made for it). */
  phase: 'queued' | 'merging' | 'done' | 'taken';
  /** Settles with the merges made, or undefined when none are usable; never rejects. */
  done: Promise<Merged | undefined>;
  /** The module's worktree and branch are this preparation's (to take, or to discard). */
  holdsWorktree: boolean;
  /** A dependency was handed over again after this began: what it merged may not be what passes. */
  stale: boolean;
}

interface RunPrepared {
  modules: Map<string, Prepared>;
  /** The preparations ahead one after another: the tail of the line. */
  line: Promise<unknown>;
}

const preparedOf = perRun<RunPrepared>(() => ({ modules: new Map(), line: Promise.resolve() }));

/** One dependency merge: the dependency, and the merge commit's message. */
export interface DependencyMerge {
  dep: string;
  message: string;
}

/**
 * Every dependency of `module` is passed or in QC: its worktree gets their merges, in the order given,
 * in the background, in its turn. Asked again (a dependency handed over anew), the one made is marked
 * stale rather than redone under a preparation that may be taking it.
 */
export function prepareAhead(ctx: PipelineContext, module: string, merges: readonly DependencyMerge[]): void {
  const run = preparedOf(ctx);
  const known = run.modules.get(module);
  if (known) {
    if (known.phase !== 'taken') known.stale = true;
    return;
  }
  if ([...run.modules.values()].filter((p) => p.phase !== 'taken').length >= mostAtOnce(ctx)) return;
  const prepared: Prepared = { phase: 'queued', done: Promise.resolve(undefined), holdsWorktree: false, stale: false };
  prepared.done = run.line.then(async () => {
    if (prepared.phase !== 'queued') return undefined;
    prepared.phase = 'merging';
    try {
      return await mergeAhead(ctx, module, [...merges], prepared);
    } catch {
      // Only a head start: the module's preparation makes every merge itself and reports what fails.
      return undefined;
    } finally {
      if (prepared.phase === 'merging') prepared.phase = 'done';
    }
  });
  run.line = prepared.done;
  run.modules.set(module, prepared);
}

async function mergeAhead(ctx: PipelineContext, module: string, deps: DependencyMerge[], prepared: Prepared): Promise<Merged | undefined> {
  const scaffold = ctx.store.state.scaffoldCommit;
  if (!scaffold || ctx.signal.aborted) return undefined;
  const wt = moduleWorktreePath(ctx, module);
  const branch = ctx.store.module(module).branch;
  if (await takeWorktreeMadeAhead(ctx, module)) {
    prepared.holdsWorktree = true;
  } else {
    // Something of this module is there already (a resumed run): its preparation decides about it.
    if (fs.existsSync(wt) || (await branchExists(ctx.repoRoot, branch))) return undefined;
    prepared.holdsWorktree = true;
    // createWorktree leaves nothing behind when it fails: then there is nothing to hold.
    await createWorktree(ctx.repoRoot, wt, branch, scaffold, { background: true }).catch((e: unknown) => {
      prepared.holdsWorktree = false;
      throw e;
    });
  }
  if (ctx.signal.aborted) return undefined;
  const merged = await mergeAllNoFf(wt, deps.map((d) => ({ branch: ctx.store.module(d.dep).branch, message: d.message })), ENGINE_AUTHOR);
  if (merged.status === 'conflict') {
    // The preparation discards the worktree and merges again, and reports the conflict itself.
    await abortMerge(wt).catch(() => undefined);
    return undefined;
  }
  return { start: scaffold, order: deps.map((d) => d.dep), theirs: merged.theirs, head: merged.commit };
}

export type Taken =
  /** Nothing was prepared ahead, or nothing of it is held: prepare as usual. */
  | { kind: 'none' }
  /** Prepared ahead with what passed: its worktree holds every merge, checked out; `head` is its base. */
  | { kind: 'ready'; head: string }
  /** Prepared ahead with something that did not pass: discard the worktree and branch, then prepare as usual. */
  | { kind: 'discard'; why: string };

const TAKEN_WITHOUT_PREPARATION: Prepared = { phase: 'taken', done: Promise.resolve(undefined), holdsWorktree: false, stale: false };

/**
 * The module's preparation takes what was prepared ahead for it (waiting for it if it has begun),
 * when its merges are those of the dependencies as they passed: `order` the merge rule's order now.
 * From here on nothing more is prepared ahead for the module in this round.
 */
export async function takePreparedAhead(ctx: PipelineContext, module: string, order: readonly string[]): Promise<Taken> {
  const run = preparedOf(ctx);
  const prepared = run.modules.get(module);
  if (!prepared || prepared.phase === 'taken') {
    run.modules.set(module, TAKEN_WITHOUT_PREPARATION);
    return { kind: 'none' };
  }
  const begun = prepared.phase !== 'queued';
  prepared.phase = 'taken';
  if (!begun) return { kind: 'none' };
  const merged = await prepared.done;
  if (!prepared.holdsWorktree) return { kind: 'none' };
  if (!merged) return { kind: 'discard', why: 'its merges were not made' };
  if (prepared.stale) return { kind: 'discard', why: 'a dependency was handed over to QC again after it' };
  if (merged.start !== ctx.store.state.scaffoldCommit) return { kind: 'discard', why: 'module worktrees start from a new commit since' };
  if (merged.order.join('\0') !== order.join('\0')) return { kind: 'discard', why: 'its dependencies passed in another order' };
  const now = await branchCommits(ctx.repoRoot, order.map((dep) => ctx.store.module(dep).branch));
  const moved = order.filter((_, i) => now[i] !== merged.theirs[i]);
  return moved.length ? { kind: 'discard', why: `${moved.join(', ')} changed after it was merged` } : { kind: 'ready', head: merged.head };
}

/**
 * The end of a build round: worktrees prepared ahead for modules that never started are removed with
 * their branches (the next round, or a resumed run, prepares them again from the contracts of then).
 */
export async function discardPreparedNotTaken(ctx: PipelineContext): Promise<void> {
  const run = preparedOf(ctx);
  const left = [...run.modules];
  run.modules.clear();
  await Promise.all(
    left.map(async ([module, prepared]) => {
      if (prepared.phase === 'taken') return;
      // Not begun yet: it never will.
      prepared.phase = 'taken';
      await prepared.done;
      if (prepared.holdsWorktree) await discardLeftAhead(ctx, module, 'prepared ahead');
    }),
  );
}
