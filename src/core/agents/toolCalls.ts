/**
 * Runs the tool calls of one complete reply and turns them into `tool_result` blocks, in the order
 * the model made them; and answers the calls of a reply that was cut off without running any.
 */
import type { BetaToolResultBlockParam, BetaToolUseBlock } from '@anthropic-ai/sdk/resources/beta';
import { runRunnableTool, type BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { capToolResult } from './contextBudget';

/** Calls run together, as the SDK's tool runner does (writes and edits are serialized by the tools themselves). */
export async function runToolCalls(calls: BetaToolUseBlock[], tools: readonly BetaRunnableTool[], signal: AbortSignal, maxChars: number): Promise<BetaToolResultBlockParam[]> {
  const byName = new Map(tools.map((t) => [t.name, t]));
  return Promise.all(
    calls.map(async (call): Promise<BetaToolResultBlockParam> => {
      const tool = byName.get(call.name);
      if (!tool) return { type: 'tool_result', tool_use_id: call.id, content: `Error: Tool '${call.name}' not found`, is_error: true };
      const outcome = await runRunnableTool(tool, call.input, { toolUse: call, toolUseBlock: call, signal });
      const content = capToolResult(outcome.content, maxChars, call.name);
      return { type: 'tool_result', tool_use_id: call.id, content: emptyAsNote(content), ...(outcome.isError ? { is_error: true } : {}) };
    }),
  );
}

/** The API refuses empty (and whitespace-only) text blocks; a tool that printed nothing says so instead. */
function emptyAsNote(content: BetaToolResultBlockParam['content']): BetaToolResultBlockParam['content'] {
  if ((typeof content === 'string' && content.trim() === '') || (Array.isArray(content) && content.length === 0)) return '(no output)';
  if (Array.isArray(content)) return content.map((b) => (b.type === 'text' && b.text.trim() === '' ? { ...b, text: '(no output)' } : b));
  return content;
}

/** Results for the calls of a cut reply: none of them ran, and the model is told why. */
export function notRunResults(calls: BetaToolUseBlock[], why: string): BetaToolResultBlockParam[] {
  return calls.map((call) => ({ type: 'tool_result', tool_use_id: call.id, content: `Not run: ${why}`, is_error: true }));
}
