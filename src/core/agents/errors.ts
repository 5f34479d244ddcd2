/**
 * How an agent fails, as a typed error with a reason the stages can branch on, plus the retry rules
 * for model calls (what is worth retrying, how long to wait, honouring the API's `retry-after`).
 */
import { APIError, APIUserAbortError } from '@anthropic-ai/sdk';

export type AgentErrorReason =
  | 'cancelled'
  | 'apiError'
  | 'turnLimit'
  /** Replies kept ending at max_tokens (the model never managed to write in pieces that fit). */
  | 'maxTokens'
  /** The model declined the task (`stop_reason: refusal`). */
  | 'refusal'
  /** The conversation no longer fits the model's context window, even after clearing old tool results. */
  | 'contextWindow';

export class AgentError extends Error {
  constructor(
    readonly reason: AgentErrorReason,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'AgentError';
  }
  static is(e: unknown, reason?: AgentErrorReason): e is AgentError {
    return e instanceof AgentError && (reason === undefined || e.reason === reason);
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

/** The API's answer to a request longer than the model's context window (400 "prompt is too long"). */
export function isPromptTooLong(e: unknown): boolean {
  return e instanceof APIError && e.status === 400 && /prompt is too long/i.test(e.message);
}

const MAX_RETRY_AFTER_MS = 60_000;

/** Milliseconds the server asked us to wait (`retry-after-ms`, `retry-after` in seconds or as a date), if it did. */
export function retryAfterMs(e: unknown, now = Date.now()): number | undefined {
  const headers = e instanceof APIError ? e.headers : undefined;
  const ms = Number(headers?.get?.('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_RETRY_AFTER_MS);
  const after = headers?.get?.('retry-after');
  if (!after) return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(after);
  return Number.isFinite(date) ? Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS) : undefined;
}

/** The server's `retry-after` when given, else exponential backoff with jitter. */
export function retryDelay(e: unknown, attempt: number, baseMs: number): number {
  const asked = retryAfterMs(e);
  if (asked !== undefined) return asked;
  const exp = Math.min(baseMs * 2 ** (attempt - 1), 30_000);
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

export function describeError(e: unknown): string {
  if (e instanceof APIError) return `${e.status ?? 'connection'} ${e.message}`.slice(0, 300);
  return String((e as Error)?.message ?? e).slice(0, 300);
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
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
