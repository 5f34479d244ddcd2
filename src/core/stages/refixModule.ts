/**
 * Sending an already merged module back to its builder after assembly: harden's MAJOR findings
 * (Stage 5) and ship-gate feedback that names the module (Stage 6) both go through here.
 *
 * One round = the module's worktree brought up to date with the integration branch → builder with
 * the findings → QC (→ QC's own fix cycles) → the module merged into the integration branch again →
 * the integration tests. A re-merge that conflicts or turns the tests red is rolled back and starts
 * another round with that failure as the findings, for as long as the module has fix cycles left
 * (the same budget the build stage uses). When it cannot be fixed (no cycles left, the builder or QC
 * gave up, the integration branch does not merge into the module) the outcome says why and the
 * caller reports it for the human; the integration branch then still holds the last good merge.
 */
import { agentShellEnv } from '../agents/env';
import { abortMerge, headCommit, mergeNoFf, resetHard, resolveCommit } from '../git';
import { git } from '../git/run';
import { runCommand } from '../shell';
import { moduleDirOf } from '../stack/commands';
import { developModule } from './build';
import { SENT_BY } from './fixRequest';
import { integrationTestCommand } from './moduleTestCommand';
import { prepareModuleWorktree } from './moduleWorktree';
import { ENGINE_AUTHOR, type PipelineContext } from './context';
import type { RefixCause, RefixFinding } from '../contracts/schemas';

export type { RefixFinding };

export type RefixOutcome =
  /** Merged again with green integration tests after `cycles` fix cycle(s). */
  | { status: 'merged'; commit: string; cycles: number }
  /** Could not be fixed; the integration branch keeps the module's previous merge. For the human. */
  | { status: 'open'; reason: string; cycles: number }
  /** The run was stopped (cancel, FAIL-CRITICAL): the caller halts. */
  | { status: 'stopped'; reason: string; cycles: number };

/** How much of a failing test run the builder gets back: the end, where the failures are summed up. */
const TEST_OUTPUT_TAIL = 3000;

