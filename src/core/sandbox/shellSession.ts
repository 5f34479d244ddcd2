/**
 * A persistent bash that lives inside the sandbox: the agent's `bash` tool keeps its state (cwd,
 * variables) across calls as the SDK's own tool does, but the shell process itself was started by
 * the sandbox runtime, so everything it runs inherits the filesystem, network and process confinement.
 * The framing (a per-call nonce sentinel carrying the exit code) follows the SDK's BashSession.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import type { SandboxLease } from './runtime';
import { toRuntimeConfig, type ShellPolicy } from './policy';
import { killProcessTree, trackProcessGroup } from '../processGroups';
import { shellQuote } from './shellQuote';

const OUTPUT_LIMIT = 100 * 1024;
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

export class ShellTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    /** What the command printed before it was stopped. */
    readonly output = '',
  ) {
    super(`bash command timed out after ${timeoutMs}ms`);
  }
}

/**
 * The variables every sandboxed command starts with, set after the runtime set its own: the private
 * temp folder, and the package managers' caches inside it. Their usual caches (`~/.npm/_cacache`,
 * `~/.cache/pip`, yarn's) are in the home folder, which the sandbox keeps read-only, and npm fails
 * an install outright (EROFS) when it cannot write its cache; a cache per shell costs a download,
 * a shared writable one would let one agent poison what the next one installs.
 */
export function sandboxTempExports(tmpDir: string): string {
  const t = shellQuote(tmpDir);
  return (
    `export TMPDIR=${t} TMP=${t} TEMP=${t} ` +
    `npm_config_cache=${shellQuote(`${tmpDir}/npm-cache`)} YARN_CACHE_FOLDER=${shellQuote(`${tmpDir}/yarn-cache`)} PIP_CACHE_DIR=${shellQuote(`${tmpDir}/pip-cache`)}`
  );
}

/**
 * Bash reads ~/.bashrc even with `-c` when it guesses it was started by a remote-shell daemon: SHLVL
 * says it is the first shell (as in a VS Code started from the desktop, or a systemd service, where
 * SHLVL is unset) and its stdin is a socket (node's pipes are) or, in Debian's build, SSH_CLIENT is
 * set (VS Code Remote-SSH). The user's rc file then ran before
 * every shell: outside the sandbox in the bash the engine starts, and inside it in the runtime's own
 * `bash -c` (bash lowers SHLVL again when it execs its last command, so that one counted as first
 * too). Slow (pyenv's, nvm's and conda's set-up take tenths of a second), noisy in every command's
 * output, and one that waited on a stale pyenv lock held the shell for a minute, past its start
 * timeout. So the engine's bash gets no rc file, and its environment a shell level of at least 1,
 * which every bash below it raises past the guess.
 */
export const BASH_WITHOUT_RC = ['--noprofile', '--norc'] as const;

export function withShellLevel<T extends Record<string, string | undefined>>(env: T): T & { SHLVL: string } {
  const level = Number.parseInt(env.SHLVL ?? '', 10);
  return { ...env, SHLVL: String(Number.isFinite(level) && level >= 1 ? level : 1) };
}

/** The process line that starts the shell. */
function shellLine(tmpDir: string): string {
  return `${sandboxTempExports(tmpDir)}; exec /bin/bash --noprofile --norc`;
}

/**
 * Wraps `line` for the sandbox under `policy`, registering the policy's network allow-list under an
 * unguessable id for as long as the returned `done` is not called.
 */
export async function wrapForSandbox(lease: SandboxLease, line: string, policy: ShellPolicy): Promise<{ command: string; done: () => void }> {
  const { SandboxManager } = lease.srt;
  fs.mkdirSync(policy.tmpDir, { recursive: true });
  const commandId = randomBytes(16).toString('base64url');
  const command = await SandboxManager.wrapWithSandbox(line, undefined, toRuntimeConfig(policy), undefined, { commandId, commandText: line });
  if (policy.allowedDomains.length) SandboxManager.registerCommandNetworkLists(commandId, { allowedDomains: policy.allowedDomains });
  let done = false;
  return {
    command,
    done: () => {
      if (done) return;
      done = true;
      SandboxManager.unregisterCommandNetworkLists(commandId);
    },
  };
}

export class SandboxedShell {
  #proc: ChildProcessWithoutNullStreams;
  #outputLimit = OUTPUT_LIMIT;
  #buf = '';
  #truncated = false;
  #closed = false;
  #waiting: { sentinel: string; resolve: () => void } | null = null;

  #ended = false;

