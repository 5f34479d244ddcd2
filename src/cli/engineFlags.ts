/**
 * The CLI runs the engine in its own process, so it needs the engine's V8 flags (ENGINE_NODE_FLAGS)
 * as the process VS Code forks has them. A shebang cannot pass them portably (`env -S` is missing
 * from busybox), so when they were not given on the command line or in NODE_OPTIONS the CLI
 * re-executes itself with them before doing anything else. process.execve replaces the process
 * image: the pid, the terminal, signals (a SIGKILL from a test or the user) and the exit code stay
 * the CLI's, with no parent left behind. Where it is missing (Node before 22.15) or fails, the CLI
 * runs without the flags, as before.
 */
import { ENGINE_NODE_FLAGS, missingNodeFlags } from '../core/engineNodeFlags';

type Execve = (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never;

export function reexecWithEngineFlags(): void {
  const missing = missingNodeFlags(ENGINE_NODE_FLAGS, process.execArgv, process.env.NODE_OPTIONS);
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (missing.length === 0 || typeof execve !== 'function') return;
  try {
    execve.call(process, process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env);
  } catch {
    // Not replaced (e.g. the binary moved since start): carry on in this process.
  }
}
