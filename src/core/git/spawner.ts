/**
 * git processes started from a small helper process (the git host) instead of the engine's own.
 *
 * Starting a child holds the starting thread until the child has exec'd, and on Linux libuv starts
 * it with fork(), whose cost grows with the parent's memory: its page tables are copied. Measured on
 * this 2-core VM (200 × `git --version`): 1.8 ms per start from a 52 MB Node process, 5.5 ms from
 * 189 MB, 8.0 ms from 263 MB, nearly all of it system CPU. The engine held 150–250 MB at 8–200
 * modules and starts about sixty git processes per module; the raw-git baseline, a plain script, ran
 * about twice as fast as the same git work from a process the engine's size. The host is a bare Node
 * process (8 MB of its own when idle, 16–27 MB at its busiest in the bench, besides the Node binary
 * the engine maps too) that forks git for the engine and hands the output back over IPC, so the
 * engine's event loop never waits on a start either (the reason git was first moved to a worker
 * thread). In the 32-module bench the engine's CPU fell from 9.4 to 7.3 s, the host taking 1.9 s.
 *
 * The host runs a few lines of plain JavaScript (no bundle entry of its own), gets no secret (each
 * call's environment comes with the call), ends when the engine does, and is unref'd while idle, so
 * it never keeps a finished run or a test process alive. Where it cannot start, git is spawned from
 * this process as before.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { setPriority } from 'node:os';

export interface SpawnedGit {
  exitCode: number;
  stdout: string;
  stderr: string;
}

interface Request {
  id: number;
  cwd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Written to git's stdin, which is then closed; without it stdin is not open at all. */
  input?: string;
  /** Started at a lower CPU priority (nice 10): work nothing waits for yet. */
  background?: boolean;
}

type Reply = { id: number; spawnMs: number } & ({ exitCode: number; stdout: Uint8Array; stderr: Uint8Array } | { error: string });

const text = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');

/**
 * Lowers a started git's CPU priority. Set just after the start, so its first milliseconds run at
 * the usual priority; where priorities cannot be changed it simply runs at the usual one.
 */
function lowerPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, 10);
  } catch {
    // not permitted here, or the process is gone already
  }
}

const HOST_SOURCE = `
const { spawn } = require('node:child_process');
const { setPriority } = require('node:os');
// As lowerPriority in spawner.ts (this source is not compiled: it cannot call that one).
const lowerPriority = (pid) => { try { if (pid !== undefined) setPriority(pid, 10); } catch {} };
// The engine is gone (or closed the channel): nothing will read an answer.
process.on('disconnect', () => process.exit(0));
process.on('message', ({ id, cwd, args, env, input, background }) => {
  let done = false;
  const reply = (m) => { if (!done && process.connected) { done = true; process.send(m); } };
  const started = performance.now();
  let child;
  try {
    child = spawn('git', args, { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], windowsHide: true });
  } catch (e) {
    reply({ id, spawnMs: performance.now() - started, error: String((e && e.message) || e) });
    return;
  }
  const spawnMs = performance.now() - started;
  if (background) lowerPriority(child.pid);
  if (input !== undefined) {
    // git may exit before reading all of it (an error): its exit code says so, not EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  }
  const out = [];
  const err = [];
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => err.push(d));
  child.once('error', (e) => reply({ id, spawnMs, error: e.message }));
  child.once('close', (code, signal) => {
    // Killed by a signal: not a success, and not any exit code git itself gives.
    reply({ id, spawnMs, exitCode: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
  });
});
process.send({ ready: true });
`;

/**
 * The host's own environment: what starting Node needs, nothing more. No key or token of the
 * engine's reaches it; each git call brings the environment it runs with.
 */
function hostEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'SYSTEMROOT', 'TMPDIR', 'TEMP', 'TMP']) if (process.env[name] !== undefined) env[name] = process.env[name];
  // Inside VS Code the engine runs on Electron's binary, which is Node only when told so.
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  // One malloc arena: the host's few threads never allocate at once enough to need more.
  env.MALLOC_ARENA_MAX = '1';
  return env;
}

/**
 * A 1 MB young generation: the host's live data is a few calls' output, and its default semi-spaces
 * let each call's garbage pile up. Measured over 2,000 `git ls-files` calls, five at a time (one run
 * each): 55 MB of its own memory at the default, 32–33 MB with this, 29 MB with one malloc arena as
 * well (hostEnv). Only for Node itself: Electron's binary as Node is left with its defaults.
 */
const HOST_NODE_FLAGS = process.versions.electron ? [] : ['--max-semi-space-size=1'];

/** A host that has not said it is ready by then is stopped, and git is started from the engine's process. */
const HOST_READY_TIMEOUT_MS = 10_000;

type Pending = { command: string; resolve: (r: SpawnedGit) => void; reject: (e: Error) => void };

class GitHost {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  /** Calls made before the host said it was ready; run here instead if it never does. */
  private readonly waiting: Array<{ request: Request; settle: Pending }> = [];
  private ready = false;
  dead = false;

