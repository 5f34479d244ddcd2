/**
 * What every scripted role sees: the conversation of the request, plus the server options that
 * decide which scenario it plays. Helpers here answer the questions each role asks of its own history.
 */
import { callsAfter, lastWriteOf, normPath, succeeded, type Conversation, type ToolCall } from '../conversation';
import type { ProjectChoice, SandboxProbe, Scenario } from '../types';

export interface RoleContext {
  c: Conversation;
  scenario: Scenario;
  target?: string;
  project?: ProjectChoice;
  /** The request's max_tokens: a turn's tool inputs must fit in it, so big file sets span several turns. */
  maxTokens: number;
  /** sandbox-escape: the targets of the target builder's escape attempts. */
  probe?: SandboxProbe;
}

/**
 * The leading paths of `paths` whose contents fit in most of the reply budget (at least one path, so
 * the work always moves on), estimating a token as four characters like the rest of the model.
 */
export function fitInReply(paths: string[], contentOf: (path: string) => string, maxTokens: number): string[] {
  const budget = Math.max(1, maxTokens) * 4 * 0.8;
  const chosen: string[] = [];
  let used = 0;
  for (const path of paths) {
    const size = contentOf(path).length + path.length + 64;
    if (chosen.length > 0 && used + size > budget) break;
    chosen.push(path);
    used += size;
  }
  return chosen;
}

/** Calls made since the user message at which the current piece of work began. */
export function workCalls(c: Conversation, startsAt: number): ToolCall[] {
  return callsAfter(c, startsAt);
}

/** How many times writing `path` has failed in `calls`. */
export function writeFailures(calls: ToolCall[], path: string): number {
  const want = normPath(path);
  return calls.filter((call) => (call.name === 'write' || call.name === 'edit') && normPath(call.input['file_path']) === want && call.result?.isError).length;
}

/** Files of `wanted` that still need writing: no successful write yet in `calls`. */
export function pendingWrites(calls: ToolCall[], wanted: Iterable<string>): string[] {
  return [...wanted].filter((path) => !succeeded(lastWriteOf(calls, path)));
}

/** How the engine replaces an old tool result it cleared to stay within the context window. */
const CLEARED_RESULT = '[cleared to keep the conversation';

/**
 * The latest read of `path` in `calls`, if any. A read whose result the engine has since cleared
 * counts as not read: the note says to run the call again, and judging the note as the file's
 * content would grade a module by a placeholder.
 */
export function readResult(calls: ToolCall[], path: string): { ok: boolean; text: string } | undefined {
  const want = normPath(path);
  for (let i = calls.length - 1; i >= 0; i--) {
    const call = calls[i]!;
    if (call.name === 'read' && normPath(call.input['file_path']) === want && call.result) {
      if (call.result.text.startsWith(CLEARED_RESULT)) return undefined;
      return { ok: !call.result.isError, text: call.result.text };
    }
  }
  return undefined;
}

/** True when the module name is safe to put in paths and commands; the model refuses anything else. */
export function isSafeModuleName(name: string): boolean {
  return name.length <= 40 && /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/.test(name);
}
