/**
 * The agent loop against the scripted model through the real SDK (strict mode on): stop reasons,
 * retries counted per turn with retry-after, and the pure pieces (cache breakpoints, result caps,
 * clearing old results, thinking budget, role limits).
 */
import * as assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import type { BetaMessageParam } from '@anthropic-ai/sdk/resources/beta';
import { startScriptedModel, type ScriptedModelHandle, type ScriptedModelOptions } from '../../src/scripted';
import { AgentError, runAgent, type AgentRequest } from '../../src/core/agents/runAgent';
import { thinkingFields } from '../../src/core/agents/thinking';
import { DEFAULT_TIER_MODELS } from '../../src/core/config';
import { capToolResult, clearOldToolResults, conversationTokens, estimateTokens } from '../../src/core/agents/contextBudget';
import { replyAsParam, withCacheBreakpoints } from '../../src/core/agents/history';
import type { BetaMessage } from '@anthropic-ai/sdk/resources/beta';
import { retryAfterMs } from '../../src/core/agents/errors';
import { TierLimiter } from '../../src/core/limiter';
import type { PipelineEvent } from '../../src/core/events';
import { agentLimitsFor, loadConfig, ROLE_LIMIT_DEFAULTS } from '../../src/core/config';
import { limitsNote } from '../../src/core/stages/roleAgent';

