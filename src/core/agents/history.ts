/**
 * The conversation an agent sends, kept valid by the Messages API's rules: every `tool_use` is
 * answered by a `tool_result` at the start of the next user message, text blocks are never empty,
 * thinking blocks go back exactly as they came, and at most 4 blocks carry `cache_control`.
 */
import type { BetaContentBlockParam, BetaMessage, BetaMessageParam, BetaToolResultBlockParam, BetaToolUseBlock } from '@anthropic-ai/sdk/resources/beta';

type Block = BetaContentBlockParam;

export function blocksOf(content: BetaMessageParam['content']): Block[] {
  if (content === undefined) return [];
  return typeof content === 'string' ? (content === '' ? [] : [{ type: 'text', text: content }]) : (content as Block[]);
}

/**
 * The reply as the assistant message to send back. Blocks are kept as they came (thinking blocks
 * with their signatures above all: the API checks them), except what the API would refuse on the way
 * back: empty or whitespace-only text blocks, and a thinking block cut off before its signature arrived.
 */
export function replyAsParam(message: BetaMessage): BetaMessageParam {
  const content = (message.content as unknown as Block[]).filter((b) => {
    // Whitespace only ("\n\n" before a tool call) is refused too: "must contain non-whitespace text".
    if (b.type === 'text') return b.text.trim() !== '';
    if (b.type === 'thinking') return typeof b.signature === 'string' && b.signature !== '';
    return true;
  });
  return { role: 'assistant', content: content.length ? content : [{ type: 'text', text: '(no content)' }] };
}

export function toolUsesOf(message: BetaMessageParam | BetaMessage): BetaToolUseBlock[] {
  return blocksOf(message.content as BetaMessageParam['content']).filter((b): b is Block & BetaToolUseBlock => b.type === 'tool_use') as BetaToolUseBlock[];
}

/**
 * Appends `message`; a paused turn (`pause_turn`) is continued by the next reply, so a reply that
 * follows an assistant message is merged into it rather than sent as a second assistant turn.
 */
export function appendAssistant(messages: BetaMessageParam[], reply: BetaMessageParam): BetaMessageParam[] {
  const last = messages.at(-1);
  if (last?.role === 'assistant') return [...messages.slice(0, -1), { role: 'assistant', content: [...blocksOf(last.content), ...blocksOf(reply.content)] }];
  return [...messages, reply];
}

/** The user turn after a reply: its tool results first (the API's rule), then any text. */
export function userTurn(results: BetaToolResultBlockParam[], text?: string): BetaMessageParam {
  const content: Block[] = [...results];
  if (text) content.push({ type: 'text', text });
  return { role: 'user', content };
}

const MAX_BREAKPOINTS = 4;

/** Where a breakpoint sits: message index and block index. */
export interface BlockRef {
  message: number;
  block: number;
}

/**
 * A copy of `messages` with `cache_control` on the last block of the conversation (so the next turn
 * reads everything up to here from cache) and on the block where the previous request ended (the
 * prefix that request wrote, read now). Any other marker is removed, so with the system prompt's
 * breakpoints (one per system block, at most two) the request carries at most the API's 4.
 * Thinking blocks cannot carry a marker; the nearest block before one does.
 */
export function withCacheBreakpoints(messages: BetaMessageParam[], previousEnd: BlockRef | undefined, systemBreakpoints: number): { messages: BetaMessageParam[]; end: BlockRef | undefined } {
  const copy = messages.map((m) => ({
    ...m,
    content: blocksOf(m.content).map((b) => {
      if (!('cache_control' in b)) return b;
      const { cache_control: _drop, ...rest } = b as Block & { cache_control?: unknown };
      return rest as Block;
    }),
  })) as BetaMessageParam[];
  const end = lastMarkable(copy, copy.length - 1);
  const refs = [previousEnd, end].filter((r): r is BlockRef => r !== undefined && isMarkable(copy, r));
  const unique = refs.filter((r, i) => refs.findIndex((o) => o.message === r.message && o.block === r.block) === i);
  for (const ref of unique.slice(-(MAX_BREAKPOINTS - systemBreakpoints))) {
    const content = copy[ref.message]!.content as Block[];
    content[ref.block] = { ...content[ref.block]!, cache_control: { type: 'ephemeral' } } as Block;
  }
  return { messages: copy, end };
}

function isMarkable(messages: BetaMessageParam[], ref: BlockRef): boolean {
  const b = (messages[ref.message]?.content as Block[] | undefined)?.[ref.block];
  return b !== undefined && b.type !== 'thinking' && b.type !== 'redacted_thinking' && !(b.type === 'text' && b.text === '');
}

function lastMarkable(messages: BetaMessageParam[], from: number): BlockRef | undefined {
  for (let m = from; m >= 0; m--) {
    const content = messages[m]!.content as Block[];
    for (let b = content.length - 1; b >= 0; b--) if (isMarkable(messages, { message: m, block: b })) return { message: m, block: b };
  }
  return undefined;
}

export function lastAssistantText(messages: BetaMessageParam[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'assistant') continue;
    return blocksOf(m.content)
      .map((b) => (b.type === 'text' && b.text !== '(no content)' ? b.text : ''))
      .join('')
      .trim();
  }
  return '';
}

export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
