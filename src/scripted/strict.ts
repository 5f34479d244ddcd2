/**
 * Strict mode: the Messages API's request rules that the real service enforces and a lenient
 * stand-in would let slip, each answered with the error the API gives (status, type and wording),
 * so the engine's tests fail where a real run would. On by default; see README "The scripted model".
 *
 * Rules: every `tool_use` is answered by `tool_result` blocks at the start of the next message;
 * a `tool_result` names a `tool_use` of the previous assistant message; `tool_use` ids are unique;
 * text blocks are non-empty; at most 4 blocks carry `cache_control`; tool names match the API's
 * pattern; the model exists; max_tokens is at most the model's output limit; the prompt fits the model's context window; a model that thinks
 * adaptively refuses a budget (and Opus 5.5 refuses thinking off), effort is one of the API's levels;
 * with thinking on, the budget is valid, thinking blocks come back with their signatures intact, and an assistant turn
 * with tool calls that is being answered starts with its thinking block.
 */
import type { ApiErrorType } from './api-errors';
import type { MessagesRequest } from './api-types';
import type { ModelCatalog } from './models';
import { estimateTokens, promptSegments } from './prompt-cache';
import { thinkingBudget, thinkingOn, type ThinkingSigner } from './thinking';

export class StrictRuleError extends Error {
  constructor(
    readonly type: ApiErrorType,
    message: string,
  ) {
    super(message);
  }
}

type Block = Record<string, unknown>;

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const MAX_CACHE_CONTROL = 4;

function invalid(message: string): never {
  throw new StrictRuleError('invalid_request_error', message);
}

function blocks(content: unknown): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? (content as Block[]) : [];
}

export interface StrictContext {
  models: ModelCatalog;
  signer: ThinkingSigner;
}

export function checkStrictRules(req: MessagesRequest, ctx: StrictContext): void {
  if (!ctx.models.has(req.model)) throw new StrictRuleError('not_found_error', `model: ${req.model}`);
  if (req.max_tokens > ctx.models.maxOutputTokens) {
    invalid(`max_tokens: ${req.max_tokens} > ${ctx.models.maxOutputTokens}, which is the maximum allowed number of output tokens for ${req.model}`);
  }
  checkTools(req.tools);
  checkThinkingConfig(req);
  checkMessages(req, ctx.signer);
  checkCacheControl(req);
  const tokens = estimateTokens(promptSegments(req).reduce((n, s) => n + s.text.length, 0));
  if (tokens > ctx.models.contextWindow) invalid(`prompt is too long: ${tokens} tokens > ${ctx.models.contextWindow} maximum`);
}