describe('agent loop', function () {
  this.timeout(30_000);
  let model: ScriptedModelHandle | undefined;
  afterEach(async () => {
    await model?.close();
    model = undefined;
  });

  async function run(opts: ScriptedModelOptions, req: Partial<AgentRequest> = {}, rt: { turnRetries?: number; retryBaseDelayMs?: number } = {}) {
    model = await startScriptedModel(opts);
    const client = new Anthropic({ apiKey: 'test', baseURL: model.url, maxRetries: 0 });
    const events: PipelineEvent[] = [];
    const p = runAgent(
      { agentId: 'tester-1', role: 'builder', stage: 'build', tier: 'sonnet', model: 'claude-sonnet-5-5', system: ['You are a test agent.'], task: 'Say something.', tools: [], maxTurns: 10, maxTokens: 4000, ...req },
      { client, limiter: new TierLimiter({ opus: 1, sonnet: 1, haiku: 1 }), emit: (e) => events.push(e), signal: new AbortController().signal, turnRetries: rt.turnRetries ?? 2, retryBaseDelayMs: rt.retryBaseDelayMs ?? 1 },
    );
    return { p, events };
  }

  it('fails with a refusal that names the agent', async () => {
    const { p } = await run({ replyFaults: [{ kind: 'refusal' }] });
    await assert.rejects(p, (e: unknown) => AgentError.is(e, 'refusal') && /tester-1 \(builder\): the model refused/.test((e as Error).message));
  });

  it('warms a tool that holds a shell as the agent starts, and closes it when the agent fails before ever using it', async () => {
    const calls: string[] = [];
    const shellTool = { name: 'bash', description: 'shell', input_schema: { type: 'object' as const }, run: async () => 'unused', warm: () => calls.push('warm'), close: async () => void calls.push('close') };
    const { p } = await run({ replyFaults: [{ kind: 'refusal' }] }, { tools: [shellTool as unknown as AgentRequest['tools'][number]] });
    await assert.rejects(p, (e: unknown) => AgentError.is(e, 'refusal'));
    assert.deepEqual(calls, ['warm', 'close']);
  });

  it('runs in a slot its caller holds without taking another (the tier has one, already held)', async () => {
    model = await startScriptedModel({});
    const client = new Anthropic({ apiKey: 'test', baseURL: model.url, maxRetries: 0 });
    const limiter = new TierLimiter({ opus: 1, sonnet: 1, haiku: 1 });
    const held = await limiter.hold('sonnet');
    const req = { agentId: 'tester-1', role: 'builder', stage: 'build', tier: 'sonnet' as const, model: 'claude-sonnet-5-5', system: ['You are a test agent.'], task: 'Say something.', tools: [], maxTurns: 10, maxTokens: 4000, heldSlot: held };
    const result = await runAgent(req, { client, limiter, emit: () => undefined, signal: new AbortController().signal, turnRetries: 0, retryBaseDelayMs: 1 });
    assert.ok(result.turns >= 1);
    assert.equal(limiter.running().sonnet, 1, 'still the one held slot, not released by the agent');
    held.release();
    assert.equal(limiter.running().sonnet, 0);
  });

  it('in a held slot after the stop: refused before it says it started, warms a tool or calls the model', async () => {
    model = await startScriptedModel({});
    const client = new Anthropic({ apiKey: 'test', baseURL: model.url, maxRetries: 0 });
    const limiter = new TierLimiter({ opus: 1, sonnet: 1, haiku: 1 });
    const held = await limiter.hold('sonnet');
    const stop = new AbortController();
    stop.abort('test stop');
    const events: PipelineEvent[] = [];
    const warmed: string[] = [];
    const shell = Object.assign(
      { name: 'bash', description: 'a shell', input_schema: { type: 'object' as const, properties: {} }, run: async () => 'ran', parse: (x: unknown) => x },
      { warm: () => warmed.push('warm'), close: () => undefined },
    );
    const req = { agentId: 'qc-1', role: 'qc', stage: 'build', tier: 'sonnet' as const, model: 'claude-sonnet-5-5', system: ['You are a test agent.'], task: 'Check.', tools: [shell], maxTurns: 10, maxTokens: 4000, heldSlot: held };
    try {
      await assert.rejects(runAgent(req, { client, limiter, emit: (e) => events.push(e), signal: stop.signal, turnRetries: 0, retryBaseDelayMs: 1 }), (e: unknown) => AgentError.is(e, 'cancelled'));
    } finally {
      held.release();
    }
    assert.deepEqual(events.map((e) => e.type), [], 'no agent-started');
    assert.deepEqual(warmed, []);
    assert.equal(model.stats().requests, 0);
  });

  it('continues after a reply cut at max_tokens, telling the model to write in smaller pieces', async () => {
    const { p } = await run({ replyFaults: [{ kind: 'max_tokens' }] });
    const r = await p;
    assert.equal(r.turns, 2);
    const note = r.messages[2]!;
    assert.equal(note.role, 'user');
    assert.match(JSON.stringify(note.content), /cut off at the output limit \(max_tokens 4000\).*smaller pieces/);
    assert.equal(model!.stats().rejected, 0, model!.stats().firstRejection ?? '');
  });

  it('continues after a reply cut because the context window filled up (model_context_window_exceeded)', async () => {
    const { p } = await run({ replyFaults: [{ kind: 'model_context_window_exceeded' }] });
    const r = await p;
    assert.equal(r.turns, 2);
    assert.match(JSON.stringify(r.messages[2]!.content), /cut off because the conversation filled the context window/);
    assert.equal(model!.stats().rejected, 0);
  });

  it('gives up with a clear error after too many cut replies in a row', async () => {
    const { p } = await run({ replyFaults: [0, 1, 2, 3].map((turn) => ({ kind: 'max_tokens' as const, turn })) }, { maxCutReplies: 3 });
    await assert.rejects(p, (e: unknown) => AgentError.is(e, 'maxTokens') && /cut at max_tokens \(4000\) 4 times in a row; raise maxTokens/.test((e as Error).message));
    assert.equal(model!.stats().rejected, 0);
  });

  it('sends a paused turn back and merges its continuation into one assistant message', async () => {
    const { p } = await run({ replyFaults: [{ kind: 'pause_turn' }] });
    const r = await p;
    assert.equal(r.turns, 2);
    assert.equal(r.messages.length, 2);
    assert.match(JSON.stringify(r.messages[1]!.content), /continuing with it.*scripted model/);
  });

  it('counts retries per turn (the budget starts afresh after a successful turn) and honours retry-after', async () => {
    let checks = 0;
    const { p, events } = await run(
      { faultSchedule: ['529', '529', 'ok', '429', '429', 'ok'], retryAfterSeconds: 0.05 },
      { isComplete: () => checks++ >= 1, nudge: 'Go on.' },
      { turnRetries: 2, retryBaseDelayMs: 10_000 },
    );
    const r = await p;
    assert.equal(r.turns, 2);
    assert.equal(r.retries, 4);
    const delays = events.filter((e) => e.type === 'agent-retry').map((e) => (e.type === 'agent-retry' ? e.delayMs : -1));
    assert.deepEqual(delays, [50, 50, 50, 50]);
  });

  it('fails when one turn outlasts its retry budget', async () => {
    const { p } = await run({ faultSchedule: ['529', '529', '529'] }, {}, { turnRetries: 2 });
    await assert.rejects(p, (e: unknown) => AgentError.is(e, 'apiError') && /tester-1: model call failed: 529/.test((e as Error).message));
  });

  it('passes thinking blocks back unchanged over several turns (strict mode checks their signatures)', async () => {
    let checks = 0;
    const { p } = await run({}, { thinkingBudget: 2000, isComplete: () => checks++ >= 2, nudge: 'Once more.' });
    const r = await p;
    assert.equal(r.turns, 3);
    assert.equal(model!.stats().rejected, 0, model!.stats().firstRejection ?? '');
    assert.ok(r.messages.filter((m) => m.role === 'assistant').every((m) => Array.isArray(m.content) && m.content[0]!.type === 'thinking'));
  });
});

