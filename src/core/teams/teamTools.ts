/**
 * The tools that make a team: `claim_task`, `complete_task` and `send_message`, zod-typed, plus the
 * wrapper that delivers mail at a teammate's turn boundaries (appended to the result of whatever tool
 * it called last, so it reads the mail before its next model turn).
 */
import { z } from 'zod';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { betaZodTool } from '@anthropic-ai/sdk/helpers/beta/zod';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { observed, type ToolObserver } from '../agents/tools';
import { ClaimError, type TaskList, type TeamTask } from './taskList';
import { MAX_MESSAGE_CHARS } from './mailbox';

export interface TeamToolHandlers {
  name: string;
  role: TeamTask['role'];
  tasks: TaskList;
  /** Runs inside complete_task before the task is marked complete (commit + merge for builders). */
  finishWork(task: TeamTask, input: { summary: string; ok?: boolean }): Promise<{ commit?: string }>;
  afterComplete(task: TeamTask): void;
  send(to: string, text: string): string;
  /** Why this teammate may not claim now (it completed a task in this turn), or undefined. */
  claimRefusal?(): string | undefined;
}

/** How a task reads to the teammate who claims it (and to the scripted model, which parses it). */
export function describeTask(t: TeamTask, tasks: TaskList): string {
  const lines = [`claimed ${t.id}: ${t.title}`, `kind: ${t.kind}`, `files: ${t.files.join(', ') || '-'}`, `details: ${t.details || '-'}`];
  if (t.validates) {
    const built = tasks.get(t.validates);
    lines.push(`builder_summary: ${built?.summary ?? '-'}`);
  }
  return lines.join('\n');
}

const ClaimInput = z.object({ id: z.string().max(40).optional().describe('The task to claim; omit to take the first claimable task for your role.') });
const CompleteInput = z.object({
  id: z.string().max(40),
  summary: z.string().min(1).max(2000),
  ok: z.boolean().optional().describe('Validators: whether the work passed your checks (required for validate tasks).'),
});
const SendInput = z.object({ to: z.string().min(1).max(40), text: z.string().min(1).max(MAX_MESSAGE_CHARS) });

export function teamTools(h: TeamToolHandlers, observe: ToolObserver): BetaRunnableTool[] {
  const claim = betaZodTool({
    name: 'claim_task',
    description: 'Claim a task from the shared task list. You hold one task at a time; a task is claimable once the tasks it depends on are complete.',
    inputSchema: ClaimInput,
    run: ({ id }) => {
      const refusal = h.claimRefusal?.();
      if (refusal) throw new ToolError(`claim_task: ${refusal}`);
      try {
        return describeTask(h.tasks.claim(id, h.name, h.role), h.tasks);
      } catch (e) {
        if (e instanceof ClaimError) throw new ToolError(`claim_task: ${e.message}`);
        throw e;
      }
    },
  });
  const complete = betaZodTool({
    name: 'complete_task',
    description: 'Complete the task you hold, with a short summary. Builders: the engine commits and merges your work now. Validators: say ok true or false.',
    inputSchema: CompleteInput,
    run: async (input) => {
      const task = h.tasks.get(input.id);
      if (!task || task.status !== 'claimed' || task.claimedBy !== h.name) throw new ToolError(`complete_task: you do not hold ${input.id}`);
      if (task.kind === 'validate' && input.ok === undefined) throw new ToolError('complete_task: a validate task needs ok: true or false');
      const { commit } = await h.finishWork(task, input);
      try {
        h.tasks.complete(task.id, h.name, { summary: input.summary, ok: input.ok, commit });
      } catch (e) {
        if (e instanceof ClaimError) throw new ToolError(`complete_task: ${e.message}`);
        throw e;
      }
      h.afterComplete(task);
      return `completed ${task.id}${commit ? ` (commit ${commit.slice(0, 10)} merged into the phase branch)` : ''}`;
    },
  });
  const send = betaZodTool({
    name: 'send_message',
    description: 'Send a short message to a teammate (by name) or to "lead". It is delivered at the start of their next turn.',
    inputSchema: SendInput,
    run: ({ to, text }) => h.send(to, text),
  });
  return [claim, complete, send].map((t) => observed(t, observe));
}

/** Appends undelivered mail to a tool's result: the recipient reads it before its next turn. */
export function withMailDelivery(tool: BetaRunnableTool, deliver: () => string | undefined): BetaRunnableTool {
  return {
    ...tool,
    run: async (input, context) => {
      const out = await tool.run(input, context);
      const mail = deliver();
      if (!mail) return out;
      if (typeof out === 'string') return [{ type: 'text' as const, text: out || '(no output)' }, { type: 'text' as const, text: mail }];
      return [...out, { type: 'text' as const, text: mail }];
    },
  };
}
