/**
 * One model call, with the engine's retries for that call only. The SDK retries a request a few
 * times itself; on top of that a turn is retried when what failed is something the SDK does not
 * retry (a stream cut after the headers) or outlasted its retries (a long 429/529 period). The
 * budget is per turn and starts afresh with every turn, so a long builder is not worn down by
 * failures spread over its whole life; the server's `retry-after` sets the wait when it gives one.
 * A failed turn changes nothing: the history it was sent with is simply sent again. A reply cut
 * mid-stream had already reported its usage (the prompt's tokens, in message_start): that is handed to
 * `onCutUsage`, so the run's totals and its budget count the retried attempt too.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { APIUserAbortError } from '@anthropic-ai/sdk';
import type { BetaMessage, BetaUsage, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import type { PipelineEvent } from '../events';
import { AgentError, describeError, isPromptTooLong, isRetriable, retryDelay, sleep } from './errors';

export interface TurnRuntime {
  client: Anthropic;
  signal: AbortSignal;
  emit: (e: PipelineEvent) => void;
  turnRetries: number;
  retryBaseDelayMs: number;
}

/** The API said the request is longer than the model's window; the caller can shrink it and try again. */
export class PromptTooLongError extends Error {}

export async function modelTurn(
  agentId: string,
  params: MessageCreateParamsNonStreaming,
  rt: TurnRuntime,
  onCutUsage?: (usage: BetaUsage) => void,
): Promise<{ message: BetaMessage; retries: number }> {
  for (let attempt = 0; ; attempt++) {
    // Streamed: long replies (an architect's files) would run into the SDK's limit for non-streaming requests.
    const stream = rt.client.beta.messages.stream(params, { signal: rt.signal });
    try {
      return { message: await stream.finalMessage(), retries: attempt };
    } catch (e) {
      const cut = stream.currentMessage?.usage;
      if (cut) onCutUsage?.(cut);
      if (rt.signal.aborted || e instanceof APIUserAbortError) throw new AgentError('cancelled', `${agentId} cancelled`, e);
      if (isPromptTooLong(e)) throw new PromptTooLongError(describeError(e));
      if (!isRetriable(e) || attempt >= rt.turnRetries) {
        throw new AgentError('apiError', `${agentId}: model call failed: ${describeError(e)}`, e);
      }
      const delayMs = retryDelay(e, attempt + 1, rt.retryBaseDelayMs);
      rt.emit({ type: 'agent-retry', agentId, attempt: attempt + 1, reason: describeError(e), delayMs });
      await sleep(delayMs, rt.signal);
    }
  }
}
