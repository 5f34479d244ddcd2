/**
 * `build-pipeline plan` and `build-pipeline implement`: phased plans carried out by a team (SPEC T1–T6).
 * Kept apart from main.ts so the pipeline's commands and these grow independently.
 */
import * as path from 'node:path';
import { strFlag, UsageError, type ParsedArgs } from './args';
import { loadConfig } from '../core/config';
import { openRepo } from '../core/git';
import { createPlan } from '../core/plans/create';
import { openModelSession } from '../core/plans/session';
import { formatPlanProblems } from '../core/plans/schema';
import { teamEventLine } from '../core/plans/eventText';
import { startImplement } from '../core/teams/implement';
import { runPrompt } from './runPrompt';
import { forTerminal } from './terminalText';
import { cancelOnSignals } from './signals';
import { shellWord } from './shellWord';
import { askDecision } from './gate';
import type { OfflineModelStarter } from '../core/api';
import { startScriptedModel } from '../scripted';

/** Offline, the built-in scripted model plays planner, auditor, reviewers and teammates. */
const offlineModel: OfflineModelStarter = () => startScriptedModel({});

export const PLAN_USAGE = `  build-pipeline plan "<description>" [--cwd DIR] [--offline]
  build-pipeline implement PLAN_DIR [--cwd DIR] [--yes] [--offline] [--fresh]`;

function cwdOf(args: ParsedArgs): string {
  return path.resolve(strFlag(args, 'cwd') ?? process.cwd());
}

function offlineOf(args: ParsedArgs): boolean {
  return args.flags.has('offline') || !process.env.ANTHROPIC_API_KEY;
}

export async function cmdPlan(args: ParsedArgs): Promise<number> {
  const description = args.positionals.join(' ').trim();
  if (!description) throw new UsageError('plan needs a description of the change');
  const { root } = await openRepo(cwdOf(args));
  const offline = offlineOf(args);
  if (offline) console.log('No ANTHROPIC_API_KEY or --offline: the built-in scripted model plays the planner (demo).');
  const session = await openModelSession({ config: loadConfig(root), offline, offlineModel, repoRoot: root });
  session.onEvent((e) => {
    const line = teamEventLine(e);
    if (line) console.log(forTerminal(line));
  });
  const stopListening = cancelOnSignals((reason) => session.cancel(reason));
  try {
    const result = await createPlan(session, root, description);
    if (result.problems.length > 0) {
      console.log(forTerminal(`The plan in ${result.dir} still has ${result.problems.length} problem(s):\n${formatPlanProblems(result.problems)}`));
      return 1;
    }
    console.log(`Plan written: ${result.dir} (${result.plan?.phases.length ?? 0} phases). Read and edit it, then:\n  build-pipeline implement ${shellWord(path.relative(root, result.dir))} --cwd ${shellWord(root)}`);
    return 0;
  } finally {
    stopListening();
    await session.close();
  }
}

export async function cmdImplement(args: ParsedArgs): Promise<number> {
  const planArg = args.positionals[0];
  if (!planArg) throw new UsageError('implement needs a PLAN_DIR (a folder with plan.md and phase-NN-slug.md files)');
  const { root } = await openRepo(cwdOf(args));
  const offline = offlineOf(args);
  if (offline) console.log('No ANTHROPIC_API_KEY or --offline: the built-in scripted model plays the team (demo).');
  const yes = args.flags.has('yes');
  const handle = await startImplement({
    repoRoot: root,
    planDir: path.resolve(cwdOf(args), planArg),
    offline,
    fresh: args.flags.has('fresh'),
    offlineModel,
    gate: async (req, signal) => {
      if (yes) {
        console.log(forTerminal(`⏸ ${req.title} — approved (--yes)`));
        return 'approve';
      }
      if (!process.stdin.isTTY || !process.stdout.isTTY) return 'later';
      const rl = runPrompt();
      try {
        console.log(forTerminal(`\n⏸ ${req.title}\n${req.summary}`));
        const answer =
          req.gate === 'ship'
            ? await askDecision(rl, '[a]pprove and merge, request [c]hanges, [r]eject, decide [l]ater? ', ['approve', 'changes', 'reject', 'later'], signal)
            : await askDecision(rl, '[a]pprove and implement, [r]eject, decide [l]ater? ', ['approve', 'reject', 'later'], signal);
        return answer.decision === 'changes' ? answer : answer.decision;
      } finally {
        rl.close();
      }
    },
  });
  console.log(`${handle.resumed ? 'Resuming' : 'Implementing'} ${planArg}: run ${handle.runId}\n  ${handle.runDir}`);
  if (handle.setAside) console.log(`(--fresh: run ${handle.setAside} of this plan is left as it was, with its branches; it is not resumed)`);
  handle.onEvent((e) => {
    const line = teamEventLine(e);
    if (line) console.log(forTerminal(line));
  });
  const stopListening = cancelOnSignals((reason) => handle.cancel(reason));
  let result;
  try {
    result = await handle.done;
  } finally {
    stopListening();
  }
  const r = result.report;
  console.log(forTerminal(
    [
      `\n${r.status.toUpperCase()}${r.reason ? `: ${r.reason}` : ''}`,
      `first-attempt review pass rate: ${r.firstAttemptReviewPassRate === null ? 'n/a' : `${Math.round(r.firstAttemptReviewPassRate * 100)}%`}; carried test failures: ${r.carriedTestFailures}`,
      `orchestrator context: largest ${r.orchestratorContext.maxBytes} B, total ${r.orchestratorContext.totalBytes} B over ${r.orchestratorContext.calls} call(s)`,
      `messages sent/delivered: ${r.messages.sent}/${r.messages.delivered}; teammates spawned/idle/dead: ${r.teammates.spawned}/${r.teammates.idle}/${r.teammates.dead}`,
      `report: ${path.join(handle.runDir, 'report.md')}`,
    ].join('\n'),
  ));
  if (r.status === 'succeeded') {
    const shipped = r.ship?.shipped;
    console.log(shipped ? `Shipped: ${r.integrationBranch} merged into ${shipped.branch} as ${shipped.commit.slice(0, 12)} (previous head ${shipped.previousHead.slice(0, 12)})` : `Integration branch: ${r.integrationBranch}`);
    return 0;
  }
  if (r.status === 'awaiting-approval') {
    // --yes answers every gate of the run that follows, the ship gate's merge into the base included: say so.
    const base = result.state.baseBranch;
    console.log(forTerminal(`\nAwaiting a decision (${r.reason ?? 'gate'}). Answer it by running again on a terminal, or approve with:\n  build-pipeline implement ${shellWord(planArg)} --cwd ${shellWord(root)} --yes\n(--yes approves every gate still ahead as well, including the ship gate: the merge into ${base}.)`));
    return 3;
  }
  // Halted or cancelled: the same command resumes it (for a halt, another try at what stopped it).
  const again = `build-pipeline implement ${shellWord(planArg)} --cwd ${shellWord(root)}`;
  console.log(
    forTerminal(
      r.status === 'halted'
        ? `\nRun it again to resume (another try at what halted it; mend the cause first if you can):\n  ${again}\nor start the plan over as a new run:\n  ${again} --fresh`
        : `\nResume it with:\n  ${again}`,
    ),
  );
  return 1;
}
