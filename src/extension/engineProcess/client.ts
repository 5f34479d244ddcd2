/**
 * The extension host's side of the engine process (host.ts): starts a run in a forked Node process
 * and gives back a RunHandle that looks like the in-process engine's. Events arrive as the engine
 * emits them; `state()` is the state as last sent (at once after stage, gate and run events, at most
 * every half second otherwise, and the final state with the result); gates are answered through the
 * same GateHandler the extension always used.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { GateHandler, ResumeRunOptions, RunHandle, RunResult, StartRunOptions } from '../../core/api';
import type { RunState } from '../../core/contracts/schemas';
import { ENGINE_NODE_FLAGS, missingEngineEnv } from '../../core/engineNodeFlags';
import { BufferingEmitter, type PipelineEvent } from '../../core/events';
import { errorFromData, type FromEngine, type ResumeData, type StartData, type ToEngine } from './protocol';

const live = new Set<ChildProcess>();

/** The window is going away: every engine process answers its gate "later", or stops its run where it can be resumed (host.ts). */
/** The engine process ended before the run did (killed, crashed): its message says so and how to go on. */
export class EngineProcessGoneError extends Error {
  override readonly name = 'EngineProcessGoneError';
}

export function disconnectEngines(): void {
  for (const child of live) if (child.connected) child.disconnect();
}

/** dist/engineHost.js, next to the extension's bundle (dist/extension.js); tests name the built one. */
const HOST_SCRIPT = () => path.join(__dirname, 'engineHost.js');

export function startInEngineProcess(mode: 'build' | 'audit', opts: StartRunOptions, hostScript = HOST_SCRIPT()): Promise<RunHandle> {
  return launch({ op: 'start', mode, options: startData(opts) }, opts.gate, hostScript);
}

export function resumeInEngineProcess(opts: ResumeRunOptions, hostScript = HOST_SCRIPT()): Promise<RunHandle> {
  return launch({ op: 'resume', options: resumeData(opts) }, opts.gate, hostScript);
}

/**
 * Only the start's checks (engine.ts: checkStart) in an engine process of their own: resolves when
 * they pass, rejects with the engine's error (a PreflightError keeps its reason and setting). Nothing
 * is created either way.
 */
export function checkInEngineProcess(opts: StartRunOptions, hostScript = HOST_SCRIPT()): Promise<void> {
  const child = forkEngine(hostScript);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      live.delete(child);
      if (error) reject(error);
      else resolve();
    };
    child.on('message', (raw) => {
      const m = raw as FromEngine;
      if (m.kind === 'checked') settle();
      else if (m.kind === 'error') settle(errorFromData(m.error));
    });
    child.on('error', (e) => settle(new Error(`the engine process failed (${e.message}) before its checks ended`)));
    whenGone(child, (how) => settle(new Error(`the engine process ${how} before its checks ended`)));
    child.send({ op: 'check', options: startData(opts) } satisfies ToEngine);
  });
}

function startData(opts: StartRunOptions): StartData {
  const { gate: _gate, offlineModel: _model, clock: _clock, ...data } = opts;
  return data;
}

function resumeData(opts: ResumeRunOptions): ResumeData {
  const { gate: _gate, offlineModel: _model, clock: _clock, ...data } = opts;
  return data;
}

/**
 * An engine process. Not the extension host's inspector flags: its debug port is taken. The
 * engine's own V8 flags (a 16 MB young generation) and environment (at most 2 malloc arenas; why
 * for both in engineNodeFlags.ts). The working
 * directory is the bundle's folder, not the extension host's (wherever VS Code was started, `/` or a
 * home folder): the sandbox runtime scans the engine's working directory for dangerous files
 * (.bashrc, .git/hooks, ...) on every sandbox start, with ripgrep, four levels deep. Those matter
 * only where a shell may write, which is never there; the bundle's folder holds a few files, so the
 * scan costs nothing. The engine itself uses absolute paths only.
 */
function forkEngine(hostScript: string): ChildProcess {
  const child = fork(hostScript, [], {
    cwd: path.dirname(hostScript),
    execArgv: [...ENGINE_NODE_FLAGS],
    env: { ...process.env, ...missingEngineEnv(process.env) },
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  return child;
}

/** Calls `gone` with how the process ended, once it has exited and its channel has closed (its last messages may still be in the channel when it exits). */
function whenGone(child: ChildProcess, gone: (how: string) => void): void {
  let exited: string | undefined;
  let disconnected = false;
  const judge = () => exited !== undefined && disconnected && setImmediate(() => gone(exited!));
  child.on('exit', (code, signal) => {
    exited = `exited (${signal ?? `code ${code}`})`;
    judge();
  });
  child.on('disconnect', () => {
    disconnected = true;
    judge();
  });
}

function launch(first: ToEngine, gate: GateHandler, hostScript: string): Promise<RunHandle> {
  const child = forkEngine(hostScript);
  // Kept until the caller subscribes: the run's first events come in the same burst as `started`.
  const events = new BufferingEmitter<PipelineEvent>();
  const waiting = new Map<number, AbortController>();
  let state: RunState | undefined;
  let handle: RunHandle | undefined;
  let settleDone: { resolve(r: RunResult): void; reject(e: Error): void } | undefined;
  const done = new Promise<RunResult>((resolve, reject) => (settleDone = { resolve, reject }));
  // A run that fails before `started` rejects the start, not `done`: nobody is waiting on it yet.
  done.catch(() => undefined);
  const post = (m: ToEngine) => {
    if (child.connected) child.send(m);
  };

  return new Promise<RunHandle>((resolveStart, rejectStart) => {
    let finished = false;
    const finish = () => {
      finished = true;
      live.delete(child);
      for (const c of waiting.values()) c.abort();
      waiting.clear();
      events.dispose();
    };
    child.on('message', (raw) => {
      const m = raw as FromEngine;
      switch (m.kind) {
        case 'started':
          state = m.state;
          handle = {
            runId: m.runId,
            runDir: m.runDir,
            onEvent: events.event,
            state: () => state!,
            cancel: (reason) => post({ op: 'cancel', reason }),
            done,
          };
          resolveStart(handle);
          return;
        case 'state':
          state = m.state;
          return;
        case 'event':
          events.fire(m.event);
          return;
        case 'gate': {
          const abort = new AbortController();
          waiting.set(m.id, abort);
          void gate(m.request, abort.signal).then((answer) => {
            if (waiting.delete(m.id)) post({ op: 'gate-answer', id: m.id, answer });
          });
          return;
        }
        case 'gate-withdrawn':
          waiting.get(m.id)?.abort();
          waiting.delete(m.id);
          return;
        case 'done':
          state = m.result.state;
          finish();
          settleDone!.resolve(m.result);
          return;
        case 'error': {
          const error = errorFromData(m.error);
          finish();
          if (handle) settleDone!.reject(error);
          else rejectStart(error);
          return;
        }
      }
    });
    const lost = (why: string) => {
      if (finished) return;
      finish();
      const error = new EngineProcessGoneError(`the engine process ${why} before the run ended; resume the run to continue it`);
      if (handle) settleDone!.reject(error);
      else rejectStart(error);
    };
    child.on('error', (e) => lost(`failed (${e.message})`));
    whenGone(child, lost);
    child.send(first);
  });
}
