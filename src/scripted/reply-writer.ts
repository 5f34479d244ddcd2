/**
 * Puts a scripted reply on the wire, either as one JSON message or as the API's server-sent events
 * (message_start, content blocks with text_delta / input_json_delta chunks, message_delta,
 * message_stop). Tool inputs are deliberately split over several input_json_delta events, as the real
 * API does, so that the SDK's partial-JSON accumulation is exercised by every test.
 * It also carries out the 'cut' fault: a reply that dies half-way, after the headers went out.
 */
import type { ServerResponse } from 'node:http';
import type { ReplyBlock, WireMessageReply, WireUsage } from './api-types';
import { PARTIAL_JSON, type CutToolUse } from './reply-faults';

const JSON_CHUNK = 48;
const TEXT_CHUNK = 32;

/** Splits text into pieces of about `size` characters, never inside a surrogate pair, at least 3 when it can. */
export function chunkText(text: string, size: number): string[] {
  const points = Array.from(text);
  const step = Math.max(1, Math.min(size, Math.ceil(points.length / 3)));
  const chunks: string[] = [];
  for (let i = 0; i < points.length; i += step) chunks.push(points.slice(i, i + step).join(''));
  return chunks;
}

function sseEvent(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

function baseHeaders(requestId: string): Record<string, string> {
  return { 'request-id': requestId, 'anthropic-organization-id': 'scripted-model' };
}

export function sendJsonReply(res: ServerResponse, requestId: string, message: WireMessageReply): void {
  const body = JSON.stringify(message);
  res.writeHead(200, {
    ...baseHeaders(requestId),
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The whole event sequence of a streamed reply, in order. */
export function streamEvents(message: WireMessageReply): string[] {
  const usage: WireUsage = message.usage;
  const events: string[] = [
    sseEvent('message_start', {
      type: 'message_start',
      message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
    }),
    sseEvent('ping', { type: 'ping' }),
  ];
  message.content.forEach((block, index) => events.push(...blockEvents(block, index)));
  events.push(
    sseEvent('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: message.stop_reason, stop_sequence: null },
      usage: {
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        output_tokens: usage.output_tokens,
      },
    }),
    sseEvent('message_stop', { type: 'message_stop' }),
  );
  return events;
}

function blockEvents(block: ReplyBlock, index: number): string[] {
  if (block.type === 'text') {
    return [
      sseEvent('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }),
      ...chunkText(block.text, TEXT_CHUNK).map((text) =>
        sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } }),
      ),
      sseEvent('content_block_stop', { type: 'content_block_stop', index }),
    ];
  }
  if (block.type === 'thinking') {
    return [
      sseEvent('content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }),
      ...chunkText(block.thinking, TEXT_CHUNK).map((thinking) =>
        sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking } }),
      ),
      sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } }),
      sseEvent('content_block_stop', { type: 'content_block_stop', index }),
    ];
  }
  // A call cut at max_tokens streams only the JSON it had produced, then its block stops.
  const json = (block as CutToolUse)[PARTIAL_JSON] ?? JSON.stringify(block.input);
  return [
    sseEvent('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
    }),
    ...(json === '' ? [] : chunkText(json, JSON_CHUNK)).map((partial_json) =>
      sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } }),
    ),
    sseEvent('content_block_stop', { type: 'content_block_stop', index }),
  ];
}

export function sendStreamReply(res: ServerResponse, requestId: string, message: WireMessageReply): void {
  res.writeHead(200, {
    ...baseHeaders(requestId),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  for (const event of streamEvents(message)) res.write(event);
  res.end();
}

/**
 * The 'cut' fault. Streaming: the headers, message_start and the reply up to the middle of its first
 * tool input (or text) go out, then the socket is destroyed, so the SDK's stream throws after it has
 * already handed the stream to its caller (no transparent SDK retry is possible). JSON: half the body
 * of a response that announced its full length.
 */
export function sendCutReply(res: ServerResponse, requestId: string, message: WireMessageReply, stream: boolean): void {
  let partial: string;
  if (stream) {
    res.writeHead(200, { ...baseHeaders(requestId), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const events = streamEvents(message);
    const cutAt = cutIndex(events);
    partial = events.slice(0, cutAt).join('');
  } else {
    const body = JSON.stringify(message);
    res.writeHead(200, { ...baseHeaders(requestId), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    partial = body.slice(0, Math.floor(body.length / 2));
  }
  // Let the bytes reach the client before the connection dies, so it sees a reply that started and broke off.
  res.write(partial, () => setTimeout(() => res.socket?.destroy(), 10));
}

/** Index just after the first input_json_delta of a tool_use block (else the first text delta). */
function cutIndex(events: string[]): number {
  const firstJson = events.findIndex((e) => e.includes('"input_json_delta"'));
  if (firstJson >= 0) return firstJson + 1;
  const firstText = events.findIndex((e) => e.includes('"text_delta"'));
  return firstText >= 0 ? firstText + 1 : 1;
}
