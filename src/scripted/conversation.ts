/**
 * Reads a request's history into what a stateless model needs to decide its next move: the task
 * card, the user's instructions, and every tool call it made so far paired with the result that came
 * back (text and is_error). Nothing is remembered between requests: a retried or resumed request
 * yields the same view, hence the same reply.
 */
import { createHash } from 'node:crypto';
import type { MessagesRequest } from './api-types';
import { parseTaskCard, type TaskCard } from './task-card';

export interface ToolResult {
  text: string;
  isError: boolean;
}

export interface ToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
  /** Absent while the call has not been answered (the request ends with this assistant turn). */
  result?: ToolResult;
  /** Index in `messages` of the assistant message that made the call. */
  messageIndex: number;
}

export interface UserText {
  text: string;
  messageIndex: number;
}

export interface Conversation {
  card: TaskCard;
  /** User messages that carry text (instructions, feedback, nudges), not only tool results. */
  userTexts: UserText[];
  calls: ToolCall[];
  /** Names of the tools the request offers; the model never calls anything else. */
  tools: ReadonlySet<string>;
  /** Stable digest of the history, the seed of reply and tool_use ids. */
  digest: string;
}

type Block = Record<string, unknown>;

function blocksOf(content: string | Block[]): Block[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

/** The text a tool result carries: a plain string, or the text blocks of a block list. */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((b: unknown) => (b && typeof b === 'object' && (b as Block)['type'] === 'text' ? String((b as Block)['text'] ?? '') : ''))
    .join('\n');
}

function toolNames(tools: unknown[]): Set<string> {
  const names = new Set<string>();
  for (const t of tools) if (t && typeof t === 'object' && typeof (t as Block)['name'] === 'string') names.add((t as Block)['name'] as string);
  return names;
}

export function readConversation(req: MessagesRequest): Conversation {
  const userTexts: UserText[] = [];
  const calls: ToolCall[] = [];
  const byId = new Map<string, ToolCall>();
  req.messages.forEach((message, messageIndex) => {
    const blocks = blocksOf(message.content);
    if (message.role === 'assistant') {
      for (const b of blocks) {
        if (b['type'] !== 'tool_use') continue;
        const input = b['input'] && typeof b['input'] === 'object' ? (b['input'] as Record<string, unknown>) : {};
        const call: ToolCall = { id: String(b['id']), name: String(b['name']), input, messageIndex };
        calls.push(call);
        byId.set(call.id, call);
      }
      return;
    }
    const texts: string[] = [];
    for (const b of blocks) {
      if (b['type'] === 'tool_result') {
        const call = byId.get(String(b['tool_use_id']));
        if (call) call.result = { text: resultText(b['content']), isError: b['is_error'] === true };
      } else if (b['type'] === 'text' && typeof b['text'] === 'string') {
        texts.push(b['text']);
      }
    }
    if (texts.length > 0) userTexts.push({ text: texts.join('\n'), messageIndex });
  });
  const first = userTexts[0]?.text ?? '';
  return {
    card: parseTaskCard(first),
    userTexts,
    calls,
    tools: toolNames(req.tools),
    digest: createHash('sha256').update(JSON.stringify(req.messages)).digest('hex'),
  };
}

/** All user text so far, joined: where tags such as <qc-findings> are looked up. */
export function allUserText(c: Conversation): string {
  return c.userTexts.map((u) => u.text).join('\n');
}

/** Calls made after the user message at `messageIndex` (the start of the current piece of work). */
export function callsAfter(c: Conversation, messageIndex: number): ToolCall[] {
  return c.calls.filter((call) => call.messageIndex > messageIndex);
}

/** Normalizes a tool path for comparison: no leading `./`, forward slashes. */
export function normPath(p: unknown): string {
  return typeof p === 'string' ? p.replace(/\\/g, '/').replace(/^(\.\/)+/, '') : '';
}

/** The most recent call of `name` whose input satisfies `match`. */
export function lastCall(calls: ToolCall[], name: string, match: (input: Record<string, unknown>) => boolean = () => true): ToolCall | undefined {
  for (let i = calls.length - 1; i >= 0; i--) {
    const call = calls[i]!;
    if (call.name === name && match(call.input)) return call;
  }
  return undefined;
}

/** The latest write/edit of `path` (relative), if any. */
export function lastWriteOf(calls: ToolCall[], path: string): ToolCall | undefined {
  const want = normPath(path);
  for (let i = calls.length - 1; i >= 0; i--) {
    const call = calls[i]!;
    if ((call.name === 'write' || call.name === 'edit') && normPath(call.input['file_path']) === want) return call;
  }
  return undefined;
}

export function succeeded(call: ToolCall | undefined): boolean {
  return call?.result !== undefined && !call.result.isError;
}
