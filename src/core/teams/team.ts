/**
 * A phase's team at work (T5). The lead is this code: it spawns the teammates once, wakes an idle
 * teammate only when there is a task it can claim (an idle teammate makes no model calls), merges
 * each finished builder task into the phase branch, delivers mail at turn boundaries, and tells
 * idle from dead. A dead teammate's worktree goes back to its last commit and its claims go back
 * on the list for a live teammate; a replacement is spawned only when no teammate of that role is
 * alive, and never under a name that exists.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import type { BetaMessageParam } from '@anthropic-ai/sdk/resources/beta';
import { runAgent } from '../agents/runAgent';
import { fileTools, limitsNote, toolNames, type ToolName } from '../agents/tools';
import { loadTemplate, renderPrompt } from '../prompts';
import { abortMerge, addWorktreeForBranch, commitAll, createWorktree, currentBranch, discardUncommitted, headCommit, headCommitInfo, mergeNoFf, moduleBranch, resetHard } from '../git';
import { quoteUntrusted } from '../contracts/names';
import { addUsage } from '../usage';
import type { ModelSession } from '../plans/session';
import { formatMail, type Mailbox } from './mailbox';
import { loadConversation, saveConversation, type Conversation, type Roster, type Teammate } from './roster';
import type { TaskList, TeamTask } from './taskList';
import { teamTools, withMailDelivery } from './teamTools';
import { nn } from './state';
import { agentLimitsFor } from '../config';
import { roleShell } from '../sandbox/stageShell';
import { provideDependencies } from '../stack/dependencyStore';

export interface TeamContext {
  session: ModelSession;
  runId: string;
  repoRoot: string;
  phase: number;
  phaseTitle: string;
  phaseWt: string;
  worktreesDir: string;
  teamDir: string;
  tasks: TaskList;
  mailbox: Mailbox;
  roster: Roster;
  testCommand: string;
  /** Dead when a wake makes no tool call or model turn for this long. */
  stallMs: number;
  /** Two builders and a validator (a phase of 3+ tasks), or one builder. */
  teamMode: boolean;
  /** Fix rounds after a failed validation before the task fails. */
  maxValidationFixes: number;
  /** Conversations longer than this are compacted before the next wake. */
  compactBytes: number;
  /** The run's dependency install the worktrees' lent folders must be of (dependencies.ts). */
  dependencyGeneration?: string;
}

export class TeamError extends Error {}

const MAX_DEATHS_PER_ROLE = 3;

const ROLE_TOOLSETS: Record<Teammate['role'], readonly ToolName[]> = {
  builder: ['bash', 'read', 'write', 'edit', 'glob', 'grep'],
  validator: ['bash', 'read', 'glob', 'grep'],
};

const ROLE_RULES: Record<Teammate['role'], string> = {
  builder:
    'You implement tasks: change the files the task names (and what they need), keep the existing tests green, add tests for what you add, then complete the task. ' +
    'After completing a task, tell the validator what you changed if the team has one.',
  validator:
    'You check a builder task that is already merged: read the files it changed, run the tests, and compare the result with the task. ' +
    'You have no write tools; report `ok: false` with the concrete problem when the work is wrong or incomplete, so a fix task is created.',
};

function emitState(tc: TeamContext, t: Teammate, detail?: string): void {
  tc.session.emit({ type: 'teammate-state', phase: nn(tc.phase), name: t.name, role: t.role, state: t.state, task: t.task, detail });
}

async function phaseHead(tc: TeamContext): Promise<string> {
  return headCommit(tc.phaseWt);
}

async function spawn(tc: TeamContext, name: string, role: Teammate['role']): Promise<Teammate> {
  const branch = moduleBranch(tc.runId, `phase-${nn(tc.phase)}-${name}`);
  const worktree = path.join(tc.worktreesDir, `phase-${nn(tc.phase)}-${name}`);
  const head = await phaseHead(tc);
  await createWorktree(tc.repoRoot, worktree, branch, head);
  // The phase's installed dependencies (lent from the integration worktree), for the teammate's tests.
  await provideDependencies(tc.phaseWt, worktree, 'hardlink', tc.dependencyGeneration);
  const mate = tc.roster.add({ name, role, worktree, branch, lastCommit: head });
  emitState(tc, mate, 'spawned');
  return mate;
}

