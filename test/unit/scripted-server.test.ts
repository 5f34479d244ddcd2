/**
 * The scripted model's transport, through the real SDK: JSON and SSE replies, tool inputs split
 * over input_json_delta chunks, prompt-cache accounting, API-shaped errors and injected faults.
 */
import * as assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startScriptedModel, type ScriptedModelHandle, type ScriptedModelOptions } from '../../src/scripted';
import { FaultPlanner } from '../../src/scripted/faults';

const MODEL = 'claude-sonnet-5-5';

const ARCHITECT_TASK = [
  '<task-card>',
  'role: architect',
  'project: A CLI tool with a greeter module and a formatter module.',
  'contracts_dir: .orchestration/contracts',
  '</task-card>',
  '',
  '<project-description>',
  'A CLI tool with a greeter module and a formatter module.',
  '</project-description>',
].join('\n');

const WRITE_TOOL = {
  name: 'write',
  description: 'Write a file',
  input_schema: { type: 'object' as const, properties: { file_path: { type: 'string' }, content: { type: 'string' } }, required: ['file_path', 'content'] },
};

/** A system prompt long enough to be cacheable with the test's minimum. */
const LONG_SYSTEM = 'You are a careful architect. '.repeat(200);

describe('scripted model: transport', function () {
  this.timeout(10_000);
  let model: ScriptedModelHandle | undefined;
  afterEach(async () => {
    await model?.close();
    model = undefined;
  });

  async function start(opts: ScriptedModelOptions = {}): Promise<Anthropic> {
    model = await startScriptedModel({ retryAfterSeconds: 0.01, ...opts });
    return new Anthropic({ apiKey: 'test', baseURL: model.url, maxRetries: 2 });
  }

  function architectRequest() {
    return {
      model: MODEL,
      max_tokens: 16_000,
      system: [{ type: 'text' as const, text: LONG_SYSTEM, cache_control: { type: 'ephemeral' as const } }],
      tools: [WRITE_TOOL],
      messages: [{ role: 'user' as const, content: ARCHITECT_TASK }],
    };
  }

  it('listens on 127.0.0.1 and answers a plain request with JSON, usage and a request-id', async () => {
    const client = await start();
    assert.match(model!.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const { data, response } = await client.messages
      .create({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    assert.equal(data.type, 'message');
    assert.equal(data.model, MODEL);
    assert.equal(data.stop_reason, 'end_turn');
    assert.equal(data.content[0]?.type, 'text');
    assert.ok(data.usage.input_tokens > 0 && data.usage.output_tokens > 0);
    assert.match(response.headers.get('request-id') ?? '', /^req_/);
    assert.equal(model!.stats().byRole.unknown, 1);
  });

  it('streams the same reply it returns as JSON, with tool inputs intact across input_json_delta chunks', async () => {
    const client = await start();
    const json = await client.beta.messages.create(architectRequest());
    const stream = client.beta.messages.stream(architectRequest());
    let jsonDeltas = 0;
    stream.on('streamEvent', (event) => {
      if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta') jsonDeltas++;
    });
    const streamed = await stream.finalMessage();
    assert.equal(streamed.stop_reason, 'tool_use');
    const toolUses = streamed.content.filter((b) => b.type === 'tool_use');
    assert.ok(toolUses.length >= 3, 'several tool calls in one turn');
    assert.ok(jsonDeltas >= toolUses.length * 3, `only ${jsonDeltas} input_json_delta events`);
    // Stateless and deterministic: the same request gets the same content either way.
    assert.deepEqual(streamed.content, json.content);
    const manifest = toolUses.map((b) => (b.type === 'tool_use' ? (b.input as { file_path: string; content: string }) : undefined)).find((i) => i?.file_path.endsWith('modules.json'));
    assert.equal((JSON.parse(manifest!.content) as { modules: unknown[] }).modules.length, 2);
  });

  it('reports a cache write for a new prefix and a cache read when the same prefix comes again', async () => {
    const client = await start({ minCacheTokens: 1024 });
    const first = await client.beta.messages.create(architectRequest());
    assert.ok((first.usage.cache_creation_input_tokens ?? 0) > 1024);
    assert.equal(first.usage.cache_read_input_tokens, 0);
    const second = await client.beta.messages.create(architectRequest());
    assert.equal(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
    assert.equal(second.usage.cache_creation_input_tokens, 0);
    assert.equal(second.usage.input_tokens, first.usage.input_tokens);
    const tokens = model!.stats().tokens;
    assert.equal(tokens.cacheRead, second.usage.cache_read_input_tokens);
  });

  it('does not cache prefixes shorter than the minimum', async () => {
    const client = await start({ minCacheTokens: 100_000 });
    const req = architectRequest();
    await client.beta.messages.create(req);
    const again = await client.beta.messages.create(req);
    assert.equal(again.usage.cache_read_input_tokens, 0);
    assert.equal(again.usage.cache_creation_input_tokens, 0);
  });

  it('429 and 529 with retry-after are retried by the SDK and then succeed', async () => {
    const client = await start({ faultSchedule: ['429', '529', 'ok'] });
    const reply = await client.messages.create({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(reply.type, 'message');
    const stats = model!.stats();
    assert.equal(stats.requests, 3);
    assert.deepEqual(stats.faults, { '429': 1, '500': 0, '529': 1, cut: 0 });
  });

  it('error bodies are shaped like the API and map to the SDK error classes', async () => {
    const client = await start({ faultSchedule: ['529', '529', '529'] });
    await assert.rejects(
      client.messages.create({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }),
      (e: unknown) => {
        assert.ok(e instanceof Anthropic.APIError);
        assert.equal(e.status, 529);
        assert.deepEqual(Object.keys(e.error as object), ['type', 'error']);
        assert.equal((e.error as { error: { type: string } }).error.type, 'overloaded_error');
        assert.equal(e.headers?.get('retry-after'), '0.01');
        assert.match(e.requestID ?? '', /^req_/);
        return true;
      },
    );
  });

  it('a cut stream makes the SDK stream throw after it started', async () => {
    const client = await start({ faultSchedule: ['cut'] });
    const stream = client.beta.messages.stream(architectRequest());
    let started = false;
    stream.on('streamEvent', (event) => {
      if (event.type === 'message_start') started = true;
    });
    await assert.rejects(stream.finalMessage());
    assert.ok(started, 'the reply had begun before the connection died');
    assert.equal(model!.stats().faults.cut, 1);
  });

  it('a cut JSON reply fails the call', async () => {
    const client = await start({ faultSchedule: ['cut', 'cut', 'cut'] });
    await assert.rejects(client.beta.messages.create(architectRequest()));
  });

  it('unknown routes get a 404 and malformed JSON a 400, both as API error JSON', async () => {
    await start();
    // /v1/models is served now (the Models API); an unknown route still gets the API's 404.
    const notFound = await fetch(`${model!.url}/v1/files`);
    assert.equal(notFound.status, 404);
    assert.deepEqual(Object.keys((await notFound.json()) as object), ['type', 'error']);
    const bad = await fetch(`${model!.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":' });
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(bad.headers.get('request-id') ?? '', /^req_/);
    const missing = await fetch(`${model!.url}/v1/messages`, { method: 'POST', body: JSON.stringify({ model: MODEL, messages: [] }) });
    assert.equal(missing.status, 400);
  });

  it('count_tokens estimates the prompt', async () => {
    const client = await start();
    const count = await client.messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'x'.repeat(400) }] });
    assert.ok(count.input_tokens >= 100 && count.input_tokens < 120);
  });

  it('waits latencyMs before replying', async () => {
    const client = await start({ latencyMs: 80 });
    const t0 = Date.now();
    await client.messages.create({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    assert.ok(Date.now() - t0 >= 75);
  });
});

describe('scripted model: fault planner', () => {
  it('follows the schedule, then draws from the seeded rates reproducibly', () => {
    const draw = (seed: number) => {
      const p = new FaultPlanner(['500', 'ok'], { '429': 0.2, cut: 0.2 }, seed);
      return Array.from({ length: 200 }, () => p.next());
    };
    const a = draw(7);
    assert.deepEqual(a.slice(0, 2), ['500', 'ok']);
    assert.deepEqual(draw(7), a);
    assert.notDeepEqual(draw(8), a);
    const rest = a.slice(2);
    const share = (k: string) => rest.filter((x) => x === k).length / rest.length;
    assert.ok(share('429') > 0.1 && share('429') < 0.3, `429 share ${share('429')}`);
    assert.ok(share('cut') > 0.1 && share('cut') < 0.3);
    assert.equal(share('529'), 0);
  });

  it('refuses rates that add up to more than 1', () => {
    assert.throws(() => new FaultPlanner([], { '429': 0.6, '500': 0.6 }), RangeError);
  });
});