describe('agent loop: pure pieces', () => {
  it('sends a reply back without its whitespace-only text blocks, which the API refuses (a bare "\\n\\n" before a tool call)', () => {
    const reply = {
      content: [
        { type: 'text', text: '\n\n' },
        { type: 'tool_use', id: 'toolu_1', name: 'read', input: {} },
        { type: 'text', text: ' \t' },
      ],
    } as unknown as BetaMessage;
    assert.deepEqual(replyAsParam(reply).content, [{ type: 'tool_use', id: 'toolu_1', name: 'read', input: {} }]);
    const blank = { content: [{ type: 'text', text: '  ' }] } as unknown as BetaMessage;
    assert.deepEqual(replyAsParam(blank).content, [{ type: 'text', text: '(no content)' }], 'never an empty assistant turn');
  });

  it('puts cache breakpoints on the newest block and the previous end, never more than 4 with the system one, never on thinking', () => {
    const messages: BetaMessageParam[] = [
      { role: 'user', content: [{ type: 'text', text: 'task', cache_control: { type: 'ephemeral' } }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 's' }, { type: 'tool_use', id: 'a', name: 'read', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'x' }] },
    ];
    const first = withCacheBreakpoints(messages, undefined, 1);
    const marked = (ms: BetaMessageParam[]) => ms.flatMap((m, i) => (Array.isArray(m.content) ? m.content.map((b, j) => ('cache_control' in b && b.cache_control ? `${i}.${j}` : '')) : [])).filter(Boolean);
    assert.deepEqual(marked(first.messages), ['2.0']);
    const more: BetaMessageParam[] = [...messages, { role: 'assistant', content: [{ type: 'text', text: 'done' }] }, { role: 'user', content: 'next' }];
    const second = withCacheBreakpoints(more, first.end, 1);
    assert.deepEqual(marked(second.messages), ['2.0', '4.0']);
    // Two system blocks (shared prefix, then the agent's slice) leave room for both; more would not.
    assert.deepEqual(marked(withCacheBreakpoints(more, first.end, 2).messages), ['2.0', '4.0']);
    assert.deepEqual(marked(withCacheBreakpoints(more, first.end, 3).messages), ['4.0']);
    // The input is left as it was.
    assert.deepEqual(marked(messages), ['0.0']);
  });

  it('caps a tool result with a note saying what was cut and how to read the rest', () => {
    const capped = capToolResult('x'.repeat(5000), 1000, 'read') as string;
    assert.equal(capped.startsWith('x'.repeat(1000) + '\n'), true);
    assert.match(capped, /\[output cut: 5000 characters in all, only the first 1000 are shown; read the rest in pieces with `read` and `view_range`/);
    assert.equal(capToolResult('short', 1000, 'read'), 'short');
    const blocks = capToolResult([{ type: 'text', text: 'y'.repeat(3000) }], 1000, 'bash') as { type: string; text: string }[];
    assert.match(blocks[0]!.text, /narrow the command/);
  });

  it('clears all but the most recent tool results, keeping is_error and the pairing of calls and results', () => {
    const turn = (id: string, err = false): BetaMessageParam[] => [
      { role: 'assistant', content: [{ type: 'tool_use', id, name: 'write', input: { file_path: 'f', content: 'z'.repeat(2000) } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'r'.repeat(3000), ...(err ? { is_error: true } : {}) }] },
    ];
    const messages: BetaMessageParam[] = [{ role: 'user', content: 'task' }, ...turn('a', true), ...turn('b'), ...turn('c')];
    const { messages: out, cleared } = clearOldToolResults(messages, 1);
    assert.equal(cleared, 2);
    const text = JSON.stringify(out);
    assert.match(text, /cleared to keep the conversation within the context window: this result had 3000 characters/);
    assert.equal((out[2]!.content as { is_error?: boolean }[])[0]!.is_error, true);
    assert.deepEqual((out[1]!.content as { input: unknown }[])[0]!.input, { file_path: 'f', content: '[cleared: 2000 characters]' });
    assert.deepEqual(out.slice(5), messages.slice(5));
    assert.equal(clearOldToolResults(out, 1).cleared, 0);
  });

  it('estimates a conversation from per-message lengths exactly as from the whole, before and after clearing', () => {
    const system = [{ type: 'text', text: 'contracts '.repeat(500) }];
    const tools = [{ name: 'read', description: 'reads', input_schema: { type: 'object' } }];
    const whole = (ms: BetaMessageParam[]) => estimateTokens(system) + estimateTokens(tools) + estimateTokens(ms);
    const turn = (id: string): BetaMessageParam[] => [
      { role: 'assistant', content: [{ type: 'tool_use', id, name: 'write', input: { file_path: 'f', content: 'z'.repeat(2000) } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'r'.repeat(3001) }] },
    ];
    let messages: BetaMessageParam[] = [];
    assert.equal(conversationTokens(system, tools, messages), whole(messages));
    messages = [{ role: 'user', content: 'task' }];
    assert.equal(conversationTokens(system, tools, messages), whole(messages));
    for (const id of ['a', 'b', 'c']) {
      messages = [...messages, ...turn(id)];
      assert.equal(conversationTokens(system, tools, messages), whole(messages), `after turn ${id}`);
    }
    const cleared = clearOldToolResults(messages, 1).messages;
    assert.equal(conversationTokens(system, tools, cleared), whole(cleared));
    assert.ok(conversationTokens(system, tools, cleared) < conversationTokens(system, tools, messages));
  });

  it('a model that takes a budget gets one, clamped below max_tokens, or none when it cannot fit', () => {
    for (const model of ['claude-sonnet-4-5', 'claude-opus-4-1-20250805', 'claude-opus-4-6', 'claude-haiku-4-5', 'claude-3-7-sonnet-latest']) {
      assert.deepEqual(thinkingFields(model, 8000, 32_000), { thinking: { type: 'enabled', budget_tokens: 8000 } }, model);
    }
    assert.deepEqual(thinkingFields('claude-sonnet-4-5', 8000, 4000), { thinking: { type: 'enabled', budget_tokens: 2976 } });
    assert.deepEqual(thinkingFields('claude-sonnet-4-5', 0, 32_000), {});
    assert.deepEqual(thinkingFields('claude-sonnet-4-5', 4000, 1500), {});
  });

  it('an adaptive model (the default tiers, Opus 4.7 on, and ids not known yet) gets effort, never a budget it would refuse', () => {
    for (const model of [DEFAULT_TIER_MODELS.opus, DEFAULT_TIER_MODELS.sonnet, DEFAULT_TIER_MODELS.haiku, 'claude-opus-4-7', 'claude-sonnet-5', 'claude-opus-6']) {
      assert.deepEqual(thinkingFields(model, 8000, 32_000), { thinking: { type: 'adaptive' }, output_config: { effort: 'high' } }, model);
      assert.deepEqual(thinkingFields(model, 0, 32_000), {}, `${model}: the model's own default`);
    }
    assert.deepEqual(thinkingFields('claude-opus-5-5', 32_000, 64_000).output_config, { effort: 'xhigh' });
    assert.deepEqual(thinkingFields('claude-opus-5-5', 8000, 1500).thinking, { type: 'adaptive' }, 'no budget to fit under max_tokens');
  });

  it('reads retry-after in seconds, milliseconds and as a date', () => {
    const err = (headers: Record<string, string>) => new Anthropic.APIError(429, undefined, 'x', new Headers(headers));
    assert.equal(retryAfterMs(err({ 'retry-after': '2' })), 2000);
    assert.equal(retryAfterMs(err({ 'retry-after-ms': '150' })), 150);
    assert.equal(retryAfterMs(err({ 'retry-after': new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString() }), Date.UTC(2030, 0, 1)), 30_000);
    assert.equal(retryAfterMs(err({})), undefined);
  });

  it('tells each agent its reply and tool-result limits, with advice that fits the tools it has', () => {
    assert.match(limitsNote(['bash', 'read', 'write', 'edit'], 16_000, 40_000), /limited to 16000 tokens: write a long file in parts \(`write` a first part, then `edit`.*longer than 40000 characters comes back cut/);
    assert.doesNotMatch(limitsNote(['bash', 'read', 'write'], 32_000, 40_000), /edit/);
    assert.match(limitsNote(['bash', 'read'], 16_000, 40_000), /keep each reply well within that/);
  });

  it('resolves limits per role, then tier, then the old global keys, then the role default', () => {
    const base = loadConfig('/nonexistent-dir-for-test');
    assert.deepEqual(agentLimitsFor(base, 'architect', 'opus'), ROLE_LIMIT_DEFAULTS.architect);
    assert.ok(agentLimitsFor(base, 'builder', 'sonnet').maxTurns > 60);
    const old = loadConfig('/nonexistent-dir-for-test', { maxTokens: 9000, maxAgentTurns: 70 });
    assert.deepEqual(agentLimitsFor(old, 'qc', 'sonnet'), { maxTokens: 9000, maxTurns: 70, thinkingBudget: 0 });
    const layered = loadConfig('/nonexistent-dir-for-test', { maxTokens: 9000, tierLimits: { haiku: { maxTokens: 4000 } }, roleLimits: { builder: { maxTurns: 200, thinkingBudget: 2048 } } });
    assert.deepEqual(agentLimitsFor(layered, 'builder', 'haiku'), { maxTokens: 4000, maxTurns: 200, thinkingBudget: 2048 });
    assert.deepEqual(agentLimitsFor(layered, 'qc', 'sonnet'), { maxTokens: 9000, maxTurns: 60, thinkingBudget: 0 });
  });
});
