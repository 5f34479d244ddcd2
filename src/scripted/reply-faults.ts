/**
 * Replies that end early, as a real model's do: cut at `max_tokens` (or at the context window,
 * `model_context_window_exceeded`) in the middle of a tool call, paused by the API (`pause_turn`),
 * or refused (`refusal`). Each planned fault hits the first
 * request that matches its role, module and turn (the number of assistant messages in the request,
 * 0 for an agent's first reply) and is then used up, so the conversation can go on.
 */
import type { ReplyBlock, ScriptedReply, WireToolUseBlock } from './api-types';
import type { Conversation } from './conversation';
import type { ReplyFault, ReplyFaultKind } from './types';

export class ReplyFaultPlanner {
  private readonly pending: ReplyFault[];

  constructor(faults: readonly ReplyFault[] = []) {
    this.pending = [...faults];
  }

  take(c: Conversation, assistantTurns: number): ReplyFaultKind | undefined {
    const i = this.pending.findIndex(
      (f) =>
        (f.role === undefined || f.role === c.card.role) &&
        (f.module === undefined || f.module === c.card.module) &&
        (f.task === undefined || f.task === c.card.fields['task']) &&
        (f.turn ?? 0) === assistantTurns,
    );
    if (i < 0) return undefined;
    return this.pending.splice(i, 1)[0]!.kind;
  }
}

/** The JSON text a streamed tool call had sent when the reply was cut; not part of the block's JSON form. */
export const PARTIAL_JSON = Symbol('partialJson');
export type CutToolUse = WireToolUseBlock & { [PARTIAL_JSON]?: string };

export function applyReplyFault(kind: ReplyFaultKind, reply: ScriptedReply): ScriptedReply {
  if (kind === 'refusal') return { blocks: [], stopReason: 'refusal' };
  if (kind === 'pause_turn') return { blocks: [{ type: 'text', text: 'This step takes a while; continuing with it.' }], stopReason: 'pause_turn' };
  // A reply that filled the context window is cut the same way, with its own stop reason.
  return { blocks: cutAtMaxTokens(reply.blocks), stopReason: kind };
}

/** The reply up to the middle of its first tool call (or of its last text when it makes none). */
function cutAtMaxTokens(blocks: ReplyBlock[]): ReplyBlock[] {
  const first = blocks.findIndex((b) => b.type === 'tool_use');
  if (first < 0) {
    const out = [...blocks];
    const lastText = out.map((b) => b.type).lastIndexOf('text');
    if (lastText >= 0) {
      const b = out[lastText] as { type: 'text'; text: string };
      out[lastText] = { type: 'text', text: b.text.slice(0, Math.max(1, Math.floor(b.text.length / 2))) };
    }
    return out;
  }
  const call = blocks[first] as WireToolUseBlock;
  const json = JSON.stringify(call.input);
  let at = Math.floor(json.length / 2);
  while (at > 1 && json[at - 1] === '\\') at--;
  const cut: CutToolUse = { ...call, input: completeEntries(call.input, at) };
  Object.defineProperty(cut, PARTIAL_JSON, { value: json.slice(0, at), enumerable: false });
  return [...blocks.slice(0, first), cut];
}

/** The input's entries whose JSON ended before `at`: what a client can parse of a cut call. */
function completeEntries(input: Record<string, unknown>, at: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let pos = 1;
  for (const [k, v] of Object.entries(input)) {
    pos += JSON.stringify(k).length + 1 + JSON.stringify(v).length + 1;
    if (pos > at) break;
    out[k] = v;
  }
  return out;
}