function checkTools(tools: unknown[]): void {
  const seen = new Set<string>();
  tools.forEach((t, i) => {
    const name = t && typeof t === 'object' ? (t as Block)['name'] : undefined;
    if (typeof name !== 'string' || !TOOL_NAME.test(name)) invalid(`tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
    if (seen.has(name)) invalid('tools: Tool names must be unique.');
    seen.add(name);
  });
}

/** Models that think adaptively only: a budget is refused (Opus 4.7 on, the 5.x models). */
const ADAPTIVE_ONLY = /^claude-(?:opus-4-[7-9]|opus-[5-9]|sonnet-[5-9]|haiku-[5-9]|fable)/;
/** Models whose thinking cannot be turned off (Opus 5.5, Fable 5.1). */
const ALWAYS_THINKING = /^claude-(?:opus-5-5|fable)/;
const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'];

function checkThinkingConfig(req: MessagesRequest): void {
  const type = req.thinking && typeof req.thinking === 'object' ? (req.thinking as Block)['type'] : undefined;
  for (const refused of ['enabled', 'disabled'] as const) {
    if (type === refused && (refused === 'enabled' ? ADAPTIVE_ONLY : ALWAYS_THINKING).test(req.model)) {
      invalid(`"thinking.type.${refused}" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.`);
    }
  }
  if (req.output_config !== undefined) {
    const effort = req.output_config && typeof req.output_config === 'object' ? (req.output_config as Block)['effort'] : undefined;
    if (effort !== undefined && effort !== null && !EFFORTS.includes(String(effort))) {
      invalid(`output_config.effort: Input should be ${EFFORTS.map((e) => `'${e}'`).join(', ')}`);
    }
  }
  const budget = thinkingBudget(req.thinking);
  if (budget === undefined) return;
  if (budget < 1024) invalid('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
  if (req.max_tokens <= budget) invalid('`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size');
}

function checkText(text: unknown, where: string): void {
  if (typeof text !== 'string' || text === '') invalid(`${where}: text content blocks must be non-empty`);
  if (text.trim() === '') invalid(`${where}: text content blocks must contain non-whitespace text`);
}

function checkMessages(req: MessagesRequest, signer: ThinkingSigner): void {
  const thinking = thinkingOn(req.thinking);
  if (Array.isArray(req.system)) (req.system as Block[]).forEach((b, j) => b?.['type'] === 'text' && checkText(b['text'], `system.${j}`));
  const seenIds = new Set<string>();
  req.messages.forEach((m, i) => {
    const last = i === req.messages.length - 1;
    if (m.content === '' || (Array.isArray(m.content) && m.content.length === 0)) {
      if (!(last && m.role === 'assistant')) invalid(`messages.${i}: all messages must have non-empty content except for the optional final assistant message`);
    }
    blocks(m.content).forEach((b, j) => {
      if (b['type'] === 'text') checkText(b['text'], `messages.${i}.content.${j}.text`);
      if (b['type'] === 'tool_use') {
        const id = String(b['id']);
        if (seenIds.has(id)) invalid(`messages.${i}.content.${j}: \`tool_use\` ids must be unique`);
        seenIds.add(id);
      }
      if (b['type'] === 'thinking' && m.role === 'assistant' && !signer.verify(b['thinking'], b['signature'])) {
        invalid(`messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`);
      }
    });
    if (m.role === 'assistant') checkAnswered(req, i);
    if (m.role === 'user') checkResultsMatch(req, i);
  });
  if (thinking) checkThinkingLeads(req);
}

/** The `tool_use` blocks of assistant message `i` are answered at the start of message `i + 1`. */
function checkAnswered(req: MessagesRequest, i: number): void {
  const ids = blocks(req.messages[i]!.content)
    .filter((b) => b['type'] === 'tool_use')
    .map((b) => String(b['id']));
  const next = req.messages[i + 1];
  if (ids.length === 0 || next === undefined) return;
  const leading: string[] = [];
  for (const b of blocks(next.content)) {
    if (b['type'] !== 'tool_result') break;
    leading.push(String(b['tool_use_id']));
  }
  const missing = ids.filter((id) => !leading.includes(id));
  if (next.role !== 'user' || missing.length > 0) {
    invalid(
      `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ') || ids.join(', ')}. ` +
        'Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
    );
  }
}

/** Every `tool_result` of user message `i` names a `tool_use` of the message just before it. */
function checkResultsMatch(req: MessagesRequest, i: number): void {
  const prev = req.messages[i - 1];
  const offered = new Set(prev?.role === 'assistant' ? blocks(prev.content).filter((b) => b['type'] === 'tool_use').map((b) => String(b['id'])) : []);
  blocks(req.messages[i]!.content).forEach((b, j) => {
    if (b['type'] !== 'tool_result') return;
    const id = String(b['tool_use_id']);
    if (!offered.has(id)) {
      invalid(
        `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. ` +
          'Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
      );
    }
  });
}

/** With thinking on, the assistant turn whose tool calls are being answered must start with its thinking. */
function checkThinkingLeads(req: MessagesRequest): void {
  let lastAssistant = -1;
  req.messages.forEach((m, i) => m.role === 'assistant' && (lastAssistant = i));
  if (lastAssistant < 0) return;
  const content = blocks(req.messages[lastAssistant]!.content);
  if (!content.some((b) => b['type'] === 'tool_use')) return;
  const first = content[0]?.['type'];
  if (first !== 'thinking' && first !== 'redacted_thinking') {
    invalid(
      `messages.${lastAssistant}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first)}\`. ` +
        'When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). ' +
        'We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. ' +
        'Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking',
    );
  }
}

function countCacheControl(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countCacheControl(v), 0);
  if (!value || typeof value !== 'object') return 0;
  const o = value as Block;
  const own = o['cache_control'] !== undefined && o['cache_control'] !== null ? 1 : 0;
  return own + (Array.isArray(o['content']) ? countCacheControl(o['content']) : 0);
}

function checkCacheControl(req: MessagesRequest): void {
  const found = countCacheControl(req.tools) + countCacheControl(req.system) + req.messages.reduce((n, m) => n + countCacheControl(m.content), 0);
  if (found > MAX_CACHE_CONTROL) invalid(`A maximum of ${MAX_CACHE_CONTROL} blocks with cache_control may be provided. Found ${found}.`);
}