/** The initial team, or the team as it was (after a resume: working becomes idle, claims kept). */
export async function assembleTeam(tc: TeamContext): Promise<void> {
  if (tc.roster.teammates.length === 0) {
    const roles: Teammate['role'][] = tc.teamMode ? ['builder', 'builder', 'validator'] : ['builder'];
    for (const role of roles) await spawn(tc, tc.roster.nextName(role), role);
    return;
  }
  for (const t of tc.roster.teammates) {
    if (t.state === 'working') t.state = 'idle';
    if (t.state === 'dead') continue;
    if (!fs.existsSync(t.worktree)) await addWorktreeForBranch(tc.repoRoot, t.worktree, t.branch);
    // Also finishes a tree a killed process left half-lent (it is left alone once whole).
    await provideDependencies(tc.phaseWt, t.worktree, 'hardlink', tc.dependencyGeneration);
  }
  tc.roster.save();
}

function wakeText(tc: TeamContext, t: Teammate, held: TeamTask | undefined, mail: string | undefined): string {
  const lines = ['<wake>'];
  if (held) {
    lines.push(`You hold task ${held.id} from before an interruption; your worktree is as you left it at your last commit or after. Finish it and complete it.`);
    lines.push(`held_task:\n${[`claimed ${held.id}: ${held.title}`, `kind: ${held.kind}`, `files: ${held.files.join(', ') || '-'}`, `details: ${held.details || '-'}`].join('\n')}`);
  } else {
    const claimable = tc.tasks.claimable(t.role);
    lines.push(claimable.length ? 'Claimable tasks for you (claim one with claim_task):' : 'No task is claimable for you right now; end your turn.');
    for (const c of claimable) lines.push(`- ${c.id} (${c.kind}): ${c.title}`);
  }
  lines.push('</wake>');
  if (mail) lines.push(mail);
  return lines.join('\n');
}

/** Keeps a long conversation useful and bounded: the task card, notes on finished tasks, nothing else. */
function compact(c: Conversation, limit: number): Conversation {
  if (Buffer.byteLength(JSON.stringify(c.messages)) <= limit || c.messages.length === 0) return c;
  const first = c.messages[0]!;
  const content = first.content ?? '';
  const card = typeof content === 'string' ? content : content.map((b) => (b.type === 'text' ? b.text : '')).join('\n');
  const summary = `${card.split('</task-card>')[0]}</task-card>\n\n<earlier-work>\n${c.notes.join('\n')}\n</earlier-work>`;
  return { ...c, messages: [{ role: 'user', content: summary }, { role: 'assistant', content: 'Noted; I will build on that work.' }] };
}

/**
 * The history a wake continues from. A conversation saved mid-turn ends with tool results (the
 * process stopped before the model's next turn). If the teammate still holds its task, that is the
 * interrupted turn itself: it goes on from there, told of the interruption and given any new mail,
 * instead of starting the task over. Any other wake is a new message; after tool results it rides in
 * the same user message (the turns must alternate).
 */
export function wakeHistory(conv: Conversation, held: TeamTask | undefined, taskCard: string, wake: () => string, mail: () => string | undefined): BetaMessageParam[] {
  const last = conv.messages.at(-1);
  if (last?.role === 'user' && Array.isArray(last.content) && last.content.some((b) => b.type === 'tool_result')) {
    let text: string;
    if (held) {
      const m = mail();
      text = `<resumed>The run was interrupted after the tool results above and has resumed. You still hold ${held.id}; your worktree is as those results left it. Continue where you were.</resumed>${m ? `\n${m}` : ''}`;
    } else {
      text = wake();
    }
    return [...conv.messages.slice(0, -1), { role: 'user', content: [...last.content, { type: 'text', text }] }];
  }
  const text = wake();
  return conv.messages.length === 0 ? [{ role: 'user', content: `${taskCard}\n${text}` }] : [...conv.messages, { role: 'user', content: text }];
}

/**
 * Which idle teammates of one role to wake now. One holding a task (after an interruption) always
 * wakes. Otherwise each claimable task wakes at most one teammate, and a teammate already awake
 * without a task counts against the tasks: it is about to claim one. Without that, a teammate woken
 * while another was still deciding would race it for the same task, lose, and have woken for nothing.
 */
