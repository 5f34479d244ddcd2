// What a finished agent leaves behind: nothing of its conversation. The engine's run store (journal,
// event listeners), the wave limiter, the SDK client and the runtime outlive every agent of a run; if
// any of them kept a conversation, the engine's memory would grow with every module built.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import Anthropic from '@anthropic-ai/sdk';
import { startScriptedModel, type ScriptedModelHandle } from '../../src/scripted';
import { runAgent, type AgentResult, type AgentRuntime } from '../../src/core/agents/runAgent';
import { TierLimiter } from '../../src/core/limiter';
import { RunStore } from '../../src/core/run/store';
import { createRunDir, runPaths } from '../../src/core/run/runDir';
import type { RunState } from '../../src/core/contracts/schemas';
import { runStateFixture, zeroUsage } from './runStateFixture';

const RUN_ID = '20260101-000000-0a1b2c3d';

function runState(runDir: string): RunState {
  return runStateFixture({ runDir, description: 'retention test', stages: [{ id: 'build', status: 'running', attempts: 0, usage: zeroUsage() }] });
}

/** A full GC on demand (the test process is not started with --expose-gc). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

describe('agent retention: a finished agent\'s conversation is not kept', function () {
  this.timeout(60_000);
  let model: ScriptedModelHandle | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await model?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    model = dir = undefined;
  });

  it('the run store, its listeners, the limiter, the client and the runtime let go of every message once the caller drops the result', async () => {
    model = await startScriptedModel({});
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-retention-'));
    const paths = runPaths(dir, RUN_ID);
    createRunDir(paths);
    const store = new RunStore(paths, runState(paths.runDir));
    const seen: string[] = [];
    // A listener like the CLI's renderer and the engine's usage counter: it sees every event.
    store.onEvent((e) => seen.push(e.type));
    const rt: AgentRuntime = {
      client: new Anthropic({ apiKey: 'test', baseURL: model.url, maxRetries: 0 }),
      limiter: new TierLimiter({ opus: 1, sonnet: 1, haiku: 1 }),
      emit: (e) => store.emit(e),
      signal: new AbortController().signal,
      turnRetries: 0,
      retryBaseDelayMs: 1,
    };
    const refs: Array<WeakRef<object>> = [];
    for (let i = 0; i < 3; i++) {
      let result: AgentResult | undefined = await runAgent(
        { agentId: `builder-m${i}-0`, role: 'builder', module: `m${i}`, stage: 'build', tier: 'sonnet', model: 'claude-sonnet-5-5', system: ['You are a test agent.'], task: `Say something about m${i}.`, tools: [], maxTurns: 5, maxTokens: 4000 },
        rt,
      );
      assert.ok(result.messages.length >= 2, 'the agent had a conversation');
      refs.push(new WeakRef(result.messages), ...result.messages.map((m) => new WeakRef(m)));
      result = undefined;
    }
    // WeakRefs keep their targets until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    assert.deepEqual(
      refs.map((r) => r.deref() === undefined),
      refs.map(() => true),
      'a conversation outlived its agent',
    );
    assert.ok(seen.includes('agent-ended') && seen.includes('agent-usage'), 'the listener saw the agents');
    store.dispose();
  });
});
