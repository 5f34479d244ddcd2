/**
 * Replies that end early, through the real SDK: cut at max_tokens in the middle of a tool call (JSON
 * and streamed), pause_turn and refusal, each used once.
 */
import * as assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startScriptedModel, type ScriptedModelHandle, type ScriptedModelOptions } from '../../src/scripted';

const MODEL = 'claude-sonnet-5-5';

const ARCHITECT_TASK = ['<task-card>', 'role: architect', 'project: A CLI tool with a greeter module and a formatter module.', 'contracts_dir: .orchestration/contracts', '</task-card>', '', '<project-description>', 'A CLI tool with a greeter module and a formatter module.', '</project-description>'].join('\n');
const WRITE_TOOL = { name: 'write', description: 'Write a file', input_schema: { type: 'object' as const, properties: { file_path: { type: 'string' }, content: { type: 'string' } }, required: ['file_path', 'content'] } };

describe('scripted model: replies that end early', function () {
  this.timeout(20_000);
  let model: ScriptedModelHandle | undefined;
  afterEach(async () => {
    await model?.close();
    model = undefined;
  });

  async function client(opts: ScriptedModelOptions): Promise<Anthropic> {
    model = await startScriptedModel(opts);
    return new Anthropic({ apiKey: 'test', baseURL: model.url, maxRetries: 0 });
  }
  const request = { model: MODEL, max_tokens: 16_000, tools: [WRITE_TOOL], messages: [{ role: 'user' as const, content: ARCHITECT_TASK }] };

  for (const stream of [false, true]) {
    it(`cuts a reply at max_tokens in the middle of a tool call (${stream ? 'streamed' : 'JSON'})`, async () => {
      const c = await client({ replyFaults: [{ kind: 'max_tokens', role: 'architect' }] });
      const whole = await (async () => {
        const m = await startScriptedModel({});
        try {
          return await new Anthropic({ apiKey: 't', baseURL: m.url }).beta.messages.create(request);
        } finally {
          await m.close();
        }
      })();
      const cut = stream ? await c.beta.messages.stream(request).finalMessage() : await c.beta.messages.create(request);
      assert.equal(cut.stop_reason, 'max_tokens');
      const call = cut.content.at(-1)!;
      assert.equal(call.type, 'tool_use');
      const full = whole.content.find((b) => b.type === 'tool_use')!;
      assert.ok(call.type === 'tool_use' && full.type === 'tool_use');
      assert.equal(call.id, full.id);
      // Less than the whole input arrived.
      assert.ok(JSON.stringify(call.input).length < JSON.stringify(full.input).length, JSON.stringify(call.input).slice(0, 200));
      assert.equal(model!.stats().replyFaults.max_tokens, 1);
      // Used once: the same request now gets the whole reply.
      const next = await c.beta.messages.create(request);
      assert.equal(next.stop_reason, 'tool_use');
    });
  }

  it('returns pause_turn and refusal when planned', async () => {
    const c = await client({ replyFaults: [{ kind: 'pause_turn' }, { kind: 'refusal', turn: 1 }] });
    const paused = await c.beta.messages.create(request);
    assert.equal(paused.stop_reason, 'pause_turn');
    const refused = await c.beta.messages.stream({ ...request, messages: [...request.messages, { role: 'assistant' as const, content: paused.content as never }] }).finalMessage();
    assert.equal(refused.stop_reason, 'refusal');
    assert.deepEqual(model!.stats().replyFaults, { max_tokens: 0, pause_turn: 1, refusal: 1, model_context_window_exceeded: 0 });
  });
});
