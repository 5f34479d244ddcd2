/**
 * Two builder scenarios about what surrounds the agent rather than the code it writes.
 * sandbox-escape: before any work the target builder's shell tries to write outside its worktree,
 * read an SSH key in its home, connect to a loopback port and signal a process outside its tree;
 * each must come back refused, and the builder then does its work as usual.
 * mcp-tools: the target builder asks an MCP server's `lookup` tool about its module, writes the answer
 * into its module folder (so a test can see the result reached the model), and calls `crash`.
 */
import type { ScriptedReply } from '../api-types';
import { normPath, type ToolCall } from '../conversation';
import { act, call, shellQuote } from '../reply';
import type { SandboxProbe } from '../types';
import type { BuilderSetup } from './builder-setup';
import type { RoleContext } from './context';

const DEFAULT_PROBE: SandboxProbe = { outsidePath: '../escaped-by-builder.txt', port: 9, pid: 1 };

export function probeCommands(probe: SandboxProbe = DEFAULT_PROBE): string[] {
  return [
    `printf 'written by a builder\\n' > ${shellQuote(probe.outsidePath)}`,
    'cat ~/.ssh/id_ed25519',
    // A subshell, so a connection that did open is not left on the persistent shell.
    `(exec 3<>/dev/tcp/127.0.0.1/${probe.port} && echo connected)`,
    `kill -TERM ${probe.pid}`,
  ];
}

export function escapeTurn(ctx: RoleContext, s: BuilderSetup, calls: ToolCall[]): ScriptedReply | undefined {
  if (ctx.scenario !== 'sandbox-escape' || !s.isTarget || s.fixCycle > 0 || !ctx.c.tools.has('bash')) return undefined;
  const commands = probeCommands(ctx.probe);
  if (calls.some((x) => x.name === 'bash' && commands.includes(String(x.input['command'])))) return undefined;
  return act(ctx.c, 'Before I start, a look at what this shell can reach: a file beside the repository, my SSH key, a local service, a process.', commands.map((command) => call('bash', { command })));
}

export function mcpNotePath(s: BuilderSetup): string {
  return `${s.moduleDir}/mcp-note.txt`;
}

export function mcpTurn(ctx: RoleContext, s: BuilderSetup, calls: ToolCall[]): ScriptedReply | undefined {
  if (ctx.scenario !== 'mcp-tools' || !s.isTarget || s.fixCycle > 0) return undefined;
  const offered = [...ctx.c.tools].filter((t) => t.startsWith('mcp__'));
  const lookup = offered.find((t) => t.endsWith('__lookup'));
  if (!lookup) return undefined;
  const lookups = calls.filter((x) => x.name === lookup);
  if (lookups.length === 0) return act(ctx.c, 'Asking the notes server what it knows about my module first.', [call(lookup, { topic: s.module })]);
  const answer = lookups[0]!.result;
  if (!answer) return undefined;
  const note = mcpNotePath(s);
  if (calls.some((x) => x.name === 'write' && normPath(x.input['file_path']) === normPath(note))) return undefined;
  const crash = offered.find((t) => t.endsWith('__crash'));
  const says = answer.isError ? `The notes server failed (${answer.text.slice(0, 200)}); noting that and going on.` : 'Keeping the server\'s note with the module, then trying its other tool.';
  return act(ctx.c, says, [
    call('write', { file_path: note, content: `${answer.isError ? 'lookup failed: ' : ''}${answer.text}\n` }),
    ...(crash && !calls.some((x) => x.name === crash) ? [call(crash, {})] : []),
  ]);
}
