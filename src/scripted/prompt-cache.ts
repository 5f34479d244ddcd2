/**
 * Prompt caching the way the API documents it, so cost accounting (X2) can be tested: the prompt is
 * the sequence tools → system → messages; every block carrying `cache_control` marks a breakpoint;
 * the prefix up to a breakpoint, if seen before within the TTL, is read from cache (the longest such
 * prefix wins), otherwise the prefix up to the last breakpoint is written. Prefixes shorter than the
 * minimum cacheable length are neither read nor written. Tokens are estimated as ceil(chars / 4).
 */
import { createHash } from 'node:crypto';
import type { MessagesRequest } from './api-types';

export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

export interface CacheUsage {
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

interface Segment {
  text: string;
  breakpoint: boolean;
}

/** Serializes a block without its `cache_control`: moving a breakpoint does not change the bytes before it. */
function segmentOf(prefix: string, block: unknown): Segment {
  if (block === null || typeof block !== 'object') return { text: prefix + JSON.stringify(block), breakpoint: false };
  const { cache_control: marker, ...rest } = block as Record<string, unknown>;
  return { text: prefix + JSON.stringify(rest), breakpoint: marker !== undefined && marker !== null };
}

/** The prompt in cache order, one segment per tool, system block and message content block. */
export function promptSegments(req: MessagesRequest): Segment[] {
  const segments: Segment[] = req.tools.map((tool) => segmentOf('tool:', tool));
  if (typeof req.system === 'string') segments.push({ text: 'system:' + req.system, breakpoint: false });
  else if (Array.isArray(req.system)) for (const block of req.system) segments.push(segmentOf('system:', block));
  for (const message of req.messages) {
    if (typeof message.content === 'string') segments.push({ text: `${message.role}:${message.content}`, breakpoint: false });
    else for (const block of message.content) segments.push(segmentOf(`${message.role}:`, block));
  }
  return segments;
}

export class PromptCache {
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly minTokens: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Looks the request's prefixes up, records new ones, and returns the usage split. */
  account(req: MessagesRequest): CacheUsage {
    const segments = promptSegments(req);
    const now = this.now();
    for (const [key, expires] of this.entries) if (expires <= now) this.entries.delete(key);

    const hash = createHash('sha256');
    let chars = 0;
    const breakpoints: Array<{ key: string; tokens: number }> = [];
    for (const segment of segments) {
      hash.update(segment.text);
      chars += segment.text.length;
      if (segment.breakpoint) breakpoints.push({ key: hash.copy().digest('hex'), tokens: estimateTokens(chars) });
    }
    const totalTokens = estimateTokens(chars);
    const cacheable = breakpoints.filter((b) => b.tokens >= this.minTokens);

    let readIndex = -1;
    for (let i = cacheable.length - 1; i >= 0; i--) {
      if (this.entries.has(cacheable[i]!.key)) {
        readIndex = i;
        break;
      }
    }
    const read = readIndex >= 0 ? cacheable[readIndex]!.tokens : 0;
    if (readIndex >= 0) this.entries.set(cacheable[readIndex]!.key, now + this.ttlMs);

    let written = 0;
    const last = cacheable.at(-1);
    if (last && cacheable.length - 1 > readIndex) {
      written = last.tokens - read;
      for (const b of cacheable.slice(readIndex + 1)) this.entries.set(b.key, now + this.ttlMs);
    }
    return {
      inputTokens: Math.max(0, totalTokens - read - written),
      cacheReadTokens: read,
      cacheWriteTokens: written,
    };
  }
}