export function teammatesToWake(mates: readonly { name: string; running: boolean; idle: boolean; holds: boolean }[], claimable: number): string[] {
  let slots = claimable - mates.filter((m) => m.running && !m.holds).length;
  const wake: string[] = [];
  for (const m of mates) {
    if (m.running || !m.idle) continue;
    if (m.holds) wake.push(m.name);
    else if (slots > 0) {
      slots--;
      wake.push(m.name);
    }
  }
  return wake;
}

interface Running {
  promise: Promise<void>;
}

export async function runTeam(tc: TeamContext): Promise<void> {
  await assembleTeam(tc);
  reopenFailedValidations(tc);
  // Replacements are bounded per call: deaths of an earlier call (or of the process before a resume)
  // used up that call's budget, not this one's, or a resume would halt the same way forever.
  const deadAtStart = new Set(tc.roster.teammates.filter((m) => m.state === 'dead').map((m) => m.name));
  const diedInThisCall = (role: Teammate['role']) => tc.roster.teammates.filter((m) => m.role === role && m.state === 'dead' && !deadAtStart.has(m.name));
  const running = new Map<string, Running>();
  /** Every turn under way, ended well or not: nothing changes the task list after the caller goes on. */
  const settleAll = () => Promise.allSettled([...running.values()].map((r) => r.promise));
  const idleWakes = new Map<string, number>();
  let mergeQueue: Promise<unknown> = Promise.resolve();
  const serialMerge = <T>(work: () => Promise<T>): Promise<T> => {
    const next = mergeQueue.then(work, work);
    mergeQueue = next.catch(() => undefined);
    return next;
  };
  let leadThrough = Math.max(0, ...tc.mailbox.all().filter((m) => m.to === 'lead' && tc.mailbox.delivered.has(m.seq)).map((m) => m.seq));

  const deliverLeadMail = () => {
    for (const m of tc.mailbox.pendingFor('lead', leadThrough)) {
      tc.mailbox.markDelivered(m);
      leadThrough = m.seq;
      tc.session.emit({ type: 'team-message', phase: nn(tc.phase), seq: m.seq, from: m.from, to: 'lead', event: 'delivered', text: m.text });
    }
  };

  const wake = async (t: Teammate): Promise<boolean> => {
    const held = tc.tasks.heldBy(t.name)[0];
    t.state = 'working';
    t.task = held?.id;
    t.wakes++;
    tc.roster.save();
    emitState(tc, t, held ? 'resuming its task' : undefined);
    const startHead = await phaseHead(tc);
    if (!held) {
      // A fresh task starts from the phase as merged so far; its previous work is in there already.
      await resetHard(t.worktree, startHead);
      if (t.role === 'builder') t.lastCommit = startHead;
      tc.roster.save();
    }
    let conv = compact(loadConversation(tc.teamDir, t.name), tc.compactBytes);
    const delivered = { through: conv.deliveredThrough };
    const takeMail = (): string | undefined => {
      const pending = tc.mailbox.pendingFor(t.name, delivered.through);
      if (pending.length === 0) return undefined;
      for (const m of pending) {
        tc.mailbox.markDelivered(m);
        tc.session.emit({ type: 'team-message', phase: nn(tc.phase), seq: m.seq, from: m.from, to: m.to, event: 'delivered', text: m.text });
      }
      delivered.through = pending.at(-1)!.seq;
      return formatMail(pending);
    };
    const agentId = `p${nn(tc.phase)}-${t.name}-${t.wakes}`;
    const observe = tc.session.observer(agentId);
    let progressed = false;
    let completedInTurn: string | undefined;
    const team = tc.roster.teammates.filter((m) => m.name !== t.name).map((m) => `${m.name} (${m.role})`);
    const tools = [
      ...fileTools(
        ROLE_TOOLSETS[t.role],
        { workdir: t.worktree, readOnlyRoots: t.role === 'validator' ? [t.worktree] : [], ...roleShell(tc.session, t.worktree, t.name, t.role === 'validator' ? 'read-only' : 'writes-worktree') },
        observe,
      ),
      ...teamTools(
        {
          name: t.name,
          role: t.role,
          tasks: tc.tasks,
          send: (to, text) => {
            if (to !== 'lead' && !tc.roster.get(to)) throw new ToolError(`send_message: there is no teammate ${to} (team: ${team.join(', ') || 'none'}, or lead)`);
            if (tc.roster.get(to)?.state === 'dead') throw new ToolError(`send_message: ${to} is no longer on the team`);
            const m = tc.mailbox.send(t.name, to, text);
            tc.session.emit({ type: 'team-message', phase: nn(tc.phase), seq: m.seq, from: m.from, to: m.to, event: 'sent', text: m.text });
            return `sent #${m.seq} to ${to}`;
          },
          finishWork: async (task) => {
            if (t.role !== 'builder') return {};
            // The engine commits outside the sandbox, so on the teammate's own branch only. A shell run
            // without the sandbox may have switched branches, or made its own branch a symbolic ref to
            // another branch of the run (the integration branch); currentBranch follows such a chain.
            const on = await currentBranch(t.worktree);
            if (on !== t.branch) throw new ToolError(`complete_task: your worktree is on ${on === null ? 'a detached HEAD' : quoteUntrusted(on)}, not on your branch ${t.branch}; switch back (git switch ${t.branch}) and complete the task again`);
            const message = `${task.id}: ${task.title}`;
            let commit = await commitAll(t.worktree, message, { name: t.name, email: `${t.name}@agents.build-pipeline.invalid` });
            if (commit === null) {
              // A process stopped after this commit and before the task was completed leaves the
              // task held and the work committed (its merge made or not): that commit is the work.
              const head = await headCommitInfo(t.worktree);
              if (head.subject === message && head.author === t.name) commit = head.commit;
            }
            if (commit === null) throw new ToolError(`complete_task: nothing changed in your worktree; make the change for ${task.id} first`);
            return serialMerge(async () => {
              const merged = await mergeNoFf(tc.phaseWt, t.branch, `phase ${nn(tc.phase)}: ${task.id} ${task.title} (${t.name})`);
              if (merged.status === 'conflict') {
                await abortMerge(tc.phaseWt);
                const head = await phaseHead(tc);
                await resetHard(t.worktree, head);
                t.lastCommit = head;
                tc.tasks.release(t.name, task.id);
                tc.roster.save();
                throw new ToolError(`complete_task: your change conflicts with work merged meanwhile (${merged.files.map((f) => f.path).join(', ')}); ${task.id} was released and your worktree reset to the phase; claim it again to redo it on top`);
              }
              t.lastCommit = commit;
              tc.roster.save();
              return { commit };
            });
          },
          // The worktree was brought to the phase head when this wake began, not since: a task
          // claimed after completing one would start without what others merged meanwhile (a
          // dependency it waited for, even). The next task comes with the next wake.
          claimRefusal: () => (completedInTurn ? `you completed ${completedInTurn} in this turn; end your turn now. You are woken for your next task with the phase as merged so far.` : undefined),
          afterComplete: (task) => {
            progressed = true;
            completedInTurn = task.id;
            conv.notes.push(`${task.id} (${task.title}): ${tc.tasks.get(task.id)?.summary?.slice(0, 200) ?? ''}`);
            tc.session.emit({ type: 'task-status', phase: nn(tc.phase), task: task.id, status: 'complete', by: t.name });
            if (task.kind === 'validate' && tc.tasks.get(task.id)?.ok === false) addValidationFix(tc, task);
          },
        },
        observe,
      ),
    ].map((tool) => withMailDelivery(tool, takeMail));
    const prompt = renderPrompt(loadTemplate('teammate'), {
      name: t.name,
      team_role: t.role,
      phase: nn(tc.phase),
      phase_title: tc.phaseTitle,
      teammates: team.join(', ') || 'none',
      test_command: tc.testCommand,
      role_rules: ROLE_RULES[t.role],
      // The tool line and shell timeout the pipeline's roles are told (stages/roleAgent.ts).
      tools: `${toolNames(tools)}. ${limitsNote(tools.map((x) => x.name), agentLimitsFor(tc.session.config, 'builder', 'sonnet').maxTokens, tc.session.config.toolResultMaxChars)}`,
      bash_timeout_s: Math.round(tc.session.config.bashTimeoutMs / 1000),
    });
    const history = wakeHistory(conv, held, prompt.task, () => wakeText(tc, t, held, takeMail()), takeMail);
    // Saved after every batch of tool results, with the mail delivered so far: a crash mid-turn
    // loses neither the work done in the turn nor the record of the mail it received.
    const saveTurn = (messages: readonly BetaMessageParam[]) => saveConversation(tc.teamDir, t.name, { ...conv, messages: [...messages], deliveredThrough: delivered.through });

    // No progress for stallMs (no model turn, no tool call) = dead; the watchdog stops this wake alone.
    // AbortSignal.any, not a listener on the run's signal: a cancel that came while this wake was
    // being prepared (the awaits above) has fired already, and a listener added now would never hear
    // it; the wake would run whole turns after the stop.
    const watchdog = new AbortController();
    const signal = AbortSignal.any([tc.session.signal, watchdog.signal]);
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => watchdog.abort(`no progress for ${tc.stallMs} ms`), tc.stallMs);
    };
    const watch = tc.session.onEvent((e) => {
      if ('agentId' in e && e.agentId === agentId) arm();
    });
    arm();
    try {
      const result = await runAgent(
        {
          agentId,
          role: `teammate-${t.role}`,
          stage: `phase-${nn(tc.phase)}`,
          tier: 'sonnet',
          model: tc.session.modelFor('sonnet'),
          system: [prompt.system],
          task: prompt.task,
          history,
          tools,
          onToolResults: saveTurn,
          ...agentLimitsFor(tc.session.config, 'builder', 'sonnet'),
          isComplete: () => tc.tasks.heldBy(t.name).length === 0,
          nudge: `You still hold ${tc.tasks.heldBy(t.name)[0]?.id ?? 'a task'}. Finish it and call complete_task.`,
        },
        tc.session.runtime(signal),
      );
      addUsage(t.usage, result.usage);
      conv = { ...conv, messages: result.messages, deliveredThrough: delivered.through };
      saveConversation(tc.teamDir, t.name, conv);
    } catch (e) {
      // Stopped by the watchdog (not by a cancel of the run): say why it died, not merely "cancelled".
      if (watchdog.signal.aborted && !tc.session.signal.aborted) throw new TeamError(String(watchdog.signal.reason));
      throw e;
    } finally {
      clearTimeout(timer);
      watch.dispose();
    }
    // A validator's shell must not leave anything behind in what it checks.
    if (t.role === 'validator') await discardUncommitted(t.worktree, await phaseHead(tc));
    if (tc.tasks.heldBy(t.name).length > 0) throw new TeamError(`${t.name} ended its turn still holding ${tc.tasks.heldBy(t.name)[0]!.id}`);
    t.state = 'idle';
    t.task = undefined;
    tc.roster.save();
    emitState(tc, t);
    return progressed;
  };

  const die = async (t: Teammate, reason: string): Promise<void> => {
    t.state = 'dead';
    t.diedReason = reason.slice(0, 300);
    t.task = undefined;
    if (t.role === 'builder') await discardUncommitted(t.worktree, t.lastCommit).catch(() => []);
    tc.roster.save();
    emitState(tc, t, reason.slice(0, 200));
    for (const task of tc.tasks.release(t.name)) {
      tc.session.emit({ type: 'task-status', phase: nn(tc.phase), task: task.id, status: 'released', detail: `${t.name} died; back on the list` });
    }
  };

  const start = (t: Teammate) => {
    const promise = wake(t).then(
      (progressed) => {
        // A teammate woken for work that keeps ending without doing any is making no progress.
        const n = progressed ? 0 : (idleWakes.get(t.name) ?? 0) + 1;
        idleWakes.set(t.name, n);
        if (n >= 3) return die(t, 'made no progress in 3 wakes with work available');
      },
      async (e: unknown) => {
        if (tc.session.signal.aborted) {
          t.state = 'idle';
          tc.roster.save();
          throw e;
        }
        await die(t, (e as Error).message ?? String(e));
      },
    );
    running.set(t.name, { promise: promise.finally(() => running.delete(t.name)) });
  };

  for (;;) {
    if (tc.session.signal.aborted) {
      // The wake that settled first may have ended well while another is still merging its task:
      // every turn settles before the run is declared stopped, as in the catch below.
      await settleAll();
      throw new TeamError(`cancelled: ${String(tc.session.signal.reason ?? '')}`);
    }
    deliverLeadMail();
    if (tc.tasks.allDone()) break;
    const failed = tc.tasks.tasks.filter((x) => x.status === 'failed');
    if (failed.length > 0) {
      // The phase halts, but teammates still mid-turn would go on calling the model, merging and
      // writing the task list after the run is declared halted (and its lock released): every turn
      // settles first, as for a stop.
      await settleAll();
      throw new TeamError(`task ${failed[0]!.id} failed: ${failed[0]!.summary ?? ''}. Running implement again validates it again, with one more fix round`);
    }
    for (const role of ['builder', 'validator'] as const) {
      const toWake = teammatesToWake(
        tc.roster.live(role).map((t) => ({ name: t.name, running: running.has(t.name), idle: t.state === 'idle', holds: tc.tasks.heldBy(t.name).length > 0 })),
        tc.tasks.claimable(role).length,
      );
      for (const name of toWake) start(tc.roster.get(name)!);
    }
    if (running.size === 0) {
      const open = tc.tasks.tasks.filter((x) => x.status === 'pending' || x.status === 'claimed');
      const orphaned = (['builder', 'validator'] as const).filter((role) => open.some((x) => x.role === role) && tc.roster.live(role).length === 0);
      if (orphaned.length > 0) {
        // Replacements are bounded: a team whose members keep dying has a problem a new member will not fix.
        const exhausted = orphaned.find((role) => diedInThisCall(role).length >= MAX_DEATHS_PER_ROLE);
        if (exhausted) {
          const died = diedInThisCall(exhausted);
          throw new TeamError(`${MAX_DEATHS_PER_ROLE} ${exhausted}s of phase ${nn(tc.phase)} died (${died.map((m) => `${m.name}: ${m.diedReason ?? ''}`).join('; ')}); not spawning another. Running implement again tries with new teammates`);
        }
        for (const role of orphaned) await spawn(tc, tc.roster.nextName(role), role);
        continue;
      }
      throw new TeamError(`no teammate can make progress; open tasks: ${open.map((x) => `${x.id} (waits for ${x.depends_on.join(', ') || 'nothing'})`).join('; ')}`);
    }
    try {
      await Promise.race([...running.values()].map((r) => r.promise));
    } catch (e) {
      // Cancelled: let every teammate's turn settle (a merge in flight finishes or fails) before
      // the run is declared stopped, so nothing changes the task list after the state is final.
      await settleAll();
      throw e;
    }
  }
  // Everyone idle: nothing runs between phases.
  await settleAll();
}

