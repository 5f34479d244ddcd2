/**
 * git processes started from worker threads instead of the engine's own thread. Starting a child
 * process holds the starting thread until the child has exec'd (libuv waits for it so that a failed
 * exec can be reported at once): 10–30 ms per process on a loaded 2-core machine, and in an
 * 8-module bench run about 15 s of 54 with the engine's event loop stopped, every model stream and
 * every other agent's tool call waiting meanwhile. From a worker, that wait stops only the worker.
 *
 * The workers run a few lines of plain JavaScript (no bundle entry of their own) and are unref'd
 * while idle, so they never keep a finished run or a test process alive. Where a worker cannot run,
 * git is spawned from this thread as before.
 */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';

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

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { setPriority } = require('node:os');
// As lowerPriority above (this source is not compiled: it cannot call that one).
const lowerPriority = (pid) => { try { if (pid !== undefined) setPriority(pid, 10); } catch {} };
parentPort.on('message', ({ id, cwd, args, env, input, background }) => {
  let done = false;
  const reply = (m, transfer) => { if (!done) { done = true; parentPort.postMessage(m, transfer); } };
  // The output as bytes of its own, handed over to the engine's thread instead of copied as a string:
  // decoded in the worker, each large output lived on in the worker's heap until its next GC.
  const bytes = (chunks) => {
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) { all.set(c, at); at += c.length; }
    chunks.length = 0;
    return all;
  };
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
    const stdout = bytes(out);
    const stderr = bytes(err);
    reply({ id, spawnMs, exitCode: code ?? (signal ? 128 : 1), stdout, stderr }, [stdout.buffer, stderr.buffer]);
  });
});
`;

/** The young generation of each git worker's heap (V8's default follows the engine's --max-semi-space-size). */
const WORKER_YOUNG_GENERATION_MB = 4;

/**
 * One worker. Each is an isolate of its own, whose heap V8 sizes for speed whatever its few live
 * calls: 11 MB after a hundred git calls, 26 MB after two thousand. With two, at 200 modules (wide)
 * their heaps were 32 MB of the engine's peak RSS; with one, 17–29 MB, the peak 231–238 MB in three
 * runs instead of 242–264 MB in four, and wall and build stage no longer (356–361 s and 288–289 s
 * against 350–363 s and 283–290 s; 32 modules, diamond: build stage 1.07–1.08× its ideal). A second
 * worker let two starts be under way at once; the starts a worker waits on are 10–30 ms, and calls
 * queue behind them there rather than on the engine's event loop, which is what the workers are for.
 */
export const GIT_WORKER_POOL_SIZE = 1;

class GitWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { command: string; resolve: (r: SpawnedGit) => void; reject: (e: Error) => void }>();
  dead = false;

  constructor(private readonly onDeath: () => void) {
    // A small young generation: a worker's live data is a few pending calls, but its garbage (every
    // call's message, environment and output) filled the semi-spaces the engine's flags give each
    // isolate. At 200 modules the two workers' heaps reached 58 MB of the engine's RSS, with the run
    // going faster (more calls in flight); scavenging a few MB more often costs next to nothing here.
    this.worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    this.worker.on('message', (m: Reply) => this.settle(m));
    const die = (why: string) => {
      this.dead = true;
      for (const p of this.pending.values()) p.reject(new Error(why));
      this.pending.clear();
      this.onDeath();
    };
    this.worker.on('error', (e: Error) => die(`the git worker failed: ${e.message}`));
    this.worker.on('exit', (code) => die(`the git worker exited (${code})`));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    this.worker.unref();
  }

  get load(): number {
    return this.pending.size;
  }

  /** V8's heap statistics of this worker's isolate (Node 22.16+), or null. */
  async heap(): Promise<{ usedMb: number; totalMb: number } | null> {
    const read = (this.worker as unknown as { getHeapStatistics?: () => Promise<{ used_heap_size: number; total_heap_size: number }> }).getHeapStatistics;
    if (this.dead || typeof read !== 'function') return null;
    const h = await read.call(this.worker).catch(() => null);
    return h && { usedMb: h.used_heap_size / 2 ** 20, totalMb: h.total_heap_size / 2 ** 20 };
  }

  run(request: Request): Promise<SpawnedGit> {
    return new Promise((resolve, reject) => {
      // Referenced while it has work: a pending git call keeps the process alive, an idle worker does not.
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(request.id, { command: subcommandOf(request.args), resolve, reject });
      this.worker.postMessage(request);
    });
  }

  private settle(m: Reply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
    const tally = (stats[p.command] ??= { count: 0, spawnMs: 0 });
    tally.count++;
    tally.spawnMs += m.spawnMs;
    if ('error' in m) p.reject(new Error(m.error));
    else p.resolve({ exitCode: m.exitCode, stdout: text(m.stdout), stderr: text(m.stderr) });
  }
}

let pool: GitWorker[] | null = null;
let workersUnavailable = false;
let nextId = 1;

/**
 * git processes started by the workers, by subcommand, and the time their starts took there (time
 * the engine's event loop no longer spends): the bench prints them beside its own count.
 */
export const stats: Record<string, { count: number; spawnMs: number }> = {};

/**
 * The V8 heaps of the git workers now running (each is an isolate of its own, outside the engine
 * thread's heap and process.memoryUsage()'s heapTotal): the bench prints them with its memory figures.
 */
export async function gitWorkerHeaps(): Promise<Array<{ usedMb: number; totalMb: number }>> {
  const heaps = await Promise.all((pool ?? []).map((w) => w.heap()));
  return heaps.filter((h) => h !== null);
}

/** `git <subcommand>`, past the `-c key=value` settings and a `-C dir` (the bench's process count names git calls the same way). */
export function subcommandOf(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c' || args[i] === '-C') i++;
    else if (!args[i]!.startsWith('-')) return `git ${args[i]}`;
  }
  return 'git';
}

function worker(): GitWorker | null {
  if (workersUnavailable) return null;
  try {
    pool ??= [];
    pool = pool.filter((w) => !w.dead);
    while (pool.length < GIT_WORKER_POOL_SIZE) pool.push(new GitWorker(() => undefined));
  } catch {
    workersUnavailable = true;
    return null;
  }
  return pool.reduce((a, b) => (b.load < a.load ? b : a));
}

/** Runs `git args` in `cwd` with `env`; rejects only when git could not be started at all. */
export function spawnGit(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string, background = false): Promise<SpawnedGit> {
  const w = worker();
  if (w) return w.run({ id: nextId++, cwd, args: [...args], env, ...(input !== undefined ? { input } : {}), ...(background ? { background } : {}) });
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
