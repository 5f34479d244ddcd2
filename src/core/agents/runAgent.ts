/**
 * One agent, run to completion: a stateless loop of model turns and tool calls. Everything it needs
 * (client, prompt, tools, limits, abort signal) is injected; it owns no files, worktrees or state.
 *
 * Why our own loop and not the SDK's `toolRunner`: the runner (lib/tools/BetaToolRunner.ts) ends its
 * loop on `max_tokens`, `refusal` and `model_context_window_exceeded` leaving the cut reply's
 * `tool_use` blocks unanswered in `params.messages`, so continuing from its history breaks the API's
 * rule that every call is answered in the next message; it retries nothing itself; and the engine
 * needs to touch the history between turns anyway (a cache breakpoint on the newest block, capped
 * tool results, clearing old results, a note after a cut reply). Each of those would be a
 * `setMessagesParams()` call that makes the runner treat the turn as "mutated". So this loop sends
 * each turn itself with `client.beta.messages.stream()` and runs tools with the SDK's own
 * `runRunnableTool` (same parsing and ToolError handling as the runner), and stays small.
 *
 * Stop reasons: `tool_use` runs the calls; `end_turn`/`stop_sequence` end the agent (or nudge it);
 * `pause_turn` sends the paused reply back so the model continues it; `max_tokens` and
 * `model_context_window_exceeded` answer every call of the cut reply with "not run" (a partial call is
 * never executed), tell the model its reply was cut and to write in smaller pieces, and give up after
 * `maxCutReplies` cuts in a row; `refusal` fails the agent by name.
 */
import { thinkingFields } from './thinking';
import type Anthropic from '@anthropic-ai/sdk';
import { BETA_CLIENT_TOOL_UNION_KEYS, type BetaMessageParam, type BetaTextBlockParam, type BetaToolUnion } from '@anthropic-ai/sdk/resources/beta';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import type { ModelTier, Usage } from '../contracts/schemas';
import type { PipelineEvent } from '../events';
import type { HeldSlot, TierLimiter } from '../limiter';
import { addUsage, emptyUsage, fromApiUsage } from '../usage';
import { clearOldToolResults, conversationTokens, type ContextLimits } from './contextBudget';
import { AgentError } from './errors';
import { appendAssistant, clone, lastAssistantText, replyAsParam, toolUsesOf, userTurn, withCacheBreakpoints, type BlockRef } from './history';
import { modelTurn, PromptTooLongError } from './modelTurn';
import { notRunResults, runToolCalls } from './toolCalls';
import { warmTools } from './warmTools';

export { AgentError, isRetriable } from './errors';

export interface AgentRequest {
  agentId: string;
  role: string;
  module?: string;
  stage: string;
  tier: ModelTier;
  model: string;
  /** System prompt blocks (1 or 2: shared prefix, then this agent's part); each carries `cache_control`. */
  system: string[];
  task: string;
  tools: BetaRunnableTool[];
  maxTurns: number;
  maxTokens: number;
  /** Thinking: 0 for the model's default; more asks for more (a budget, or effort on adaptive models: agents/thinking.ts). */
  thinkingBudget?: number;
  /** Context bounds; defaults suit a 200k-token window. */
  context?: Partial<ContextLimits>;
  /** Replies cut at max_tokens (or at the context window) in a row before the agent fails. */
  maxCutReplies?: number;
  /** Whether the agent has delivered what the engine needs (e.g. called report_outcome). */
  isComplete?: () => boolean;
  /** Said to an agent that stopped before `isComplete()`; at most `maxNudges` times. */
  nudge?: string;
  maxNudges?: number;
  /** Place in the wave limiter's queue when every slot of the tier is taken: higher goes first (default 0). */
  priority?: number;
  /**
   * A slot of `tier` the caller holds (and releases): the agent runs in it instead of taking one, and
   * `priority` is not used. The caller decides that the slot fits (stages/moduleSlot.ts).
   */
  heldSlot?: HeldSlot;
  /** History to continue from instead of a fresh task (e.g. an architect repair round). */
  history?: BetaMessageParam[];
  /**
   * Called with the conversation each time a batch of tool results has been appended (also when the
   * run is being cancelled: the tools ran). A caller that keeps conversations across processes (a
   * teammate) saves here, so a crash mid-turn loses no work that was done.
   */
  onToolResults?: (messages: readonly BetaMessageParam[]) => void;
}

export interface AgentRuntime {
  client: Anthropic;
  limiter: TierLimiter;
  emit: (e: PipelineEvent) => void;
  signal: AbortSignal;
  turnRetries: number;
  retryBaseDelayMs: number;
  /** Context window of each model id, as the Models API reported it at preflight. */
  contextWindowOf?: (model: string) => number | undefined;
}

