/**
 * The engine's own sandboxed commands (the tests after each merge, an install, the scaffold's
 * checks) run one after another in a sandboxed shell kept per worktree, instead of in a sandbox
 * started for each command. Every start costs the runtime's wrap (a `which bash` that holds the
 * event loop, a ripgrep scan) and a bubblewrap launch, and assembly alone runs about two commands
 * per module.
 *
 * Why one wrap may serve many commands: an agent's own shell already does (one wrap per agent, every
 * command after it). What the wrap reads from the disk is (1) the runtime's scan for dangerous files,
 * which walks the engine process's working directory, never a worktree, so nothing a command creates
 * in its worktree enters it; (2) the policy's paths (credentials, `.env` files, the git paths of the
 * worktree), which are part of the key below, so a worktree whose branch or git dir changed gets a
 * new shell; (3) the worktree folder itself, bound into the sandbox: a worktree removed and created
 * again at the same path is another folder, so the folder's identity (device and inode) is in the
 * key too. The paths the wrap closes for writing (the `.git` pointer, the worktree's git config) are
 * closed for every command, so no command can change what the next wrap would have read there.
 *
 * What each command gets (what a sandbox of its own gave it):
 * - a fresh subshell of a shell that runs nothing itself: no directory, variables or functions left
 *   by an earlier command;
 * - an empty private temp folder (package caches in it); what a command leaves there is deleted
 *   before the next one starts;
 * - what it left running is killed when it ends: each command is a job with a process group of its
 *   own, killed whole (a sandbox of its own ended them with its process namespace). A process that
 *   leaves its group on purpose (a daemon starting a session of its own) is found after the command
 *   (a process of the sandbox's namespace that was not there before the first command) and the
 *   sandbox is dropped with it: the next command gets a new one, as it would have;
 * - on a timeout or a cancel the whole sandbox is killed, as before; the next command starts another.
 */
import * as fs from 'node:fs';
import { ShellTimeoutError, SandboxedShell, sandboxTempExports } from './shellSession';
import { shellQuote } from './shellQuote';
import type { ShellPolicy } from './policy';

export interface CommandOutcome {
  exitCode: number | null;
  output: string;
  timedOut: boolean;
}

export interface PooledCommand {
  line: string;
  timeoutMs: number;
  signal?: AbortSignal;
  outputLimit: number;
  /** Run at a lower CPU priority (nice 10): work nothing waits for right now, see shell.ts. */
  background?: boolean;
}

/**
 * Lowers the subshell's CPU priority, which everything it starts inherits. Without `renice` in the
 * sandbox the command runs at the normal priority: slower to stand aside, the same result.
 */
const LOWER_PRIORITY = 'renice -n 10 -p "$BASHPID" >/dev/null 2>&1';

/** How long an idle shell is kept for the next command in its worktree. */
const IDLE_MS = 120_000;

/**
 * Run once when a pooled shell starts, before any command: job control, so that each command runs
 * as a job in a process group of its own, which is killed whole when the command ends (not by pids
 * read from /proc: the shell runs in a process namespace nested inside the one /proc shows, so the
 * numbers there are not the ones `kill` takes); and the count of processes a command left behind,
 * which only compares /proc's entries with themselves (a nested namespace's processes are listed
 * there too).
 */
const SETUP = [
  'set -m',
  // The processes of the sandbox before any command (its process namespace: the runtime's own and
  // this shell), listed with builtins only so that no process of the listing's is in it.
  "__bp_base=' '; for __p in /proc/[0-9]*; do __bp_base=\"$__bp_base${__p#/proc/} \"; done",
  // How many processes are there now that were not then, the dead but not yet reaped aside. Only in
  // a process namespace of the sandbox's own (bubblewrap is its first process): elsewhere /proc lists
  // the whole machine, and nothing is counted.
  `__bp_strays() {
  local n=0 p s init=
  read -r -d '' init < /proc/1/cmdline 2>/dev/null
  case "\${init##*/}" in bwrap) ;; *) echo 0; return;; esac
  for p in /proc/[0-9]*; do
    case "$__bp_base" in *" \${p#/proc/} "*) continue;; esac
    read -r s < "$p/stat" 2>/dev/null || continue
    case "\${s##*) }" in Z*) continue;; esac
    n=$((n + 1))
  done
  echo "$n"
}`,
].join('\n');

/** How long a command's killed processes get to be gone before what is left counts as a stray. */
const STRAY_RECHECK_MS = 100;

/**
 * Empties the temp folder after each command, inside the sandbox, with the sandbox's rights only (not
 * the folder itself: it is bound into the sandbox by its inode). Not from the engine's side: a process
 * that left the command's process group (`setsid`) lives on in the kept sandbox, and could swap a
 * subfolder for a symlink to any folder of the user's between a recursive delete's check and its
 * listing, making the engine delete there. `find` does not follow symlinks.
 */
function emptyFolderInside(dir: string): string {
  return `find ${shellQuote(dir)} -mindepth 1 -delete 2>/dev/null`;
}

