/**
 * The sandboxed bash tool's shell lifecycle: a shell started ahead of the first command (warm) is the
 * one the command uses, a tool closed while its shell is still starting closes it when it arrives,
 * and a start that failed is tried again by the next command (which reports its own failure). The shell here is
 * a stand-in with the real shell's surface (exec, close, closed); the sandbox itself is tested
 * against the real runtime in test/integration/sandbox-shell.test.ts.
 */
import * as assert from 'node:assert/strict';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { sandboxedBashTool } from '../../src/core/sandbox/bashTool';
import type { SandboxedShell } from '../../src/core/sandbox/shellSession';
import { isWarmable, warmTools } from '../../src/core/agents/warmTools';

class StandInShell {
  closed = false;
  commands: string[] = [];
  async exec(command: string): Promise<{ output: string; exitCode: number }> {
    if (this.closed) throw new Error('bash session terminated');
    this.commands.push(command);
    return { output: `ran ${command}`, exitCode: 0 };
  }
  close(): void {
    this.closed = true;
  }
}

const sdkBash = { name: 'bash', type: 'custom', input_schema: { type: 'object' }, run: async () => 'unsandboxed' } as unknown as BetaRunnableTool;

function tool(start: () => Promise<StandInShell>) {
  return sandboxedBashTool(sdkBash, { start: start as unknown as () => Promise<SandboxedShell>, describe: 'sandbox line', hidden: [], defaultTimeoutMs: 1000, writesWorkdir: true });
}

async function failureOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ToolError, String(e));
    return String(e.content);
  }
  assert.fail('expected the command to fail');
}

describe('sandboxed bash tool: starting its shell ahead of the first command', () => {
  it('a warmed shell is started once and runs the commands', async () => {
    const shells: StandInShell[] = [];
    const t = tool(async () => {
      const s = new StandInShell();
      shells.push(s);
      return s;
    });
    assert.ok(isWarmable(t));
    warmTools([t, sdkBash]);
    assert.equal(shells.length, 1, 'warm started no shell');
    t.warm();
    assert.equal(await t.run({ command: 'echo a' }, undefined), 'ran echo a');
    assert.equal(await t.run({ command: 'echo b' }, undefined), 'ran echo b');
    assert.equal(shells.length, 1);
    assert.deepEqual(shells[0]!.commands, ['echo a', 'echo b']);
    await t.close?.();
    assert.ok(shells[0]!.closed);
  });

  it('closed while its shell is still starting, it closes the shell when it arrives', async () => {
    let arrive!: (s: StandInShell) => void;
    const shell = new StandInShell();
    const t = tool(() => new Promise((resolve) => (arrive = resolve)));
    t.warm();
    const closing = t.close?.();
    arrive(shell);
    await closing;
    assert.ok(shell.closed, 'the shell outlived its closed tool');
  });

  it('a failed warm start is tried again by the first command, whose own failed start it reports; the next command tries once more', async () => {
    let starts = 0;
    const t = tool(async () => {
      starts++;
      if (starts <= 2) throw new Error(`bwrap: no user namespaces (${starts})`);
      return new StandInShell();
    });
    t.warm();
    assert.match(await failureOf(t.run({ command: 'echo a' }, undefined) as Promise<unknown>), /could not start: bwrap: no user namespaces \(2\)/);
    assert.equal(await t.run({ command: 'echo b' }, undefined), 'ran echo b');
    assert.equal(starts, 3);
  });

  it('a shell that died is replaced by the next command', async () => {
    const shells: StandInShell[] = [];
    const t = tool(async () => {
      const s = new StandInShell();
      shells.push(s);
      return s;
    });
    t.warm();
    await t.run({ command: 'echo a' }, undefined);
    shells[0]!.closed = true;
    assert.equal(await t.run({ command: 'echo b' }, undefined), 'ran echo b');
    assert.equal(shells.length, 2);
  });
});
