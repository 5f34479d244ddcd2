/**
 * Dependents prepared while their last dependency is in QC. A module becomes ready the moment its
 * last dependency passes; its preparation then merged every dependency into its worktree and checked
 * the result out: about half a second per layer of a diamond, on the critical path, although the
 * dependency's branch had not changed since its builder handed it over to QC (the engine commits
 * nothing on it after that). So when the last dependency of a module is handed over, the module's
 * worktree gets all its merges now, while QC runs (mergesAhead.ts calls this), and when the module
 * is ready its preparation (moduleWorktree.ts) only checks that what was merged is what passed.
 *
 * Rules that keep this safe:
 * - the worktree is not the module's until its preparation takes it and records the base commit; a
 *   run stopped before that leaves one without a base, which is made again on resume;
 * - the preparation takes it only when the dependencies were merged in the order of the merge rule
 *   and each at the very commit its branch is at now; otherwise (a dependency failed QC and was
 *   fixed, or was handed over again) it is discarded and the module is prepared as usual;
 * - at the end of a build round, worktrees prepared for modules that did not start are removed with
 *   their branches, as those checked out ahead are (worktreesAhead.ts).
 */
import * as fs from 'node:fs';
import { abortMerge, branchCommits, branchExists, createWorktree, mergeAllNoFf } from '../git';
import { ENGINE_AUTHOR, type PipelineContext } from './context';
import { discardUnprepared, moduleWorktreePath, takeWorktreeMadeAhead } from './worktreesAhead';

interface Merged {
  /** The dependencies, in the order merged. */
  order: string[];
  /** The commit each was at when merged. */
  theirs: string[];
  /** The last merge: the module's base commit if it is taken. */
  head: string;
}

interface Prepared {
  /** Settles with the merges made, or undefined when none are usable; never rejects. */
  done: Promise<Merged | undefined>;
  /** The module's worktree and branch are this preparation's (to take, or to discard). */
  holdsWorktree: boolean;
  /** A dependency was handed over again after this began: what it merged may not be what passes. */
  stale: boolean;
}

const byRun = new WeakMap<object, Map<string, Prepared>>();

function preparedOf(ctx: PipelineContext): Map<string, Prepared> {
  let run = byRun.get(ctx);
  if (!run) byRun.set(ctx, (run = new Map()));
  return run;
}

/** One dependency merge: the dependency, and the merge commit's message. */
export interface DependencyMerge {
  dep: string;
  message: string;
}

/**
 * Every dependency of `module` is passed or in QC: its worktree gets their merges now, in the order
 * given, in the background. Asked again (a dependency handed over anew), the one made is marked
 * stale rather than redone under a preparation that may be taking it.
 */
export function prepareAhead(ctx: PipelineContext, module: string, merges: readonly DependencyMerge[]): void {
  const run = preparedOf(ctx);
  const known = run.get(module);
  if (known) {
    known.stale = true;
    return;
  }
  const prepared: Prepared = { done: Promise.resolve(undefined), holdsWorktree: false, stale: false };
  prepared.done = mergeAhead(ctx, module, [...merges], prepared).catch(() => undefined);
  run.set(module, prepared);
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
  return { order: deps.map((d) => d.dep), theirs: merged.theirs, head: merged.commit };
}

export type Taken =
  /** Nothing was prepared ahead, or nothing of it is held: prepare as usual. */
  | { kind: 'none' }
  /** Prepared ahead with what passed: its worktree holds every merge, checked out; `head` is its base. */
  | { kind: 'ready'; head: string }
  /** Prepared ahead with something that did not pass: discard the worktree and branch, then prepare as usual. */
  | { kind: 'discard' };

/**
 * The module's preparation takes what was prepared ahead for it (waiting for it to finish), when its
 * merges are those of the dependencies as they passed: `order` the merge rule's order now.
 */
export async function takePreparedAhead(ctx: PipelineContext, module: string, order: readonly string[]): Promise<Taken> {
  const run = preparedOf(ctx);
  const prepared = run.get(module);
  if (!prepared) return { kind: 'none' };
  run.delete(module);
  const merged = await prepared.done;
  if (!prepared.holdsWorktree) return { kind: 'none' };
  if (!merged || prepared.stale || merged.order.join('\0') !== order.join('\0')) return { kind: 'discard' };
  const now = await branchCommits(ctx.repoRoot, order.map((dep) => ctx.store.module(dep).branch));
  return now.every((commit, i) => commit === merged.theirs[i]) ? { kind: 'ready', head: merged.head } : { kind: 'discard' };
}

/**
 * The end of a build round: worktrees prepared ahead for modules that never started are removed with
 * their branches (the next round, or a resumed run, prepares them again from the contracts of then).
 */
export async function discardPreparedNotTaken(ctx: PipelineContext): Promise<void> {
  const run = preparedOf(ctx);
  const left = [...run];
  run.clear();
  await Promise.all(
    left.map(async ([module, prepared]) => {
      await prepared.done;
      if (!prepared.holdsWorktree) return;
      await discardUnprepared(ctx, module).catch((e: Error) =>
        ctx.store.emit({ type: 'log', level: 'warn', message: `could not remove the worktree prepared ahead for ${module}: ${e.message}` }),
      );
    }),
  );
}
