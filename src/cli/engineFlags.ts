/**
 * The CLI runs the engine in its own process, so it needs the engine's V8 flags (ENGINE_NODE_FLAGS)
 * and environment (ENGINE_ENV: glibc's malloc settings, read only at process start) as the process
 * VS Code forks has them. A shebang cannot pass them portably (`env -S` is missing from busybox), so
 * when a flag was not given on the command line or in NODE_OPTIONS, or a variable is not set, the
 * CLI re-executes itself with them before doing anything else. process.execve replaces the process
 * image: the pid, the terminal, signals (a SIGKILL from a test or the user) and the exit code stay
 * the CLI's, with no parent left behind. Where it is missing (Node before 22.15) or fails, the CLI
 * runs without them, as before.
 */
import { ENGINE_NODE_FLAGS, missingEngineEnv, missingNodeFlags } from '../core/engineNodeFlags';

type Execve = (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never;

/**
 * Set for the re-executed image only, and removed from its environment at once (git, hooks and the
 * agents' shells never see it): whatever the new image finds missing, it does not re-execute again.
 */
const REEXECUTED = 'BUILD_PIPELINE_ENGINE_REEXEC';

export function reexecWithEngineFlags(): void {
  if (process.env[REEXECUTED] !== undefined) {
    delete process.env[REEXECUTED];
    return;
  }
  const missing = missingNodeFlags(ENGINE_NODE_FLAGS, process.execArgv, process.env.NODE_OPTIONS);
  const env = missingEngineEnv(process.env);
  const execve = (process as unknown as { execve?: Execve }).execve;
  if ((missing.length === 0 && Object.keys(env).length === 0) || typeof execve !== 'function') return;
  try {
    execve.call(process, process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, ...env, [REEXECUTED]: '1' });
  } catch {
    // Not replaced (e.g. the binary moved since start): carry on in this process.
  }
}