function folderIsEmpty(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

interface Pooled {
  shell: SandboxedShell;
  tmpDir: string;
  idle?: NodeJS.Timeout;
}

export class CommandShells {
  readonly #idle = new Map<string, Pooled[]>();
  readonly #all = new Set<Pooled>();
  #closed = false;

  constructor(
    private readonly startShell: (policy: ShellPolicy, env: Record<string, string>) => Promise<SandboxedShell>,
    private readonly newTmpDir: () => string,
  ) {}

  /** Runs `cmd` under `policy` (its temp folder is the shell's) with `env`, in a shell kept for them. */
  async run(policy: Omit<ShellPolicy, 'tmpDir'>, env: Record<string, string>, cmd: PooledCommand): Promise<CommandOutcome> {
    if (this.#closed) throw new Error('the run sandbox is closed');
    if (cmd.signal?.aborted) return { exitCode: null, output: '', timedOut: false };
    const folder = fs.statSync(policy.cwd);
    // The same key, the same sandbox (its temp folder aside, see above).
    const key = JSON.stringify([policy, folder.dev, folder.ino, env]);
    const pooled = this.#take(key) ?? (await this.#start({ ...policy, tmpDir: this.newTmpDir() }, env));
    // The command's job, then its whole process group: what it left running (`cmd &`, `nohup`) ends with it.
    // The command goes in quoted, for `eval` inside the subshell: written into the line as code, a
    // command with `} )` in it would run the rest in the kept shell (variables, functions the next
    // command inherits), and one with an unclosed quote would hold that shell until its timeout.
    const line = `( cd -- ${shellQuote(policy.cwd)} && ${sandboxTempExports(pooled.tmpDir)} && ${cmd.background ? `${LOWER_PRIORITY}; ` : ''}eval ${shellQuote(cmd.line)} ) & __bp_job=$!; wait "$__bp_job"; __bp_rc=$?; kill -KILL -- "-$__bp_job" 2>/dev/null; ${emptyFolderInside(pooled.tmpDir)}; (exit $__bp_rc)`;
    let result: { output: string; exitCode: number };
    try {
      result = await pooled.shell.exec(line, { timeoutMs: cmd.timeoutMs, signal: cmd.signal, outputLimit: cmd.outputLimit });
    } catch (e) {
      // Timed out or cancelled: the whole sandbox goes, and everything running in it.
      this.#drop(pooled);
      if (e instanceof ShellTimeoutError) return { exitCode: null, output: e.output, timedOut: true };
      if (cmd.signal?.aborted) return { exitCode: null, output: '', timedOut: false };
      return { exitCode: null, output: `the sandboxed shell ended: ${(e as Error).message}`, timedOut: false };
    }
    // A process the command left running outside its process group (a daemon with a session of its
    // own: a test's database server, which in a sandbox of its own would have ended with it), or
    // something left in the temp folder: the sandbox goes, with whatever runs in it, so the next
    // command neither meets it (a port still taken) nor sees what it writes.
    if (!folderIsEmpty(pooled.tmpDir) || (await this.#hasStrays(pooled))) this.#drop(pooled);
    else this.#giveBack(key, pooled);
    return { exitCode: result.exitCode, output: result.output, timedOut: false };
  }

  async #start(policy: ShellPolicy, env: Record<string, string>): Promise<Pooled> {
    let shell: SandboxedShell;
    try {
      shell = await this.startShell(policy, env);
    } catch (e) {
      fs.rmSync(policy.tmpDir, { recursive: true, force: true });
      throw e;
    }
    const pooled: Pooled = { shell, tmpDir: policy.tmpDir };
    this.#all.add(pooled);
    if (this.#closed) {
      this.#drop(pooled); // the run's sandbox closed while this one started
      throw new Error('the run sandbox is closed');
    }
    const ready = await shell.exec(SETUP, { timeoutMs: 30_000 }).catch((e: Error) => ({ exitCode: -1, output: e.message }));
    if (ready.exitCode !== 0) {
      this.#drop(pooled);
      throw new Error(`the sandboxed shell did not start: ${ready.output}`);
    }
    return pooled;
  }

  /** Whether a process outlived the command (asked twice: a process just killed may not be gone yet). */
  async #hasStrays(pooled: Pooled): Promise<boolean> {
    const count = async () => {
      const r = await pooled.shell.exec('__bp_strays', { timeoutMs: 10_000 }).catch(() => null);
      return r?.exitCode === 0 && /^\d+$/.test(r.output.trim()) ? Number(r.output.trim()) : Infinity;
    };
    if ((await count()) === 0) return false;
    await new Promise((r) => setTimeout(r, STRAY_RECHECK_MS));
    return (await count()) !== 0;
  }

  #take(key: string): Pooled | undefined {
    const list = this.#idle.get(key);
    while (list?.length) {
      const pooled = list.pop()!;
      clearTimeout(pooled.idle);
      if (!pooled.shell.closed) return pooled;
      this.#drop(pooled);
    }
    return undefined;
  }

  #giveBack(key: string, pooled: Pooled): void {
    if (this.#closed || pooled.shell.closed) return this.#drop(pooled);
    const list = this.#idle.get(key) ?? [];
    list.push(pooled);
    this.#idle.set(key, list);
    pooled.idle = setTimeout(() => {
      const at = list.indexOf(pooled);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0 && this.#idle.get(key) === list) this.#idle.delete(key);
      this.#drop(pooled);
    }, IDLE_MS);
    pooled.idle.unref();
  }

  #drop(pooled: Pooled): void {
    clearTimeout(pooled.idle);
    this.#all.delete(pooled);
    pooled.shell.close(); // removes its temp folder too
  }

  close(): void {
    this.#closed = true;
    for (const pooled of [...this.#all]) this.#drop(pooled);
    this.#idle.clear();
  }
}
