/**
 * Building blocks of a scripted reply. Tool-use ids derive from the history digest, so the same
 * request always gets byte-identical answers (a retry after a dropped stream sees no difference).
 */
import { createHash } from 'node:crypto';
import type { ReplyBlock, ScriptedReply } from './api-types';
import type { Conversation } from './conversation';

export interface PlannedCall {
  name: string;
  input: Record<string, unknown>;
}

export function call(name: string, input: Record<string, unknown>): PlannedCall {
  return { name, input };
}

function toolUseId(digest: string, index: number): string {
  return 'toolu_' + createHash('sha256').update(`${digest}:${index}`).digest('base64url').slice(0, 24);
}

/** A turn that ends the agent's work with a final text. */
export function finish(text: string): ScriptedReply {
  return { blocks: [{ type: 'text', text }], stopReason: 'end_turn' };
}

/**
 * A turn with optional narration and tool calls. A call to a tool the request does not offer is
 * never sent (a model only uses the tools it was given); if none is left, the narration ends the turn.
 */
export function act(c: Conversation, narration: string | undefined, calls: PlannedCall[]): ScriptedReply {
  const offered = calls.filter((planned) => c.tools.has(planned.name));
  const blocks: ReplyBlock[] = [];
  if (narration) blocks.push({ type: 'text', text: narration });
  offered.forEach((planned, i) => blocks.push({ type: 'tool_use', id: toolUseId(c.digest, i), name: planned.name, input: planned.input }));
  if (offered.length === 0) return finish(narration ?? 'I have no tool for the next step, so I stop here.');
  return { blocks, stopReason: 'tool_use' };
}

/** POSIX single-quote quoting, so no value the model interpolates can change a shell command's meaning. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./=:@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A short excerpt of tool output for findings and reports: the tail is where test failures are summarized. */
export function excerpt(text: string, max = 1500): string {
  const trimmed = text.trim();
  return trimmed.length <= max ? trimmed : '…' + trimmed.slice(trimmed.length - max);
}