export interface AgentResult {
  finalText: string;
  usage: Usage;
  turns: number;
  retries: number;
  messages: BetaMessageParam[];
  complete: boolean;
}

/** With the conversation's two breakpoints, two system blocks use the API's 4. */
const MAX_SYSTEM_BLOCKS = 2;

export const DEFAULT_CONTEXT_LIMITS: ContextLimits = { windowTokens: 200_000, clearAtShare: 0.5, keepRecentToolTurns: 4, toolResultMaxChars: 40_000 };

export async function runAgent(req: AgentRequest, rt: AgentRuntime): Promise<AgentResult> {
  const run = req.heldSlot ? runAgentUnlimited(req, rt) : rt.limiter.run(req.tier, rt.signal, () => runAgentUnlimited(req, rt), req.priority);
  return run.catch((e) => {
    if (rt.signal.aborted && !AgentError.is(e)) throw new AgentError('cancelled', `${req.agentId} cancelled`, e);
    throw e;
  });
}

/** What the model is told after a cut reply; the advice names only tools it has. */
function cutNote(reason: 'max_tokens' | 'model_context_window_exceeded', calls: number, maxTokens: number, tools: readonly string[]): string {
  const what = reason === 'max_tokens' ? `your reply was cut off at the output limit (max_tokens ${maxTokens})` : 'your reply was cut off because the conversation filled the context window';
  const callsNote = calls > 0 ? ` The tool call${calls > 1 ? 's' : ''} in it did not run (an incomplete call is never executed).` : '';
  const how = tools.includes('edit')
    ? 'write a long file in several steps (a first part with `write`, then `edit` to add the rest), and keep each reply short'
    : 'write shorter files, one per reply, and keep each reply short';
  return `Note: ${what}.${callsNote} Continue from where you stopped, in smaller pieces: ${how}.`;
}

