/**
 * Reads and checks a Messages API request body the way the API does at its edge: JSON that parses,
 * the required fields present with the right types. Failures carry the API's wording style
 * ("messages: Field required") so the SDK surfaces them as a 400 BadRequestError.
 */
import type { IncomingMessage } from 'node:http';
import type { MessagesRequest, WireMessage } from './api-types';

export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export class BodyError extends Error {
  constructor(
    readonly type: 'invalid_request_error' | 'request_too_large',
    message: string,
  ) {
    super(message);
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyError('request_too_large', `Request exceeds the maximum size of ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new BodyError('invalid_request_error', `Request body is not valid JSON: ${(e as Error).message}`);
  }
}

function fail(message: string): never {
  throw new BodyError('invalid_request_error', message);
}

function checkMessage(m: unknown, i: number): WireMessage {
  if (!m || typeof m !== 'object') fail(`messages.${i}: Input should be an object`);
  const o = m as Record<string, unknown>;
  if (o['role'] !== 'user' && o['role'] !== 'assistant') fail(`messages.${i}.role: Input should be 'user' or 'assistant'`);
  const content = o['content'];
  if (typeof content !== 'string' && !Array.isArray(content)) fail(`messages.${i}.content: Input should be a valid string or list`);
  if (Array.isArray(content) && content.some((b) => !b || typeof b !== 'object' || typeof (b as Record<string, unknown>)['type'] !== 'string')) {
    fail(`messages.${i}.content: every block needs a type`);
  }
  return { role: o['role'], content: content as WireMessage['content'] };
}

/** A Messages request checked for the fields the scripted model relies on. */
export function checkMessagesRequest(body: unknown, needsMaxTokens = true): MessagesRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) fail('Request body must be a JSON object');
  const o = body as Record<string, unknown>;
  if (typeof o['model'] !== 'string' || o['model'] === '') fail('model: Field required');
  if (needsMaxTokens && (typeof o['max_tokens'] !== 'number' || !Number.isInteger(o['max_tokens']) || o['max_tokens'] < 1)) {
    fail('max_tokens: Field required (a positive integer)');
  }
  if (!Array.isArray(o['messages']) || o['messages'].length === 0) fail('messages: Field required (at least one message)');
  if (o['tools'] !== undefined && !Array.isArray(o['tools'])) fail('tools: Input should be a valid list');
  if (o['stream'] !== undefined && typeof o['stream'] !== 'boolean') fail('stream: Input should be a valid boolean');
  return {
    model: o['model'],
    max_tokens: typeof o['max_tokens'] === 'number' ? o['max_tokens'] : 0,
    stream: o['stream'] === true,
    system: o['system'],
    tools: (o['tools'] as unknown[] | undefined) ?? [],
    messages: o['messages'].map(checkMessage),
    ...(o['thinking'] !== undefined ? { thinking: o['thinking'] } : {}),
    ...(o['output_config'] !== undefined ? { output_config: o['output_config'] } : {}),
  };
}