export async function refixModule(ctx: PipelineContext, name: string, findings: RefixFinding[], cause: RefixCause): Promise<RefixOutcome> {
  const manifest = ctx.contracts().manifest;
  const spec = manifest.modules.find((m) => m.name === name);
  if (!spec) return { status: 'open', reason: `${name} is not a module of this project`, cycles: 0 };
  const integration = ctx.store.state.integrationBranch;
  const iwt = ctx.store.paths.integrationWorktree;
  // A failed re-merge the last run left for its next round to fix: that round works on its findings.
  const remergeLeft = ctx.store.module(name).refixRemerge;
  const remergeOfThisCause = remergeLeft?.cause === cause ? remergeLeft : undefined;
  let input = remergeOfThisCause?.findings ?? findings;
  let from: string = remergeOfThisCause ? SENT_BY.remerge : SENT_BY[cause];
  let cycles = 0;
  const restoreMerged = (why: string) => {
    // The integration branch still holds the module's last good merge: that is what ships.
    ctx.store.update((s) => {
      const m = s.modules.find((x) => x.name === name)!;
      m.status = 'merged';
      m.detail = why.slice(0, 300);
      m.refixRemerge = undefined;
    });
    ctx.store.emit({ type: 'module-status', module: name, status: 'merged', detail: why.slice(0, 300) });
  };

  // A round stopped before its end is not a cycle spent: the resume runs it again (refixUnfinished).
  let roundOpen = false;
  const stopped = (): RefixOutcome => ({ status: 'stopped', reason: String(ctx.signal.reason ?? 'run stopped'), cycles: roundOpen ? cycles - 1 : cycles });
  const roundEnded = () => {
    roundOpen = false;
    ctx.store.update((s) => (s.modules.find((x) => x.name === name)!.refixUnfinished = undefined));
  };
  /** The re-merge failed: the next round fixes that, and the state keeps it for a resume of that round. */
  const remergeFailed = (why: RefixFinding[]) => {
    from = SENT_BY.remerge;
    input = why;
    ctx.store.update((s) => (s.modules.find((x) => x.name === name)!.refixRemerge = { cause, findings: why }));
  };

  for (;;) {
    if (ctx.signal.aborted) return stopped();
    // A round the last run started for the same findings' source and did not end was counted then;
    // this one continues it. (A flag left by the other source counts as nothing here.)
    const resumedRound = ctx.store.module(name).refixUnfinished === cause;
    const used = ctx.store.module(name).fixCycles - (resumedRound ? 1 : 0);
    // Killed after its re-merge and before the tests' result, the last run left that merge untested on
    // the integration branch: it goes before anything merges the branch into the module again.
    if (resumedRound) await forgetUntestedRemerge(ctx, name, remergeMessage(cause, name));
    if (used >= ctx.config.fixCycles) {
      const reason = `${name} has no fix cycles left (${used} of ${ctx.config.fixCycles} used)`;
      roundEnded();
      restoreMerged(`${cause}: left open, ${reason}`);
      return { status: 'open', reason, cycles };
    }
    ctx.store.emit({ type: 'log', level: 'warn', message: `${cause}: sending ${name} back to its builder (${input.length} finding(s), fix cycle ${used + 1} of ${ctx.config.fixCycles})` });

    const wt = await prepareModuleWorktree(ctx, spec);
    const upToDate = await mergeNoFf(wt, integration, `${cause}(${name}): bring in the integration branch`, ENGINE_AUTHOR);
    if (upToDate.status === 'conflict') {
      await abortMerge(wt);
      const reason = `${integration} does not merge into ${name}: conflicts in ${upToDate.files.map((f) => f.path).join(', ')}`;
      roundEnded();
      restoreMerged(`${cause}: left open, ${reason}`);
      return { status: 'open', reason, cycles };
    }
    // The engine's own merge is where the builder's ownership check starts: without this the builder's
    // commit would be reset to before the merge and the module would not be up to date after all.
    const upToDateHead = await headCommit(wt);
    ctx.store.update((s) => {
      const m = s.modules.find((x) => x.name === name)!;
      m.fixCycles = used + 1;
      m.refixUnfinished = cause;
      m.engineHead = upToDateHead;
    });
    cycles++;
    roundOpen = true;
    const status = await developModule(ctx, spec, { from, findings: JSON.stringify(input, null, 2) });
    if (ctx.signal.aborted) return stopped();
    if (status !== 'passed') {
      const reason = `${name} was sent back and ended ${status}${ctx.store.module(name).detail ? ` (${ctx.store.module(name).detail})` : ''}`;
      roundEnded();
      restoreMerged(`${cause}: left open, ${reason}`);
      return { status: 'open', reason, cycles };
    }

    const before = await headCommit(iwt);
    const moduleDir = moduleDirOf(manifest, name);
    const merged = await mergeNoFf(iwt, ctx.store.module(name).branch, remergeMessage(cause, name), ENGINE_AUTHOR);
    if (merged.status === 'conflict') {
      await abortMerge(iwt);
      const files = merged.files.map((f) => f.path);
      recordMerge(ctx, name, undefined, 'conflict', 'not-run');
      roundEnded();
      remergeFailed([{ severity: 'MAJOR', file: files[0] ?? moduleDir, line: null, text: `Merging ${name} into the integration branch again conflicts in ${files.join(', ')}; the merge was abandoned. Keep your changes inside ${moduleDir}/ and do not touch files other modules or the engine own.` }]);
      continue;
    }
    const tests = await runCommand(integrationTestCommand(ctx), iwt, agentShellEnv('engine'), ctx.config.testTimeoutMs, ctx.signal, ctx.sandbox);
    if (ctx.signal.aborted) {
      // Killed by the stop, the tests failed nothing: the untested merge goes, and no FAILED merge is recorded.
      await resetHard(iwt, before);
      return stopped();
    }
    if (tests.exitCode !== 0 || tests.timedOut) {
      await resetHard(iwt, before);
      recordMerge(ctx, name, undefined, 'clean', 'fail');
      roundEnded();
      ctx.store.emit({ type: 'merge', module: name, result: 'clean', tests: 'fail' });
      remergeFailed([
        {
          severity: 'MAJOR',
          file: moduleDir,
          line: null,
          text: `After ${name} was merged into the integration branch again, the integration tests (\`${integrationTestCommand(ctx)}\`) ${tests.timedOut ? 'timed out' : 'failed'}; the merge was rolled back. End of their output:\n${tests.output.slice(-TEST_OUTPUT_TAIL)}`,
        },
      ]);
      continue;
    }
    const commit = await headCommit(iwt);
    ctx.store.update((s) => {
      const m = s.modules.find((x) => x.name === name)!;
      m.status = 'merged';
      m.mergeCommit = commit;
      m.detail = `merged again after ${cause}`;
      m.refixUnfinished = undefined;
      m.refixRemerge = undefined;
    });
    roundOpen = false;
    recordMerge(ctx, name, commit, 'clean', 'pass');
    ctx.store.emit({ type: 'merge', module: name, result: 'clean', tests: 'pass' });
    ctx.store.emit({ type: 'module-status', module: name, status: 'merged', detail: `merged again after ${cause}` });
    return { status: 'merged', commit, cycles };
  }
}

