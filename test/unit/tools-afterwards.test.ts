/**
 * Tools that wait for the engine's set-up made during the agent's first model call
 * (agents/tools.ts `afterwards`): none runs before it is done, and its failure fails the call.
 */
import * as assert from 'node:assert/strict';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { afterwards } from '../../src/core/agents/tools';

function recordingTool(name: string, log: string[]): BetaRunnableTool {
  return { name, description: name, input_schema: { type: 'object' }, run: async () => (log.push(`${name} ran`), `${name} done`) } as unknown as BetaRunnableTool;
}

describe('tools run after the set-up they wait for', () => {
  it('a call made before the set-up is done runs once it is, and keeps the tool as it was', async () => {
    const log: string[] = [];
    let finish!: () => void;
    const setUp = new Promise<void>((resolve) => (finish = resolve)).then(() => log.push('set-up done'));
    const [bash, write] = afterwards(setUp, [recordingTool('bash', log), recordingTool('write', log)]).tools;
    assert.equal(bash!.name, 'bash');
    assert.equal((write as unknown as { description: string }).description, 'write');
    const calls = [bash!.run({} as never, undefined as never), write!.run({} as never, undefined as never)];
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(log, [], 'nothing ran before the set-up was done');
    finish();
    assert.deepEqual(await Promise.all(calls), ['bash done', 'write done']);
    assert.deepEqual(log, ['set-up done', 'bash ran', 'write ran']);
    assert.equal(afterwards(setUp, []).stopOn.aborted, false, 'a set-up that succeeded stops nothing');
  });

  it('a warmable tool (a sandboxed shell) is started only once the set-up is done', async () => {
    const log: string[] = [];
    let finish!: () => void;
    const setUp = new Promise<void>((resolve) => (finish = resolve)).then(() => log.push('set-up done'));
    const shell = Object.assign(recordingTool('bash', log), { warm: () => log.push('shell started') });
    const [gated] = afterwards(setUp, [shell]).tools;
    (gated as unknown as { warm: () => void }).warm();
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(log, []);
    finish();
    await setUp;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['set-up done', 'shell started']);
  });

  it('a warmable tool closed before the set-up is done is never started', async () => {
    const log: string[] = [];
    let finish!: () => void;
    const setUp = new Promise<void>((resolve) => (finish = resolve));
    const shell = Object.assign(recordingTool('bash', log), { warm: () => log.push('shell started'), close: () => void log.push('shell closed') });
    const [gated] = afterwards(setUp, [shell]).tools;
    (gated as unknown as { warm: () => void }).warm();
    await gated!.close?.();
    finish();
    await setUp;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['shell closed']);
  });

  it('a failed set-up fails every call with its error, and the tool does not run', async () => {
    const log: string[] = [];
    const setUp = Promise.reject(new Error('git ls-files failed'));
    setUp.catch(() => undefined);
    const { tools, stopOn } = afterwards(setUp, [recordingTool('bash', log)]);
    await assert.rejects(Promise.resolve(tools[0]!.run({} as never, undefined as never)), /git ls-files failed/);
    assert.deepEqual(log, []);
    // The agent's stop signal carries the same error (runRoleAgent ends the agent with it).
    assert.equal(stopOn.aborted, true);
    assert.match(String((stopOn.reason as Error).message), /git ls-files failed/);
  });
});
