/**
 * Thinking, the way the API does it: with `thinking: {type: "enabled"}` (a budget, older models) or
 * `{type: "adaptive"}` every reply here starts with a thinking block carrying a signature, and the API verifies the signatures of the thinking
 * blocks sent back, so a client that edits, reorders or drops them is caught. The signature here is
 * an HMAC of the thinking text under a key that lives as long as the server.
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface ThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

export class ThinkingSigner {
  private readonly key = randomBytes(32);

  sign(thinking: string): string {
    return createHmac('sha256', this.key).update(thinking).digest('base64');
  }

  verify(thinking: unknown, signature: unknown): boolean {
    return typeof thinking === 'string' && typeof signature === 'string' && signature === this.sign(thinking);
  }

  block(thinking: string): ThinkingBlock {
    return { type: 'thinking', thinking, signature: this.sign(thinking) };
  }
}

/** The request's thinking budget when thinking is enabled, else undefined. */
export function thinkingBudget(thinking: unknown): number | undefined {
  if (!thinking || typeof thinking !== 'object') return undefined;
  const t = thinking as Record<string, unknown>;
  return t['type'] === 'enabled' && typeof t['budget_tokens'] === 'number' ? t['budget_tokens'] : undefined;
}

/** Whether the request turns thinking on: a budget, or adaptive thinking. */
export function thinkingOn(thinking: unknown): boolean {
  if (thinkingBudget(thinking) !== undefined) return true;
  return !!thinking && typeof thinking === 'object' && (thinking as Record<string, unknown>)['type'] === 'adaptive';
}