async function runAgentUnlimited(req: AgentRequest, rt: AgentRuntime): Promise<AgentResult> {
  // The limiter refuses a stopped run's agents; one in a held slot (QC after its builder) asks no
  // limiter, so it is refused here, before it says it started or starts its shell.
  if (rt.signal.aborted) throw new AgentError('cancelled', `${req.agentId} cancelled`);
  if (req.system.length < 1 || req.system.length > MAX_SYSTEM_BLOCKS) throw new Error(`${req.agentId}: ${req.system.length} system blocks (1 to ${MAX_SYSTEM_BLOCKS})`);
  const limits: ContextLimits = { ...DEFAULT_CONTEXT_LIMITS, ...(rt.contextWindowOf?.(req.model) ? { windowTokens: rt.contextWindowOf(req.model)! } : {}), ...req.context };
  const maxCuts = req.maxCutReplies ?? 3;
  const usage = emptyUsage();
  let messages: BetaMessageParam[] = req.history ? clone(req.history) : [{ role: 'user', content: req.task }];
  let turns = 0;
  let retries = 0;
  let nudges = 0;
  let cutsInARow = 0;
  let cacheEnd: BlockRef | undefined;
  rt.emit({ type: 'agent-started', agentId: req.agentId, role: req.role, module: req.module, model: req.model });
  // Every system block ends a cacheable prefix: the first (role prompt + shared contracts) is the
  // same for every agent of a role, so the next agent reads it even though its own slice differs.
  const system: BetaTextBlockParam[] = req.system.map((text) => ({ type: 'text', text, cache_control: { type: 'ephemeral' as const } }));
  // Only the API fields of each tool go out (the runnable tool also carries run/parse/close).
  const toolDefs = req.tools.map((t) => Object.fromEntries(Object.entries(t).filter(([k]) => (BETA_CLIENT_TOOL_UNION_KEYS as readonly string[]).includes(k))) as unknown as BetaToolUnion);
  const thinking = thinkingFields(req.model, req.thinkingBudget, req.maxTokens);

  /**
   * Clears old tool results when the next request would pass the share of the window (or always,
   * when `force`). It clears down to half that share, keeping as many recent tool turns as fit, so
   * sweeps (each of which rewrites the cached prefix) come in rare bursts rather than every turn.
   */
  const bound = (force: boolean): number => {
    const tokens = conversationTokens(system, toolDefs, messages);
    const clearAt = limits.windowTokens * limits.clearAtShare;
    if (!force && tokens < clearAt) return 0;
    let best = { messages, cleared: 0 };
    for (let keep = force ? 1 : limits.keepRecentToolTurns; keep >= 1; keep--) {
      best = clearOldToolResults(messages, keep);
      if (conversationTokens(system, toolDefs, best.messages) <= clearAt / 2) break;
    }
    if (best.cleared > 0) {
      messages = best.messages;
      rt.emit({ type: 'log', level: 'info', message: `${req.agentId}: cleared ${best.cleared} old tool result(s) to stay within the context window (about ${tokens} tokens before, ${conversationTokens(system, toolDefs, messages)} after, window ${limits.windowTokens})` });
    }
    return best.cleared;
  };

  /** Every reply's usage, a cut one's included, counts for the agent and (through the event) its module, stage and run. */
  const countUsage = (api: Parameters<typeof fromApiUsage>[0]): void => {
    const u = fromApiUsage(api);
    addUsage(usage, u);
    rt.emit({ type: 'agent-usage', agentId: req.agentId, role: req.role, module: req.module, stage: req.stage, usage: u });
  };

  try {
    // A sandboxed shell starts while the first model call is in flight (closed in the finally below).
    warmTools(req.tools);
    for (;;) {
      if (turns >= req.maxTurns) throw new AgentError('turnLimit', `${req.agentId} (${req.role}) used its ${req.maxTurns} turns without finishing`);
      bound(false);
      let sent;
      for (let shrink = 0; ; shrink++) {
        const cached = withCacheBreakpoints(messages, cacheEnd, system.length);
        try {
          sent = await modelTurn(
            req.agentId,
            {
              model: req.model,
              max_tokens: req.maxTokens,
              system,
              tools: toolDefs,
              messages: cached.messages,
              ...thinking,
            },
            rt,
            countUsage,
          );
          cacheEnd = cached.end;
          break;
        } catch (e) {
          // Too long for the window: clear everything but the last tool turn once, then give up.
          if (e instanceof PromptTooLongError && shrink === 0 && bound(true) > 0) continue;
          if (e instanceof PromptTooLongError) throw new AgentError('contextWindow', `${req.agentId} (${req.role}): the conversation no longer fits the model's context window: ${e.message}`, e);
          throw e;
        }
      }
      const { message } = sent;
      retries += sent.retries;
      turns++;
      countUsage(message.usage);
      // That usage may have reached the run's budget, which cancels the run at once: the reply's tool
      // calls (writes, edits) must not run after that.
      if (rt.signal.aborted) throw new AgentError('cancelled', `${req.agentId} cancelled`);
      const reply = replyAsParam(message);
      const calls = toolUsesOf(reply);

      switch (message.stop_reason) {
        case 'refusal':
          throw new AgentError('refusal', `${req.agentId} (${req.role}${req.module ? ` of ${req.module}` : ''}): the model refused to continue (stop_reason refusal)`);
        case 'pause_turn':
          // The API paused a long turn; sending it back as the last message lets the model go on with it.
          messages = appendAssistant(messages, reply);
          continue;
        case 'max_tokens':
        case 'model_context_window_exceeded': {
          cutsInARow++;
          if (cutsInARow > maxCuts) {
            const why = message.stop_reason === 'max_tokens' ? `its replies were cut at max_tokens (${req.maxTokens}) ${cutsInARow} times in a row; raise maxTokens for this role` : `its conversation filled the context window ${cutsInARow} times in a row`;
            throw new AgentError(message.stop_reason === 'max_tokens' ? 'maxTokens' : 'contextWindow', `${req.agentId} (${req.role}): ${why}`);
          }
          messages = appendAssistant(messages, reply);
          messages.push(userTurn(notRunResults(calls, 'the reply was cut off before this call was complete'), cutNote(message.stop_reason, calls.length, req.maxTokens, req.tools.map((t) => t.name))));
          if (message.stop_reason === 'model_context_window_exceeded') bound(true);
          continue;
        }
        case 'tool_use':
        default: {
          messages = appendAssistant(messages, reply);
          if (calls.length > 0) {
            cutsInARow = 0;
            messages.push(userTurn(await runToolCalls(calls, req.tools, rt.signal, limits.toolResultMaxChars)));
            req.onToolResults?.(messages);
            if (rt.signal.aborted) throw new AgentError('cancelled', `${req.agentId} cancelled`);
            continue;
          }
        }
      }
      cutsInARow = 0;
      // end_turn / stop_sequence: the agent stopped talking.
      const complete = req.isComplete ? req.isComplete() : true;
      if (complete || !req.nudge || nudges >= (req.maxNudges ?? 2)) {
        const finalText = lastAssistantText(messages);
        rt.emit({ type: 'agent-ended', agentId: req.agentId, role: req.role, module: req.module, ok: complete, summary: finalText.slice(0, 300) });
        return { finalText, usage, turns, retries, messages, complete };
      }
      nudges++;
      messages = [...messages, { role: 'user', content: req.nudge }];
    }
  } catch (e) {
    rt.emit({ type: 'agent-ended', agentId: req.agentId, role: req.role, module: req.module, ok: false, summary: (e as Error).message });
    throw e;
  } finally {
    // The bash tool keeps a shell per agent; nothing else closes it, so we do.
    await Promise.allSettled(req.tools.map((t) => t.close?.()));
  }
}
