/**
 * Keeps an agent's conversation inside the model's context window.
 *
 * Two measures, both done here rather than by the API's `context_management` edits or the tool
 * runner's `compactBeforeNextTurn()`: those need beta headers (`context-management-*`,
 * `compact-2026-09-04`) and a server that implements them, and their result is only visible in the
 * next reply, so the engine could neither test them offline nor predict a request's size.
 *  1. Every tool result is capped when it is fed back (`capToolResult`), with a note saying how much
 *     was cut and how to read the rest in pieces.
 *  2. When the estimated request passes a share of the window, the results of all but the most recent
 *     tool turns (and big inputs of old `write`/`edit` calls) are replaced by a one-line note
 *     (`clearOldToolResults`). This changes the cached prefix, so it is done in one sweep that frees a
 *     lot at once, not a little every turn: the cache is rewritten once per sweep.
 */
import type { BetaContentBlockParam, BetaMessageParam, BetaToolResultBlockParam } from '@anthropic-ai/sdk/resources/beta';
import { blocksOf } from './history';

export interface ContextLimits {
  /** The model's context window in tokens (from the Models API when known). */
  windowTokens: number;
  /** Share of the window at which old tool results are cleared. */
  clearAtShare: number;
  /** Tool turns (user messages carrying results) kept intact by a sweep. */
  keepRecentToolTurns: number;
  /** Longest tool result fed back, in characters. */
  toolResultMaxChars: number;
}

/** Tokens of anything as the API would roughly count it (about 4 characters a token, like the scripted model). */
export function estimateTokens(value: unknown): number {
  return Math.ceil(JSON.stringify(value ?? '').length / 4);
}

type ResultContent = BetaToolResultBlockParam['content'];

/** Caps a tool result's text at `maxChars`, keeping the head and saying what was left out. */
export function capToolResult(content: ResultContent, maxChars: number, toolName: string): ResultContent {
  if (typeof content === 'string') return capText(content, maxChars, toolName);
  if (!Array.isArray(content)) return content;
  let budget = maxChars;
  return content.map((b) => {
    if (b.type !== 'text') return b;
    const capped = capText(b.text, Math.max(0, budget), toolName);
    budget -= Math.min(b.text.length, budget);
    return { ...b, text: capped };
  });
}

function capText(text: string, maxChars: number, toolName: string): string {
  if (text.length <= maxChars) return text;
  const how =
    toolName === 'read'
      ? 'read the rest in pieces with `read` and `view_range` (e.g. [1, 400], then [401, 800]), or `grep` for what you need'
      : toolName === 'bash'
        ? 'narrow the command (e.g. `| head -n 200`, `| tail -n 100`, `grep`) or redirect the output to a file and read it in pieces'
        : 'ask for less at a time';
  return `${text.slice(0, maxChars)}\n\n[output cut: ${text.length} characters in all, only the first ${maxChars} are shown; ${how}]`;
}

/**
 * JSON length of each message (and of an agent's system blocks and tool list), by object. The estimate
 * is taken before every turn; serializing the whole conversation (system prompt with the contracts
 * included) each time made a string of its full size per turn and per agent, garbage the heap grew
 * with. Messages are never changed in place (history.ts and clearOldToolResults build new ones), so
 * a length once measured stays right.
 */
const jsonLengths = new WeakMap<object, number>();

function jsonLength(value: unknown): number {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value ?? '').length;
  let n = jsonLengths.get(value);
  if (n === undefined) {
    n = JSON.stringify(value).length;
    jsonLengths.set(value, n);
  }
  return n;
}

/** The same figure as estimateTokens(system) + estimateTokens(tools) + estimateTokens(messages), from cached lengths. */
export function conversationTokens(system: unknown, tools: unknown, messages: BetaMessageParam[]): number {
  // JSON of an array: its elements joined by commas, in brackets.
  let chars = messages.length === 0 ? 2 : 1 + messages.length;
  for (const m of messages) chars += jsonLength(m);
  return Math.ceil(jsonLength(system) / 4) + Math.ceil(jsonLength(tools) / 4) + Math.ceil(chars / 4);
}

const CLEARED_INPUT_MIN_CHARS = 1000;

/**
 * Replaces the content of every tool result older than the last `keepRecent` tool turns with a note,
 * and the long string inputs of the tool calls they answer (a `write`'s content, say). `is_error` is
 * kept, so the model still knows what failed. Returns the new history and how many results were cleared.
 */
export function clearOldToolResults(messages: BetaMessageParam[], keepRecent: number): { messages: BetaMessageParam[]; cleared: number } {
  const toolTurns = messages.map((m, i) => (m.role === 'user' && blocksOf(m.content).some((b) => b.type === 'tool_result') ? i : -1)).filter((i) => i >= 0);
  const keepFrom = toolTurns.length > keepRecent ? toolTurns[toolTurns.length - keepRecent]! : Infinity;
  let cleared = 0;
  const out = messages.map((m, i) => {
    if (i >= keepFrom - 1 || typeof m.content === 'string' || m.role === 'system') return m;
    const content = blocksOf(m.content).map((b): BetaContentBlockParam => {
      if (m.role === 'user' && b.type === 'tool_result' && !isCleared(b.content)) {
        cleared++;
        return { ...b, content: `[cleared to keep the conversation within the context window: this result had ${resultChars(b.content)} characters; run the call again if you still need it]` };
      }
      if (m.role === 'assistant' && b.type === 'tool_use' && b.input && typeof b.input === 'object') {
        const input: Record<string, unknown> = { ...(b.input as Record<string, unknown>) };
        let changed = false;
        for (const [k, v] of Object.entries(input)) {
          if (typeof v === 'string' && v.length > CLEARED_INPUT_MIN_CHARS) {
            input[k] = `[cleared: ${v.length} characters]`;
            changed = true;
          }
        }
        return changed ? { ...b, input } : b;
      }
      return b;
    });
    return { ...m, content } as BetaMessageParam;
  });
  return { messages: out, cleared };
}

function isCleared(content: ResultContent): boolean {
  return typeof content === 'string' && content.startsWith('[cleared to keep the conversation');
}

function resultChars(content: ResultContent): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  return content.reduce((n, b) => n + (b.type === 'text' ? b.text.length : 0), 0);
}
