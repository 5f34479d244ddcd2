/**
 * Habits every scripted role shares once the engine gives it memory (M14): before its final
 * message it records a session summary through `write_session_summary` (once per piece of work:
 * after the latest instruction), saying what it did and what memory it was given at spawn, so a
 * test can see that the brain file and the earlier summaries really reached the model.
 */
import type { ScriptedReply } from '../api-types';
import type { Conversation } from '../conversation';
import { taggedBlock } from '../task-card';
import { act, call, excerpt } from '../reply';

/** What the task's <memory> block handed over: summaries seen and the brain's first heading. */
export function memorySeen(c: Conversation): { summaries: string[]; brainHeading?: string; brainOverCap: boolean; notices: string[] } {
  const first = c.userTexts[0]?.text ?? '';
  const block = taggedBlock(first, 'memory') ?? '';
  const summaries = [...block.matchAll(/<session-summary agent="([^"]*)"/g)].map((m) => m[1]!);
  const brain = /<brain-file[^>]*>([\s\S]*?)<\/brain-file>/.exec(block)?.[1];
  const brainHeading = brain ? /^#+\s*(.+)$/m.exec(brain)?.[1]?.trim() : undefined;
  const notices = [...(brain ?? '').matchAll(/^## Contract notice: conflict (\S+)/gm)].map((m) => m[1]!);
  return { summaries, brainHeading, brainOverCap: block.includes('<brain-over-cap>'), notices };
}

/** Replaces a final answer by the summary call when the summary of this piece of work is still missing. */
export function withSessionSummary(c: Conversation, reply: ScriptedReply): ScriptedReply {
  if (reply.stopReason !== 'end_turn' || !c.tools.has('write_session_summary')) return reply;
  const since = c.userTexts.at(-1)?.messageIndex ?? -1;
  const mine = c.calls.filter((x) => x.name === 'write_session_summary' && x.messageIndex > since);
  if (mine.some((x) => x.result && !x.result.isError) || mine.length >= 2) return reply;
  const finalText = reply.blocks.map((b) => (b.type === 'text' ? b.text : '')).join(' ').trim();
  const seen = memorySeen(c);
  const decisions = [`memory at spawn: ${seen.summaries.length} earlier summaries (${seen.summaries.join(', ') || 'none'}); brain: ${seen.brainHeading ?? 'none'}`];
  if (seen.notices.length) decisions.push(`contract notices in my brain file: ${seen.notices.join(', ')}`);
  return act(c, undefined, [call('write_session_summary', { summary: excerpt(finalText || 'Session ended.', 1500), decisions, open_questions: [] })]);
}