  constructor(private readonly onUnavailable: (waiting: Array<{ request: Request; settle: Pending }>) => void) {
    this.child = spawn(process.execPath, [...HOST_NODE_FLAGS, '-e', HOST_SOURCE], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
      env: hostEnv(),
      windowsHide: true,
    });
    this.child.on('message', (m: Reply | { ready: true }) => ('ready' in m ? this.start() : this.settle(m)));
    const die = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      if (!this.ready) return this.onUnavailable(this.waiting.splice(0));
      for (const p of this.pending.values()) p.reject(new Error(why));
      this.pending.clear();
    };
    this.child.once('error', (e) => die(`the git host failed: ${e.message}`));
    this.child.once('exit', (code, signal) => die(`the git host exited (${signal ?? code})`));
    setTimeout(() => {
      if (!this.ready) this.child.kill('SIGKILL');
    }, HOST_READY_TIMEOUT_MS).unref();
    this.unref();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(request: Request): Promise<SpawnedGit> {
    return new Promise((resolve, reject) => {
      const settle = { command: subcommandOf(request.args), resolve, reject };
      // Referenced while it has work: a pending git call keeps the process alive, an idle host does not.
      if (this.pending.size === 0 && this.waiting.length === 0) this.ref();
      if (!this.ready) return void this.waiting.push({ request, settle });
      this.send(request, settle);
    });
  }

  private start(): void {
    this.ready = true;
    for (const { request, settle } of this.waiting.splice(0)) this.send(request, settle);
  }

  private send(request: Request, settle: Pending): void {
    this.pending.set(request.id, settle);
    this.child.send(request, (e) => {
      if (!e || !this.pending.delete(request.id)) return;
      settle.reject(new Error(`the git host could not be reached: ${e.message}`));
      if (this.pending.size === 0) this.unref();
    });
  }

  private settle(m: Reply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.unref();
    const tally = (stats[p.command] ??= { count: 0, spawnMs: 0 });
    tally.count++;
    tally.spawnMs += m.spawnMs;
    if ('error' in m) p.reject(new Error(m.error));
    else p.resolve({ exitCode: m.exitCode, stdout: text(m.stdout), stderr: text(m.stderr) });
  }

  private ref(): void {
    this.child.ref();
    (this.child.channel as { ref?: () => void } | undefined)?.ref?.();
  }

  private unref(): void {
    this.child.unref();
    (this.child.channel as { unref?: () => void } | undefined)?.unref?.();
  }
}

let host: GitHost | null = null;
let hostUnavailable = false;
let nextId = 1;

/**
 * git processes started by the host, by subcommand, and the time their starts took there (time the
 * engine's event loop no longer spends): the bench prints them beside its own count.
 */
export const stats: Record<string, { count: number; spawnMs: number }> = {};

/**
 * The git host's memory from /proc (Linux), or null when none is running: the bench adds it to the
 * engine's. `privateMb` is what it holds of its own (anonymous memory); the rest of its RSS is the
 * Node binary and libraries, pages the engine's process maps too.
 */
export function gitHostMemory(): { pid: number; rssMb: number; privateMb: number } | null {
  const pid = gitHostPid();
  if (pid === undefined) return null;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { pid, rssMb: kb('VmRSS') / 1024, privateMb: kb('RssAnon') / 1024 };
  } catch {
    return null;
  }
}

/** The running git host's process id, or undefined when none runs (the bench reads its CPU time). */
export function gitHostPid(): number | undefined {
  return host && !host.dead ? host.pid : undefined;
}

/** `git <subcommand>`, past the `-c key=value` settings and a `-C dir` (the bench's process count names git calls the same way). */
export function subcommandOf(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c' || args[i] === '-C') i++;
    else if (!args[i]!.startsWith('-')) return `git ${args[i]}`;
  }
  return 'git';
}

function gitHost(): GitHost | null {
  if (hostUnavailable) return null;
  if (host && !host.dead) return host;
  try {
    host = new GitHost((waiting) => {
      // It never started: git from this process from now on, the calls it was given first included.
      hostUnavailable = true;
      for (const { request, settle } of waiting) spawnHere(request.cwd, request.args, request.env, request.input, request.background ?? false).then(settle.resolve, settle.reject);
    });
    return host;
  } catch {
    hostUnavailable = true;
    return null;
  }
}

/** Runs `git args` in `cwd` with `env`; rejects only when git could not be started at all. */
export function spawnGit(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string, background = false): Promise<SpawnedGit> {
  const h = gitHost();
  if (h) return h.run({ id: nextId++, cwd, args: [...args], env, ...(input !== undefined ? { input } : {}), ...(background ? { background } : {}) });
  return spawnHere(cwd, args, env, input, background);
}

function spawnHere(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv, input: string | undefined, background: boolean): Promise<SpawnedGit> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...args], { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], windowsHide: true });
    if (background) lowerPriority(child.pid);
    if (input !== undefined) {
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(input);
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let done = false;
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.once('error', (e) => {
      if (done) return;
      done = true;
      reject(e);
    });
    child.once('close', (code, signal) => {
      if (done) return;
      done = true;
      // Killed by a signal: not a success, and not any exit code git itself gives.
      resolve({ exitCode: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}
