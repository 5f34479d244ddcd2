/**
 * What a real model does that the happy path never shows, through the engine, the real SDK and the
 * scripted model in strict mode (every request checked against the Messages API's rules): replies
 * cut at max_tokens mid tool call, paused turns, refusals, thinking blocks, a 5 MB read, an agent
 * that never finishes, a builder whose history would overflow the context window, and the preflight
 * of the configured models.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startRun } from '../../src/core/engine';
import type { PipelineConfig } from '../../src/core/config';
import type { PipelineEvent } from '../../src/core/events';
import { PreflightError } from '../../src/core/preflight';
import { readJournal } from '../../src/core/run/journal';
import { sampleDescription, startScriptedModel, type ScriptedModelOptions, type ScriptedModelStats } from '../../src/scripted';
import { approveAll, FAST_CONFIG, makeRepo, snapshotUserTree, type TestRepo } from './harness';
import type { RunResult } from '../../src/core/api';

interface Outcome {
  result: RunResult;
  events: PipelineEvent[];
  stats: ScriptedModelStats;
}

async function runWith(repo: TestRepo, model: ScriptedModelOptions, config: Partial<PipelineConfig> = {}): Promise<Outcome> {
  const scripted = await startScriptedModel(model);
  try {
    const handle = await startRun({ repoRoot: repo.root, description: sampleDescription, offline: true, baseURL: scripted.url, gate: approveAll, approver: 'test', config: { ...FAST_CONFIG, ...config } });
    const events: PipelineEvent[] = [];
    handle.onEvent((e) => events.push(e));
    const result = await handle.done;
    return { result, events, stats: scripted.stats() };
  } finally {
    await scripted.close();
  }
}

function assertNoRejection(stats: ScriptedModelStats): void {
  assert.equal(stats.rejected, 0, `strict mode refused a request: ${stats.firstRejection ?? ''}`);
}

function toolCallsAnswered(result: RunResult): void {
  const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
  assert.equal(journal.filter((e) => e.type === 'tool-call').length, journal.filter((e) => e.type === 'tool-result').length);
}

describe('a real model\'s behaviour, against the strict scripted model', function () {
  this.timeout(300_000);
  const repos: TestRepo[] = [];
  const repo = () => {
    const r = makeRepo();
    repos.push(r);
    return r;
  };
  after(() => repos.forEach((r) => r.cleanup()));

  it('a builder reply cut at max_tokens inside a write is never executed, the history stays valid, and the module still passes', async () => {
    const { result, stats, events } = await runWith(repo(), { replyFaults: [{ kind: 'max_tokens', role: 'builder', module: 'greeter', turn: 1 }] });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assertNoRejection(stats);
    assert.equal(stats.replyFaults.max_tokens, 1);
    // The cut write ran nowhere: the journal has no tool-call for it, and every call that ran has its result.
    toolCallsAnswered(result);
    const greeterWrites = events.filter((e) => e.type === 'tool-call' && e.tool === 'write' && e.agentId === 'builder-greeter-0');
    assert.ok(greeterWrites.length >= 2);
  });

  it('an architect turn paused by the API (pause_turn) is continued, and thinking blocks go back unchanged', async () => {
    const { result, stats } = await runWith(repo(), { replyFaults: [{ kind: 'pause_turn', role: 'architect', turn: 1 }] }, { roleLimits: { architect: { thinkingBudget: 4000 }, builder: { thinkingBudget: 2048 } } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assertNoRejection(stats);
    assert.equal(stats.replyFaults.pause_turn, 1);
  });

  it('a refusal fails the run with a message naming the agent', async () => {
    const { result, stats } = await runWith(repo(), { replyFaults: [{ kind: 'refusal', role: 'architect', turn: 2 }] });
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason ?? '', /architect-1 \(architect\): the model refused to continue/);
    assertNoRejection(stats);
  });

  it('a builder that fails (a refusal) still has its tokens counted for its module and the build stage, not only the run', async () => {
    const { result, stats } = await runWith(repo(), { replyFaults: [{ kind: 'refusal', role: 'builder', module: 'greeter', turn: 2 }] });
    const s = result.state;
    assert.equal(s.modules.find((m) => m.name === 'greeter')?.status, 'failed', JSON.stringify(s.modules.map((m) => [m.name, m.status])));
    const builder = s.agentUsage['builder-greeter-0']!;
    assert.equal(builder.calls, 3, 'two turns and the refused reply');
    assert.deepEqual(s.modules.find((m) => m.name === 'greeter')!.usage, builder, 'the module holds its failed builder\'s tokens (no QC ran)');
    // Every reply counts for exactly one stage: the stages add up to the run.
    for (const key of ['calls', 'input', 'output', 'cacheRead', 'cacheWrite'] as const) {
      assert.equal(s.stages.reduce((n, st) => n + st.usage[key], 0), s.usage[key], key);
    }
    assertNoRejection(stats);
  });

  it('a stream cut mid-reply and retried still counts the tokens it reported: the run\'s totals are every token the API reported', async () => {
    const { result, stats, events } = await runWith(repo(), { faultSchedule: ['ok', 'ok', 'cut', 'ok', 'cut', 'cut', 'ok'] });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.equal(stats.faults.cut, 3);
    assert.equal(events.filter((e) => e.type === 'agent-retry').length, 3);
    const u = result.state.usage;
    assert.deepEqual({ input: u.input, output: u.output, cacheRead: u.cacheRead, cacheWrite: u.cacheWrite }, stats.tokens);
    assert.equal(u.calls, stats.requests, 'every request that reported usage is a call');
    assertNoRejection(stats);
  });

  it('a builder that reads a 5 MB file gets a capped result with a note, and the run finishes', async () => {
    const notes: string[] = [];
    const onRequest = (req: { messages: Array<{ content: unknown }> }) => {
      const text = JSON.stringify(req.messages.at(-1)?.content ?? '');
      const note = /\[output cut: (\d+) characters in all, only the first 20000 are shown; (read the rest in pieces with `read` and `view_range`|narrow the command)/.exec(text);
      if (note) notes.push(`${note[2]!.startsWith('read') ? 'read' : 'bash'} ${note[1]!}`);
    };
    const { result, stats, events } = await runWith(repo(), { scenario: 'huge-read', target: 'greeter', onRequest }, { toolResultMaxChars: 20_000 });
    // The model was told what was cut and how to read the rest.
    assert.equal(notes.length, 2, `notes: ${notes.join(', ')}`);
    assert.ok(Number(notes[0]!.split(' ')[1]) > 150_000 && notes[0]!.startsWith('read'), notes[0] ?? '');
    assert.ok(Number(notes[1]!.split(' ')[1]) > 90_000 && notes[1]!.startsWith('bash'), notes[1] ?? '');
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assertNoRejection(stats);
    assert.ok(stats.largestToolResultChars < 20_500, `largest tool result fed back: ${stats.largestToolResultChars}`);
    const bigRead = events.find((e) => e.type === 'tool-result' && e.tool === 'read' && e.agentId === 'builder-greeter-0' && !e.isError);
    assert.ok(bigRead, 'the ranged read of the big file succeeded');
  });

  it('an agent that loops to its turn limit fails clearly, and the run stops in a clean state', async () => {
    const r = repo();
    const before = snapshotUserTree(r);
    const { result, stats } = await runWith(r, { scenario: 'endless', target: 'greeter' }, { roleLimits: { builder: { maxTurns: 12 } } });
    assertNoRejection(stats);
    const greeter = result.state.modules.find((m) => m.name === 'greeter')!;
    assert.equal(greeter.status, 'failed');
    assert.match(greeter.detail ?? '', /builder-greeter-0 \(builder\) used its 12 turns without finishing/);
    assert.notEqual(result.status, 'succeeded');
    assert.notEqual(result.status, 'running');
    toolCallsAnswered(result);
    assert.deepEqual(snapshotUserTree(r), before);
  });

  it('a builder whose history would overflow a small context window has its old tool results cleared and finishes', async () => {
    const window = 40_000;
    const { result, stats, events } = await runWith(repo(), { scenario: 'long-history', target: 'greeter', contextWindowTokens: window });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assertNoRejection(stats);
    // The builder was fed far more than the window holds, yet no request passed it.
    assert.ok(stats.toolResultCharsServed / 4 > window * 1.5, `tool results served: ${stats.toolResultCharsServed} chars`);
    assert.ok(stats.peakRequestTokens <= window, `peak request: ${stats.peakRequestTokens} tokens`);
    assert.ok(events.some((e) => e.type === 'log' && /builder-greeter-0: cleared \d+ old tool result/.test(e.message)));
  });

  describe('preflight', () => {
    it('an unknown model stops the run before anything is created, naming the setting', async () => {
      const r = repo();
      const scripted = await startScriptedModel({});
      try {
        await assert.rejects(
          startRun({ repoRoot: r.root, description: sampleDescription, offline: true, baseURL: scripted.url, gate: approveAll, config: { tierModels: { opus: 'claude-opus-nope', sonnet: 'claude-sonnet-5-5', haiku: 'claude-haiku-5-5' } } }),
          (e: unknown) => PreflightError.is(e, 'model') && /model "claude-opus-nope" is not available.*tierModels\.opus.*buildPipeline\.models\.opus/.test((e as Error).message),
        );
      } finally {
        await scripted.close();
      }
      assert.equal(fs.existsSync(path.join(r.root, '.git', 'build-pipeline')), false, 'no run directory');
      assert.equal(r.git('branch', '--list', 'orchestration/*'), '');
    });

    it('a refused API key (401) stops the run before anything is created, naming the key setting', async () => {
      const r = repo();
      const scripted = await startScriptedModel({ apiKey: 'the-right-key' });
      try {
        await assert.rejects(
          startRun({ repoRoot: r.root, description: sampleDescription, offline: false, apiKey: 'a-wrong-key', baseURL: scripted.url, gate: approveAll }),
          (e: unknown) => PreflightError.is(e, 'apiKey') && /refused the API key.*ANTHROPIC_API_KEY.*Set API Key/.test((e as Error).message),
        );
      } finally {
        await scripted.close();
      }
      assert.equal(fs.existsSync(path.join(r.root, '.git', 'build-pipeline')), false, 'no run directory');
    });
  });
});