function remergeMessage(cause: RefixCause, name: string): string {
  return `${cause}: merge ${name} again after its fix cycle`;
}

/**
 * The integration branch's head when it is this round's own re-merge (its message, the module's
 * branch tip as its second parent) and the state does not record it: the run was killed between that
 * merge and its tests' result. Rolled back, so the round merges and tests it again; anything else at
 * the head (another module's merge, a recorded one) is left alone.
 */
async function forgetUntestedRemerge(ctx: PipelineContext, name: string, message: string): Promise<void> {
  const iwt = ctx.store.paths.integrationWorktree;
  const module = ctx.store.module(name);
  const [ids = '', subject = ''] = (await git(iwt, ['log', '-1', '--format=%H %P%n%s', 'HEAD'])).split('\n');
  const [head, firstParent, secondParent, ...more] = ids.trim().split(' ');
  if (!head || !firstParent || !secondParent || more.length || head === module.mergeCommit || subject.trim() !== message) return;
  if (secondParent !== (await resolveCommit(iwt, `refs/heads/${module.branch}`))) return;
  await resetHard(iwt, firstParent);
  ctx.store.emit({ type: 'log', level: 'warn', message: `found a re-merge of ${name} whose tests never ended (the run was killed); rolled it back to merge and test it again` });
}

function recordMerge(ctx: PipelineContext, name: string, commit: string | undefined, merge: 'clean' | 'conflict', tests: 'pass' | 'fail' | 'not-run'): void {
  ctx.store.update((s) => {
    const m = s.modules.find((x) => x.name === name)!;
    s.merges.push({ module: name, branch: m.branch, ...(commit ? { commit } : {}), merge, tests, status: tests === 'pass' ? 'MERGED' : 'FAILED' });
  });
}

/**
 * The modules a piece of free text (ship-gate feedback) names: a module's name as a whole word,
 * case-insensitive. "Whole word" treats `-`, `_` and `.` between letters as part of a name, so
 * "greeter-cli" (the project) does not name "greeter", while "greeter.", "`greeter`" and
 * "src/greeter/index.js" do. Returned in the manifest's order, each once.
 */
export function modulesNamedIn(text: string, moduleNames: readonly string[]): string[] {
  return moduleNames.filter((name) => {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(?<![A-Za-z0-9_.-])${escaped}(?![A-Za-z0-9_-]|\\.[A-Za-z0-9_])`, 'i').test(text);
  });
}
