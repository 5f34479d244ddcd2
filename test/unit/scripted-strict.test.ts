/**
 * Strict mode of the scripted model: each request rule of the Messages API, broken on purpose
 * through the real SDK, gets the API's error (status, type, wording); the Models API routes; and
 * thinking blocks whose signatures must come back unchanged.
 */
import * as assert from 'node:assert/strict';
import Anthropic, { BadRequestError, NotFoundError } from '@anthropic-ai/sdk';
import type { BetaMessageParam } from '@anthropic-ai/sdk/resources/beta';
import { startScriptedModel, type ScriptedModelHandle, type ScriptedModelOptions } from '../../src/scripted';

const MODEL = 'claude-sonnet-5-5';
const TOOL = { name: 'read', description: 'Read a file', input_schema: { type: 'object' as const, properties: { file_path: { type: 'string' } } } };

const call = (id: string): BetaMessageParam => ({ role: 'assistant', content: [{ type: 'tool_use', id, name: 'read', input: { file_path: 'a.txt' } }] });
const result = (id: string, extra: BetaMessageParam['content'] = []): BetaMessageParam => ({
  role: 'user',
  content: [{ type: 'tool_result', tool_use_id: id, content: 'text of a.txt' }, ...(extra as [])],
});

describe('scripted model: strict mode (the Messages API request rules)', function () {
  this.timeout(20_000);
  let model: ScriptedModelHandle | undefined;
  afterEach(async () => {
    await model?.close();
    model = undefined;
  });

  async function client(opts: ScriptedModelOptions = {}): Promise<Anthropic> {
    model = await startScriptedModel(opts);
    return new Anthropic({ apiKey: 'test', baseURL: model.url, maxRetries: 0 });
  }

  async function rejects(c: Anthropic, messages: BetaMessageParam[], pattern: RegExp, extra: Record<string, unknown> = {}): Promise<void> {
    await assert.rejects(
      c.beta.messages.create({ model: MODEL, max_tokens: 2000, tools: [TOOL], messages, ...extra } as Parameters<typeof c.beta.messages.create>[0]),
      (e: unknown) => {
        assert.ok(e instanceof BadRequestError, String(e));
        assert.equal((e.error as { error?: { type?: string } })?.error?.type, 'invalid_request_error');
        assert.match(e.message, pattern);
        return true;
      },
    );
  }

  it('accepts a valid tool round trip', async () => {
    const c = await client();
    const reply = await c.beta.messages.create({ model: MODEL, max_tokens: 2000, tools: [TOOL], messages: [{ role: 'user', content: 'hi' }, call('toolu_1'), result('toolu_1')] });
    assert.equal(reply.type, 'message');
    assert.equal(model!.stats().rejected, 0);
  });

  it('refuses tool_use without tool_result blocks first in the next user message', async () => {
    const c = await client();
    await rejects(c, [{ role: 'user', content: 'hi' }, call('toolu_1'), { role: 'user', content: 'go on' }], /messages\.2: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1/);
    // A result that comes after text is not "first" either.
    await rejects(
      c,
      [{ role: 'user', content: 'hi' }, call('toolu_1'), { role: 'user', content: [{ type: 'text', text: 'here' }, { type: 'tool_result', tool_use_id: 'toolu_1', content: 'x' }] }],
      /without `tool_result` blocks immediately after/,
    );
  });

  it('refuses a tool_result whose id was not in the previous assistant message', async () => {
    const c = await client();
    await rejects(c, [{ role: 'user', content: 'hi' }, call('toolu_1'), { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'x' }, { type: 'tool_result', tool_use_id: 'toolu_9', content: 'y' }] }], /messages\.2\.content\.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_9/);
  });

  it('refuses duplicate tool_use ids', async () => {
    const c = await client();
    await rejects(c, [{ role: 'user', content: 'hi' }, call('toolu_1'), result('toolu_1', [{ type: 'text', text: 'again' }]), call('toolu_1'), result('toolu_1')], /messages\.3\.content\.0: `tool_use` ids must be unique/);
  });

  it('refuses empty and whitespace-only text blocks', async () => {
    const c = await client();
    await rejects(c, [{ role: 'user', content: [{ type: 'text', text: '' }] }], /messages\.0\.content\.0\.text: text content blocks must be non-empty/);
    await rejects(c, [{ role: 'user', content: [{ type: 'text', text: '  \n' }] }], /text content blocks must contain non-whitespace text/);
  });

  it('refuses more than 4 blocks with cache_control', async () => {
    const c = await client();
    const marked = (text: string) => ({ type: 'text' as const, text, cache_control: { type: 'ephemeral' as const } });
    await rejects(c, [{ role: 'user', content: [marked('a'), marked('b'), marked('c')] }], /A maximum of 4 blocks with cache_control may be provided\. Found 5\./, { system: [marked('s1'), marked('s2')] });
  });

  it('refuses invalid tool names', async () => {
    const c = await client();
    await rejects(c, [{ role: 'user', content: 'hi' }], /tools\.1\.custom\.name: String should match pattern/, { tools: [TOOL, { ...TOOL, name: 'read file' }] });
  });

  it('answers an unknown model id with 404 not_found_error, as the API does', async () => {
    const c = await client();
    await assert.rejects(c.messages.create({ model: 'claude-nonexistent-9', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }), (e: unknown) => {
      assert.ok(e instanceof NotFoundError, String(e));
      assert.match(e.message, /model: claude-nonexistent-9/);
      return true;
    });
  });

  it('refuses a prompt longer than the model context window (estimated)', async () => {
    const c = await client({ contextWindowTokens: 5000 });
    await rejects(c, [{ role: 'user', content: 'x'.repeat(30_000) }], /prompt is too long: \d+ tokens > 5000 maximum/);
  });

  it('refuses max_tokens above the model\'s output limit (the Models API\'s max_tokens)', async () => {
    const c = await client();
    // Streamed: the SDK itself refuses a non-streamed request this large.
    await assert.rejects(c.beta.messages.stream({ model: MODEL, max_tokens: 200_000, messages: [{ role: 'user', content: 'hi' }] }).finalMessage(), (e: unknown) => {
      assert.ok(e instanceof BadRequestError, String(e));
      assert.match(e.message, /max_tokens: 200000 > 128000, which is the maximum allowed number of output tokens for claude-sonnet-5-5/);
      return true;
    });
  });

  it('strict: false lets a broken history through (what a lenient stand-in would do)', async () => {
    const c = await client({ strict: false });
    const reply = await c.beta.messages.create({ model: MODEL, max_tokens: 2000, tools: [TOOL], messages: [{ role: 'user', content: 'hi' }, call('toolu_1'), { role: 'user', content: 'go on' }] });
    assert.equal(reply.type, 'message');
  });

  describe('thinking', () => {
    // A model that takes a budget (the default 5.5 models think adaptively and refuse one: below).
    const BUDGET_MODEL = 'claude-sonnet-4-5';
    const thinking = { type: 'enabled', budget_tokens: 1024 };

    it('sends signed thinking blocks (JSON and streamed) and accepts them back unchanged', async () => {
      const c = await client();
      const first = await c.beta.messages.create({ model: BUDGET_MODEL, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'hi' }] });
      const block = first.content[0]!;
      assert.equal(block.type, 'thinking');
      assert.ok(block.type === 'thinking' && block.signature.length > 20);
      const streamed = await c.beta.messages.stream({ model: BUDGET_MODEL, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
      assert.deepEqual(streamed.content[0], block);
      const again = await c.beta.messages.create({
        model: BUDGET_MODEL,
        max_tokens: 2000,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: first.content as never }, { role: 'user', content: 'and now?' }],
      });
      assert.equal(again.type, 'message');
    });

    it('refuses a thinking block whose text or signature was changed', async () => {
      const c = await client();
      const first = await c.beta.messages.create({ model: BUDGET_MODEL, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'hi' }] });
      const edited = first.content.map((b) => (b.type === 'thinking' ? { ...b, thinking: b.thinking + ' (edited)' } : b));
      await rejects(c, [{ role: 'user', content: 'hi' }, { role: 'assistant', content: edited as never }, { role: 'user', content: 'and?' }], /messages\.1\.content\.0: Invalid `signature` in `thinking` block/, { thinking, model: BUDGET_MODEL });
    });

    it('refuses an answered tool-use turn that does not start with its thinking block, and a budget not below max_tokens', async () => {
      const c = await client();
      await rejects(c, [{ role: 'user', content: 'hi' }, call('toolu_1'), result('toolu_1')], /messages\.1\.content\.0\.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`/, { thinking, model: BUDGET_MODEL });
      await rejects(c, [{ role: 'user', content: 'hi' }], /`max_tokens` must be greater than `thinking.budget_tokens`/, { thinking: { type: 'enabled', budget_tokens: 4000 }, max_tokens: 4000, model: BUDGET_MODEL });
    });
  
    it('an adaptive model refuses a budget (Opus 5.5 also thinking off) with the API\'s words, and a wrong effort', async () => {
      const c = await client();
      // (The SDK's message holds the error JSON, its quotes escaped.)
      const words = /thinking\.type\.enabled\\?" is not supported for this model\. Use \\?"thinking\.type\.adaptive\\?" and \\?"output_config\.effort/;
      for (const model of ['claude-opus-5-5', 'claude-sonnet-5-5', 'claude-haiku-5-5', 'claude-opus-4-7']) await rejects(c, [{ role: 'user', content: 'hi' }], words, { thinking, model });
      await rejects(c, [{ role: 'user', content: 'hi' }], /thinking\.type\.disabled\\?" is not supported for this model/, { thinking: { type: 'disabled' }, model: 'claude-opus-5-5' });
      await rejects(c, [{ role: 'user', content: 'hi' }], /output_config\.effort: Input should be 'low', 'medium', 'high', 'xhigh', 'max'/, { thinking: { type: 'adaptive' }, output_config: { effort: 'extreme' }, model: 'claude-opus-5-5' });
    });

    it('adaptive thinking with an effort: signed thinking blocks that must come back unchanged', async () => {
      const c = await client();
      const request = { model: 'claude-opus-5-5', max_tokens: 2000, thinking: { type: 'adaptive' as const }, output_config: { effort: 'high' as const } };
      const first = await c.beta.messages.create({ ...request, messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(first.content[0]?.type, 'thinking');
      const again = await c.beta.messages.create({ ...request, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: first.content as never }, { role: 'user', content: 'and now?' }] });
      assert.equal(again.type, 'message');
      const edited = first.content.map((b) => (b.type === 'thinking' ? { ...b, signature: 'forged' } : b));
      await rejects(c, [{ role: 'user', content: 'hi' }, { role: 'assistant', content: edited as never }, { role: 'user', content: 'and?' }], /Invalid `signature` in `thinking` block/, request);
    });
  });

  describe('Models API', () => {
    it('serves GET /v1/models/{id} and /v1/models, and 404 not_found_error for an unknown id', async () => {
      const c = await client({ contextWindowTokens: 64_000 });
      const info = await c.models.retrieve(MODEL);
      assert.equal(info.id, MODEL);
      assert.equal(info.max_input_tokens, 64_000);
      const ids: string[] = [];
      for await (const m of c.models.list()) ids.push(m.id);
      assert.ok(ids.includes(MODEL) && ids.includes('claude-opus-5-5'), ids.join(','));
      await assert.rejects(c.models.retrieve('claude-nope'), (e: unknown) => e instanceof NotFoundError && /model: claude-nope/.test(e.message));
    });
  });
});
