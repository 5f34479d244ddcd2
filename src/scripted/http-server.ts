/**
 * The scripted model as a loopback HTTP server speaking the Messages API, so the real SDK (retries,
 * SSE parsing, typed errors, tool runner) is what the engine's tests and the offline demo exercise.
 * Routes: POST /v1/messages (JSON or SSE), POST /v1/messages/count_tokens, GET /v1/models and
 * GET /v1/models/{id} (the Models API, which the engine's preflight asks); anything else is the
 * API's 404. In strict mode (the default) requests that break the API's rules get the API's errors
 * (strict.ts). Each request is answered from its own content only (the model is stateless); the only
 * state here is the prompt cache, the fault plan and the statistics.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendApiError } from './api-errors';
import type { MessagesRequest, ScriptedReply, WireMessageReply } from './api-types';
import { readConversation } from './conversation';
import { FaultPlanner } from './faults';
import { scriptedTurn } from './policy';
import { estimateTokens, PromptCache, promptSegments } from './prompt-cache';
import { sendCutReply, sendJsonReply, sendStreamReply } from './reply-writer';
import { BodyError, checkMessagesRequest, parseJsonBody, readBody } from './request-body';
import { SCENARIOS, type ScriptedModelHandle, type ScriptedModelOptions } from './types';
import { ScriptedStats } from './stats';
import { DEFAULT_CONTEXT_WINDOW, DEFAULT_KNOWN_MODELS, modelCatalog } from './models';
import { applyReplyFault, ReplyFaultPlanner } from './reply-faults';
import { checkStrictRules, StrictRuleError } from './strict';
import { thinkingOn, ThinkingSigner } from './thinking';

const HOST = '127.0.0.1';
const DEFAULT_MIN_CACHE_TOKENS = 1024;
const DEFAULT_CACHE_TTL_MS = 5 * 60 * 1000;

function checkOptions(opts: ScriptedModelOptions): void {
  if (opts.scenario !== undefined && !SCENARIOS.includes(opts.scenario)) throw new RangeError(`unknown scenario ${JSON.stringify(opts.scenario)}`);
  if (opts.latencyMs !== undefined && !(opts.latencyMs >= 0)) throw new RangeError('latencyMs must be >= 0');
  if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port >= 0 && opts.port < 65536)) throw new RangeError('port must be 0..65535');
}

function messageId(req: MessagesRequest): string {
  return 'msg_' + createHash('sha256').update(JSON.stringify(req.messages)).digest('base64url').slice(0, 24);
}

export async function startScriptedModel(opts: ScriptedModelOptions = {}): Promise<ScriptedModelHandle> {
  checkOptions(opts);
  const faults = new FaultPlanner(opts.faultSchedule, opts.faultRates, opts.seed ?? 1);
  const cache = new PromptCache(opts.minCacheTokens ?? DEFAULT_MIN_CACHE_TOKENS, opts.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS);
  const stats = new ScriptedStats();
  const pendingDelays = new Set<NodeJS.Timeout>();
  const retryAfter = String(opts.retryAfterSeconds ?? 0);
  const strict = opts.strict ?? true;
  const models = modelCatalog(opts.models ?? DEFAULT_KNOWN_MODELS, opts.contextWindowTokens ?? DEFAULT_CONTEXT_WINDOW);
  const signer = new ThinkingSigner();
  const replyFaults = new ReplyFaultPlanner(opts.replyFaults);

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) return resolve();
      const t = setTimeout(() => {
        pendingDelays.delete(t);
        resolve();
      }, ms);
      pendingDelays.add(t);
    });

  async function messages(req: MessagesRequest, res: http.ServerResponse, requestId: string): Promise<void> {
    opts.onRequest?.(req);
    const c = readConversation(req);
    stats.request(c.card.role, c.tools);
    measure(req);
    if (strict) {
      try {
        checkStrictRules(req, { models, signer });
      } catch (e) {
        if (!(e instanceof StrictRuleError)) throw e;
        stats.reject(e.message);
        return sendApiError(res, requestId, e.type, e.message);
      }
    }
    await delay(opts.latencyMs ?? 0);
    const fault = faults.next();
    if (fault !== 'ok') stats.fault(fault);
    if (fault === '429') return sendApiError(res, requestId, 'rate_limit_error', 'Number of requests has exceeded your rate limit (scripted fault).', { 'retry-after': retryAfter });
    if (fault === '500') return sendApiError(res, requestId, 'api_error', 'Internal server error (scripted fault).');
    if (fault === '529') return sendApiError(res, requestId, 'overloaded_error', 'Overloaded (scripted fault).', { 'retry-after': retryAfter });

    let reply: ScriptedReply;
    try {
      reply = scriptedTurn({ c, scenario: opts.scenario ?? 'happy', target: opts.target, project: opts.project, maxTokens: req.max_tokens, probe: opts.probe });
    } catch (e) {
      // A bug in the script, not an API condition: say so, and tell the SDK not to retry it.
      return sendApiError(res, requestId, 'api_error', `scripted model failed: ${(e as Error).stack ?? String(e)}`, { 'x-should-retry': 'false' });
    }
    const early = replyFaults.take(c, req.messages.filter((m) => m.role === 'assistant').length);
    if (early) {
      stats.replyFault(early);
      reply = applyReplyFault(early, reply);
    }
    if (thinkingOn(req.thinking)) {
      reply = { ...reply, blocks: [signer.block(`Next step for this ${c.card.role} turn: ${reply.stopReason === 'tool_use' ? 'use the tools listed' : 'answer'}.`), ...reply.blocks] };
    }
    const usage = cache.account(req);
    const message: WireMessageReply = {
      id: messageId(req),
      type: 'message',
      role: 'assistant',
      model: req.model,
      content: reply.blocks,
      stop_reason: reply.stopReason,
      stop_sequence: null,
      usage: {
        input_tokens: usage.inputTokens,
        output_tokens: estimateTokens(JSON.stringify(reply.blocks).length),
        cache_creation_input_tokens: usage.cacheWriteTokens,
        cache_read_input_tokens: usage.cacheReadTokens,
        cache_creation: { ephemeral_5m_input_tokens: usage.cacheWriteTokens, ephemeral_1h_input_tokens: 0 },
        service_tier: 'standard',
      },
    };
    if (fault === 'cut') {
      // A cut stream reported its usage in message_start before it died (output 1, as the API's does).
      if (req.stream) stats.served({ ...message.usage, output_tokens: 1 });
      return sendCutReply(res, requestId, message, req.stream);
    }
    stats.served(message.usage);
    if (req.stream) sendStreamReply(res, requestId, message);
    else sendJsonReply(res, requestId, message);
  }

  /** Records the request's size figures (largest tool result, estimated tokens, newest results). */
  function measure(req: MessagesRequest): void {
    let largest = 0;
    let newest = 0;
    req.messages.forEach((m, i) => {
      if (!Array.isArray(m.content)) return;
      for (const b of m.content) {
        if (b['type'] !== 'tool_result') continue;
        const content = b['content'];
        const chars = typeof content === 'string' ? content.length : Array.isArray(content) ? JSON.stringify(content).length : 0;
        largest = Math.max(largest, chars);
        if (i === req.messages.length - 1) newest += chars;
      }
    });
    stats.sized(largest, estimateTokens(promptSegments(req).reduce((n, seg) => n + seg.text.length, 0)), newest);
  }

  async function route(httpReq: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = 'req_scripted_' + randomBytes(12).toString('hex');
    const path = new URL(httpReq.url ?? '/', `http://${HOST}`).pathname.replace(/\/+$/, '');
    if (opts.apiKey !== undefined && httpReq.headers['x-api-key'] !== opts.apiKey) {
      httpReq.resume();
      return sendApiError(res, requestId, 'authentication_error', 'invalid x-api-key');
    }
    if (httpReq.method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) {
      httpReq.resume();
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (path !== '/v1/models' && !models.has(id)) return sendApiError(res, requestId, 'not_found_error', `model: ${id}`);
      const payload = JSON.stringify(path === '/v1/models' ? models.list() : models.info(id));
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
      return void res.end(payload);
    }
    const known = path === '/v1/messages' || path === '/v1/messages/count_tokens';
    if (!known || httpReq.method !== 'POST') {
      httpReq.resume();
      return sendApiError(res, requestId, 'not_found_error', `Not found: ${httpReq.method ?? ''} ${path || '/'}`);
    }
    try {
      const body = parseJsonBody(await readBody(httpReq));
      if (path === '/v1/messages/count_tokens') {
        const req = checkMessagesRequest(body, false);
        const chars = promptSegments(req).reduce((n, s) => n + s.text.length, 0);
        const payload = JSON.stringify({ input_tokens: estimateTokens(chars) });
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
        return void res.end(payload);
      }
      await messages(checkMessagesRequest(body), res, requestId);
    } catch (e) {
      if (e instanceof BodyError) return sendApiError(res, requestId, e.type, e.message);
      throw e;
    }
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendApiError(res, 'req_scripted_error', 'api_error', `scripted model failed: ${String(e)}`, { 'x-should-retry': 'false' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${HOST}:${port}`,
    port,
    stats: () => stats.snapshot(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of pendingDelays) clearTimeout(t);
        pendingDelays.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