/** The builder task a validation's fix rounds are counted on: T1 for T1-V, T1-F1-V, T1-F2-V, … */
function fixRoot(validate: TeamTask): string | undefined {
  return validate.validates?.replace(/-F\d+$/, '');
}

/** A failed validation becomes a fix task for a builder, itself validated, a bounded number of times. */
function addValidationFix(tc: TeamContext, validate: TeamTask): void {
  const built = validate.validates ? tc.tasks.get(validate.validates) : undefined;
  if (!built) return;
  const root = fixRoot(validate)!;
  const round = tc.tasks.tasks.filter((x) => x.id.startsWith(`${root}-F`) && x.role === 'builder').length + 1;
  const allowed = tc.maxValidationFixes + (tc.tasks.get(root)?.extraFixes ?? 0);
  if (round > allowed) {
    tc.tasks.fail(validate.id, `validation still failing after ${round - 1} fix round${round === 2 ? '' : 's'}: ${validate.summary ?? ''}`);
    return;
  }
  const id = `${root}-F${round}`;
  tc.tasks.add({ id, role: 'builder', kind: 'fix', title: `Fix ${built.id} after validation`, details: `The validator found: ${validate.summary ?? ''}`, files: built.files, depends_on: [] });
  tc.tasks.add({ id: `${id}-V`, role: 'validator', kind: 'validate', title: `Validate ${id}`, details: built.details, files: built.files, depends_on: [id], validates: id });
  tc.session.emit({ type: 'task-status', phase: nn(tc.phase), task: id, status: 'added', detail: 'validation failed' });
}

/**
 * A validation that failed for good halted the run; running it again is the user's request for
 * another try (they may have fixed the code by hand meanwhile). The validation runs again on the
 * phase as it is now and, if it still fails, the task gets one more fix round than before.
 */
function reopenFailedValidations(tc: TeamContext): void {
  for (const t of tc.tasks.tasks.filter((x) => x.status === 'failed')) {
    tc.tasks.reopen(t.id, fixRoot(t));
    tc.session.emit({ type: 'task-status', phase: nn(tc.phase), task: t.id, status: 'reopened', detail: 'failed before; validated again, with one more fix round' });
  }
}
