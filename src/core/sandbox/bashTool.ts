/**
 * The agent's `bash` tool, run in the sandbox: the SDK tool's name, description and input schema are
 * kept (so prompts and the model see the same tool), its body is replaced by a persistent shell
 * started inside the sandbox. A refused operation comes back to the agent as a failed command with
 * the shell's own message plus one line saying what the sandbox allows, so the agent can adapt.
 */
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import type { WarmableTool } from '../agents/warmTools';
import { freezer } from './freeze';
import { SandboxedShell } from './shellSession';

const REFUSAL = /Read-only file system|Permission denied|Operation not permitted|Connection refused|No such process|Network is unreachable|Could not resolve host|blocked-by-sandbox|403 Forbidden|Temporary failure in name resolution/i;

export interface SandboxedBashOptions {
  start: () => Promise<SandboxedShell>;
  /** One line: what this shell may write and reach, appended to refusals. */
  describe: string;
  /** Read-denied paths: a failure naming one of them was the sandbox's doing (they read as missing). */
  hidden: readonly string[];
  defaultTimeoutMs: number;
  /**
   * The shell may write in the worktree the file tools work in. Only then can its processes swap a
   * folder on a file tool's path for a symlink, so only then are they held still while one runs
   * (pauseWhile). A read-only shell (QC's) is never paused: its test run, started as QC starts
   * (agents/commandAhead.ts), goes on while QC reads.
   */
  writesWorkdir: boolean;
}

export function sandboxNote(output: string, describe: string, hidden: readonly string[] = []): string {
  const refused = REFUSAL.test(output) || hidden.some((p) => output.includes(p));
  return refused ? `${output}\n[sandbox] ${describe}` : output;
}

/**
 * The sandboxed bash tool. `warm()` starts its shell ahead of the first command: the runtime's wrap
 * (a `which`, a scan, the bubblewrap launch) then overlaps the agent's first model call instead of
 * holding up its first command. The agent loop calls it when the agent starts (runAgent).
 */
export function sandboxedBashTool(sdkBash: BetaRunnableTool, opts: SandboxedBashOptions): BetaRunnableTool & WarmableTool & Partial<PausableShell> {
  // The shell being started or running; a failed start is forgotten, so the next command tries again.
  let shell: Promise<SandboxedShell> | undefined;
  // The shell once it is running (a shell still starting has run nothing of the agent's yet).
  let running: SandboxedShell | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  const starting = (): Promise<SandboxedShell> => {
    if (shell) return shell;
    const started = opts.start();
    shell = started;
    started.then((s) => (running = s), () => undefined);
    started.catch(() => {
      if (shell === started) shell = undefined;
    });
    return started;
  };
  /** Closes the shell; one still starting is closed as soon as it is there. */
  const drop = async (): Promise<void> => {
    const was = shell;
    shell = undefined;
    await was?.then(
      (s) => s.close(),
      () => undefined,
    );
  };
  const ready = async (): Promise<SandboxedShell> => {
    try {
      let s = await starting();
      if (s.closed) {
        await drop();
        s = await starting();
      }
      return s;
    } catch (e) {
      throw new ToolError(`bash: the sandboxed shell could not start: ${(e as Error).message}`);
    }
  };
  const runOne = async (input: { command?: unknown; restart?: unknown; timeout_ms?: unknown }, signal: AbortSignal | null | undefined) => {
    if (input?.restart === true) await drop();
    const command = typeof input?.command === 'string' ? input.command : '';
    if (!command) {
      if (input?.restart === true) return 'bash session restarted';
      throw new ToolError('bash: command is required');
    }
    const current = await ready();
    const timeoutMs = typeof input.timeout_ms === 'number' && input.timeout_ms > 0 ? input.timeout_ms : opts.defaultTimeoutMs;
    let result: { output: string; exitCode: number };
    try {
      result = await current.exec(command, { timeoutMs, signal });
    } catch (e) {
      // Timed out, aborted or the shell died: the command may still print a stale sentinel.
      await drop();
      throw new ToolError(`bash: ${(e as Error)?.message ?? String(e)}`);
    }
    if (result.exitCode !== 0) throw new ToolError(sandboxNote(result.output || `exit ${result.exitCode}`, opts.describe, opts.hidden));
    return result.output;
  };
  return {
    ...sdkBash,
    // One command at a time: the shell's stdin is shared, like the SDK's own bash tool.
    run: (input, context) => {
      const next = tail.then(
        () => runOne(input as never, context?.signal),
        () => runOne(input as never, context?.signal),
      );
      tail = next.catch(() => undefined);
      return next;
    },
    warm: () => {
      void starting().catch(() => undefined);
    },
    ...(opts.writesWorkdir ? { pauseWhile: freezer(() => running?.pid) } : {}),
    close: drop,
  };
}

/** A shell whose processes can be held still while the engine works in its worktree (freeze.ts). */
export interface PausableShell {
  pauseWhile<T>(work: () => Promise<T>): Promise<T>;
}

export function isPausableShell(tool: unknown): tool is PausableShell {
  return typeof (tool as Partial<PausableShell> | null)?.pauseWhile === 'function';
}
