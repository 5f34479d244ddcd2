/**
 * Runs a project command (a test suite) the way an engineer would: bash in a given folder, with the
 * agents' scrubbed environment, a timeout that kills the whole process group, output kept bounded.
 * The commands are the model's choice (test commands from the contracts, an install step), so they
 * run in the run's sandbox like the agents' shells: writes only in `cwd`, no credentials, the network
 * only as allow-listed.
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import type { RunSandbox } from './sandbox/runSandbox';
import { killProcessTree, trackProcessGroup } from './processGroups';
import { BASH_WITHOUT_RC, withShellLevel } from './sandbox/shellSession';

export interface CommandResult {
  exitCode: number | null;
  output: string;
  timedOut: boolean;
  durationMs: number;
}

const MAX_OUTPUT = 200_000;

/**
 * What a caller throws when the run was stopped under (or before) its command: the command was killed
 * or never started, so its exit says nothing about the code. Nothing is recorded or acted on (a red
 * suite, a failed check, a fix task); the run ends cancelled and the resume runs the command again.
 */
export function stoppedError(what: string, signal: AbortSignal | undefined): Error {
  return new Error(`${what}: the run was stopped before it finished (${String(signal?.reason ?? 'cancelled')})`);
}

export interface CommandOptions {
  /**
   * Work nothing waits for right now (assembly's tests after a merge, while the build goes on): run
   * at nice 10, so on a busy machine the CPU goes first to what is on the run's critical path (the
   * builders' worktrees, their tests). When the CPU is free it runs as fast as ever.
   */
  background?: boolean;
}

export async function runCommand(
  command: string,
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
  sandbox?: RunSandbox,
  options: CommandOptions = {},
): Promise<CommandResult> {
  const started = Date.now();
  // A stopped run starts nothing (a caller falling back to a command after its other work was stopped).
  if (signal?.aborted) return { exitCode: null, output: 'not run: the run was stopped', timedOut: false, durationMs: 0 };
  if (sandbox?.runCommand) {
    // In a sandboxed shell kept for this worktree (sandbox/commandShells.ts): no sandbox start per command.
    const r = await sandbox.runCommand(command, { cwd, writable: true, env, timeoutMs, signal, outputLimit: MAX_OUTPUT, background: options.background }).catch((e: Error) => e);
    if (r instanceof Error) return { exitCode: null, output: `the sandbox could not run the command: ${r.message}`, timedOut: false, durationMs: Date.now() - started };
    return { ...r, durationMs: Date.now() - started };
  }
  const wrapped = sandbox ? await sandbox.wrapCommand(command, { cwd, writable: true }).catch((e: Error) => e) : { command, done: () => undefined };
  if (wrapped instanceof Error) return { exitCode: null, output: `the sandbox could not wrap the command: ${wrapped.message}`, timedOut: false, durationMs: Date.now() - started };
  return new Promise((resolve) => {
    const child = spawn('/bin/bash', [...BASH_WITHOUT_RC, '-c', wrapped.command], { cwd, env: withShellLevel(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const untrack = trackProcessGroup(child.pid);
    // Right after the start: bash has barely begun, and whatever it starts inherits the priority.
    if (options.background && child.pid) lowerPriority(child.pid);
    let output = '';
    const take = (d: Buffer) => {
      output += d.toString('utf8');
      if (output.length > MAX_OUTPUT) output = output.slice(output.length - MAX_OUTPUT);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    let timedOut = false;
    const killGroup = () => {
      if (child.pid) killProcessTree(child.pid);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    const onAbort = () => killGroup();
    signal?.addEventListener('abort', onAbort, { once: true });
    // Stopped while the command was being wrapped: the listener came too late to hear it.
    if (signal?.aborted) killGroup();
    child.on('close', (code) => {
      untrack();
      wrapped.done();
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve({ exitCode: code, output, timedOut, durationMs: Date.now() - started });
    });
    child.on('error', (e) => {
      untrack();
      wrapped.done();
      clearTimeout(timer);
      resolve({ exitCode: null, output: String(e.message), timedOut, durationMs: Date.now() - started });
    });
  });
}

function lowerPriority(pid: number): void {
  try {
    os.setPriority(pid, Math.min(19, os.getPriority(pid) + 10));
  } catch {
    // Gone already, or not allowed: it runs at the normal priority.
  }
}
