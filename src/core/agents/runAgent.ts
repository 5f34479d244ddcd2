/**
 * One agent, run to completion: a stateless loop around the SDK's tool runner. Everything it needs
 * (client, prompt, tools, limits, abort signal) is injected; it owns no files, worktrees or state.
 *
 * The SDK retries failed requests itself. On top of that this loop restarts a *turn* when what
 * failed is something the SDK does not retry (a stream cut after the headers, a burst of 529s longer
 * than the SDK's retries): it goes back to the conversation as it was before the failed turn, so a
 * half-received tool call is never applied (tools only run once a reply is complete).
 */
import Anthropic, { APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { BetaMessageParam } from '@anthropic-ai/sdk/resources/beta';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import type { ModelTier, Usage } from '../contracts/schemas';
import type { PipelineEvent } from '../events';
import type { TierLimiter } from '../limiter';
import { addUsage, emptyUsage, fromApiUsage } from '../usage';

export interface AgentRequest {
  agentId: string;
  role: string;
  module?: string;
  stage: string;
  tier: ModelTier;
  model: string;
  /** System prompt blocks; the last one carries `cache_control`, so the whole prefix is cached. */
  system: string[];
  task: string;
  tools: BetaRunnableTool[];
  maxTurns: number;
  maxTokens: number;
  /** Whether the agent has delivered what the engine needs (e.g. called report_outcome). */
  isComplete?: () => boolean;
  /** Said to an agent that stopped before `isComplete()`; at most `maxNudges` times. */
  nudge?: string;
  maxNudges?: number;
  /** History to continue from instead of a fresh task (e.g. an architect repair round). */
  history?: BetaMessageParam[];
}

export interface AgentRuntime {
  client: Anthropic;
  limiter: TierLimiter;
  emit: (e: PipelineEvent) => void;
  signal: AbortSignal;
  turnRetries: number;
  retryBaseDelayMs: number;
}

export interface AgentResult {
  finalText: string;
  usage: Usage;
  turns: number;
  retries: number;
  messages: BetaMessageParam[];
  complete: boolean;
}

export class AgentError extends Error {
  constructor(
    readonly reason: 'cancelled' | 'apiError' | 'turnLimit',
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'AgentError';
  }
  static is(e: unknown, reason?: AgentError['reason']): e is AgentError {
    return e instanceof AgentError && (reason === undefined || e.reason === reason);
  }
}

export async function runAgent(req: AgentRequest, rt: AgentRuntime): Promise<AgentResult> {
  return rt.limiter.run(req.tier, rt.signal, () => runAgentUnlimited(req, rt)).catch((e) => {
    if (rt.signal.aborted && !AgentError.is(e)) throw new AgentError('cancelled', `${req.agentId} cancelled`, e);
    throw e;
  });
}

async function runAgentUnlimited(req: AgentRequest, rt: AgentRuntime): Promise<AgentResult> {
  const usage = emptyUsage();
  let messages: BetaMessageParam[] = req.history ? clone(req.history) : [{ role: 'user', content: req.task }];
  let turns = 0;
  let retries = 0;
  let nudges = 0;
  rt.emit({ type: 'agent-started', agentId: req.agentId, role: req.role, module: req.module, model: req.model });
  const system = req.system.map((text, i) => ({
    type: 'text' as const,
    text,
    ...(i === req.system.length - 1 ? { cache_control: { type: 'ephemeral' as const } } : {}),
  }));

  try {
    for (;;) {
      if (turns >= req.maxTurns) throw new AgentError('turnLimit', `${req.agentId} used its ${req.maxTurns} turns without finishing`);
      const runner = rt.client.beta.messages.toolRunner(
        {
          model: req.model,
          max_tokens: req.maxTokens,
          thread: false,
          stream: true,
          max_iterations: req.maxTurns - turns,
          system,
          messages,
          tools: req.tools,
        },
        { signal: rt.signal },
      );
      // The conversation as sent for the turn in flight: where a failed turn restarts from.
      let beforeTurn = clone(messages);
      try {
        for await (const stream of runner) {
          beforeTurn = clone(runner.params.messages as BetaMessageParam[]);
          const message = await stream.finalMessage();
          turns++;
          const u = fromApiUsage(message.usage);
          addUsage(usage, u);
          rt.emit({ type: 'agent-usage', agentId: req.agentId, role: req.role, module: req.module, stage: req.stage, usage: u });
        }
        messages = clone(runner.params.messages as BetaMessageParam[]);
      } catch (e) {
        if (rt.signal.aborted || e instanceof APIUserAbortError) throw new AgentError('cancelled', `${req.agentId} cancelled`, e);
        if (!isRetriable(e) || retries >= rt.turnRetries) {
          throw new AgentError('apiError', `${req.agentId}: model call failed: ${describeError(e)}`, e);
        }
        retries++;
        const delayMs = retryDelay(e, retries, rt.retryBaseDelayMs);
        rt.emit({ type: 'agent-retry', agentId: req.agentId, attempt: retries, reason: describeError(e), delayMs });
        await sleep(delayMs, rt.signal);
        messages = beforeTurn;
        continue;
      }
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
    // The bash tool keeps a shell per agent; the Messages tool runner never closes it, so we do.
    await Promise.allSettled(req.tools.map((t) => t.close?.()));
  }
}

export function isRetriable(e: unknown): boolean {
  if (e instanceof APIUserAbortError) return false;
  if (e instanceof APIError && typeof e.status === 'number') {
    return e.status === 408 || e.status === 409 || e.status === 429 || e.status >= 500;
  }
  // No status: the connection dropped, the stream was cut or a reply could not be parsed.
  return true;
}

function retryDelay(e: unknown, attempt: number, baseMs: number): number {
  const header = e instanceof APIError ? e.headers?.get?.('retry-after') : undefined;
  const fromHeader = header ? Number(header) * 1000 : NaN;
  if (Number.isFinite(fromHeader) && fromHeader >= 0) return Math.min(fromHeader, 60_000);
  const exp = Math.min(baseMs * 2 ** (attempt - 1), 30_000);
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

function describeError(e: unknown): string {
  if (e instanceof APIError) return `${e.status ?? 'connection'} ${e.message}`.slice(0, 300);
  return String((e as Error)?.message ?? e).slice(0, 300);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AgentError('cancelled', 'cancelled'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AgentError('cancelled', 'cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function lastAssistantText(messages: BetaMessageParam[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'assistant') continue;
    if (typeof m.content === 'string') return m.content;
    return m.content
      .map((b) => (b.type === 'text' ? b.text : ''))
      .join('')
      .trim();
  }
  return '';
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