  private constructor(
    proc: ChildProcessWithoutNullStreams,
    private readonly cleanup: () => void,
  ) {
    this.#proc = proc;
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (d: string) => this.#append(d));
    proc.stderr.on('data', (d: string) => this.#append(d));
    // A shell that could not be spawned at all: the next exec says the session is gone.
    proc.once('error', (e) => this.#append(`\n[bash could not start: ${e.message}]\n`));
    proc.once('close', () => {
      this.#closed = true;
      this.#end();
      const w = this.#waiting;
      this.#waiting = null;
      w?.resolve();
    });
  }

  static async start(lease: SandboxLease, policy: ShellPolicy, env: Record<string, string>): Promise<SandboxedShell> {
    const wrapped = await wrapForSandbox(lease, shellLine(policy.tmpDir), policy);
    const proc = spawn('/bin/bash', [...BASH_WITHOUT_RC, '-c', wrapped.command], {
      cwd: policy.cwd,
      env: { ...withShellLevel(env), PS1: '', PS2: '', TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const untrack = trackProcessGroup(proc.pid);
    return new SandboxedShell(proc, () => {
      untrack();
      wrapped.done();
      fs.rmSync(policy.tmpDir, { recursive: true, force: true });
    });
  }

  /** Once, whichever comes first: the shell exiting or the tool closing it. */
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.cleanup();
  }

  /** The shell the engine started (outside the sandbox); everything in the sandbox descends from it. */
  get pid(): number | undefined {
    return this.#closed ? undefined : this.#proc.pid;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #append(d: string): void {
    this.#buf += d;
    if (this.#buf.length > this.#outputLimit) {
      this.#buf = this.#buf.slice(this.#buf.length - this.#outputLimit);
      this.#truncated = true;
    }
    if (this.#waiting && exitStatusAfter(this.#buf, this.#waiting.sentinel) !== undefined) {
      const w = this.#waiting;
      this.#waiting = null;
      w.resolve();
    }
  }

  /** `outputLimit`: the characters of output kept (the last ones); 100 KB unless given. */
  async exec(command: string, opts: { timeoutMs: number; signal?: AbortSignal | null; outputLimit?: number }): Promise<{ output: string; exitCode: number }> {
    if (this.#closed) throw new Error('bash session terminated');
    opts.signal?.throwIfAborted();
    this.#buf = '';
    this.#truncated = false;
    this.#outputLimit = opts.outputLimit ?? OUTPUT_LIMIT;
    const sentinel = `__BP_CMD_${randomUUID()}_DONE__`;
    // Split so the literal never appears in what is written to stdin; only printf joins it.
    const split = `${sentinel.slice(0, 8)}''${sentinel.slice(8)}`;
    this.#proc.stdin.write(`{ ${command}\n} </dev/null 2>&1; printf '\\n${split}%d\\n' $?\n`);
    if (exitStatusAfter(this.#buf, sentinel) === undefined) {
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      try {
        await Promise.race([
          new Promise<void>((resolve) => (this.#waiting = { sentinel, resolve })),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ShellTimeoutError(opts.timeoutMs, this.#buf)), opts.timeoutMs))),
          new Promise<never>((_, reject) => {
            if (!opts.signal) return;
            onAbort = () => reject(opts.signal!.reason);
            opts.signal.addEventListener('abort', onAbort, { once: true });
          }),
        ]);
      } finally {
        clearTimeout(timer);
        if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
        this.#waiting = null;
      }
    }
    const at = this.#buf.indexOf(sentinel);
    if (at < 0) throw new Error('bash session terminated');
    const code = exitStatusAfter(this.#buf, sentinel);
    let output = this.#buf.slice(0, at).replace(ANSI, '').replace(/\n+$/, '');
    if (this.#truncated) output = `[output truncated]\n${output}`;
    return { output, exitCode: code ?? -1 };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const w = this.#waiting;
    this.#waiting = null;
    w?.resolve();
    this.#proc.stdout.destroy();
    this.#proc.stderr.destroy();
    this.#proc.stdin.destroy();
    // The whole group (bwrap, the shell, its jobs) and the sandbox's init, which bwrap starts in a session of its own.
    if (!killProcessTree(this.#proc.pid!)) this.#proc.kill('SIGKILL');
    this.#proc.unref();
    this.#end();
  }
}

/**
 * The command's exit status once its end has arrived in full (the sentinel, the status and the
 * newline after it), else undefined. Output comes in chunks, and one can end right after the
 * sentinel: read then, the status was missing and a passing command counted as failed (-1).
 */
export function exitStatusAfter(buffer: string, sentinel: string): number | undefined {
  const at = buffer.indexOf(sentinel);
  const status = at < 0 ? null : /^(-?\d+)\n/.exec(buffer.slice(at + sentinel.length));
  return status ? parseInt(status[1]!, 10) : undefined;
}
