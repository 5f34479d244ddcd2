/**
 * Measuring the orchestrator's model context (SPEC T6): the bytes of everything a judgement call
 * sent in its last request (system prompt plus the whole conversation, tool calls included), which
 * is the largest context that call ever had.
 */
import type { BetaMessageParam } from '@anthropic-ai/sdk/resources/beta';

export function contextBytes(system: readonly string[], messages: readonly BetaMessageParam[]): number {
  return Buffer.byteLength(system.join('')) + Buffer.byteLength(JSON.stringify(messages));
}

export interface OrchestratorContext {
  calls: number;
  maxBytes: number;
  totalBytes: number;
  /** Label of the call with the largest context. */
  largest?: string;
}

export function recordContext(into: OrchestratorContext, label: string, bytes: number): void {
  into.calls++;
  into.totalBytes += bytes;
  if (bytes > into.maxBytes) {
    into.maxBytes = bytes;
    into.largest = label;
  }
}
