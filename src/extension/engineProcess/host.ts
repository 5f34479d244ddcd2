/**
 * The engine's own process (dist/engineHost.js), forked by the extension host for each run.
 *
 * Why a process of its own (issue #10): the engine spends most of its time starting processes (git,
 * the sandboxed shells, test runs), and Node's `spawn` blocks its thread while the OS copies the
 * parent's memory map: in the extension host, a process of hundreds of megabytes shared with VS Code
 * and every other extension, a CPU profile of a 50-module run showed `spawn` holding the thread 60%
 * of the time, and the tree views waited behind it for tens of seconds. Here it blocks only this
 * small process, and the extension host stays free to answer the window.
 *
 * It loads the engine bundle (dist/engine.js, with the scripted model for the offline demo), runs one
 * start or resume, streams events and state to the extension over IPC, asks it to answer gates,
 * and exits when the run is done. If the extension host goes away, a waiting gate is answered
 * "later"; a running run stops with this process, as it did with the extension host: both resume.
 */
import type { GateAnswer, GateRequest, RunHandle, RunOptionsBase } from '../../core/api';
import type { PipelineEvent } from '../../core/events';
import { errorData, type FromEngine, type ToEngine } from './protocol';

type EngineModule = typeof import('../engineBundle');

/** Events after which the state is sent at once (the views read the run's status and stages from it); others at most this often. */
const STATE_EVERY_MS = 500;
const STATE_NOW = new Set<PipelineEvent['type']>(['run-started', 'run-ended', 'stage-started', 'stage-ended', 'gate-waiting', 'gate-decided']);
/** After the extension host went away at a gate: how long the run gets to write its state before this process exits anyway. */
const ORPHAN_GRACE_MS = 30_000;

let handle: RunHandle | undefined;
let nextGate = 1;
const gates = new Map<number, (answer: GateAnswer) => void>();
let stateTimer: NodeJS.Timeout | undefined;
/** A gate was answered "later": the run is stopping as awaiting approval, which a cancel must not turn into "cancelled". */
let stoppingAtGate = false;

function send(message: FromEngine, then?: () => void): void {
  if (!process.connected) return then?.();
  process.send!(message, undefined, {}, () => then?.());
}

function sendState(): void {
  clearTimeout(stateTimer);
  stateTimer = undefined;
  if (handle) send({ kind: 'state', state: handle.state() });
}

function onEvent(event: PipelineEvent): void {
  if (STATE_NOW.has(event.type)) sendState();
  else stateTimer ??= setTimeout(sendState, STATE_EVERY_MS);
  send({ kind: 'event', event });
}

const gate: RunOptionsBase['gate'] = (request: GateRequest, signal: AbortSignal) =>
  new Promise<GateAnswer>((resolve) => {
    const id = nextGate++;
    const settle = (answer: GateAnswer) => {
      if (!gates.delete(id)) return;
      if (answer.decision === 'later') stoppingAtGate = true;
      signal.removeEventListener('abort', onAbort);
      resolve(answer);
    };
    const onAbort = () => {
      send({ kind: 'gate-withdrawn', id });
      settle({ decision: 'later' });
    };
    gates.set(id, settle);
    signal.addEventListener('abort', onAbort, { once: true });
    if (!process.connected) return settle({ decision: 'later' });
    send({ kind: 'gate', id, request });
  });

async function run(message: Extract<ToEngine, { op: 'start' | 'resume' }>): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const engine = require('./engine.js') as EngineModule;
  const offlineModel = () => engine.startScriptedModel({});
  try {
    if (message.op === 'resume') handle = await engine.resumeRun({ ...message.options, gate, offlineModel });
    else if (message.mode === 'audit') handle = await engine.startAudit({ ...message.options, gate, offlineModel });
    else handle = await engine.startRun({ ...message.options, gate, offlineModel });
  } catch (e) {
    send({ kind: 'error', error: errorData(e) }, () => process.exit(0));
    return;
  }
  handle.onEvent(onEvent);
  send({ kind: 'started', runId: handle.runId, runDir: handle.runDir, state: handle.state() });
  try {
    const result = await handle.done;
    clearTimeout(stateTimer);
    send({ kind: 'done', result }, () => process.exit(0));
  } catch (e) {
    send({ kind: 'error', error: errorData(e) }, () => process.exit(0));
  }
}

async function check(message: Extract<ToEngine, { op: 'check' }>): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const engine = require('./engine.js') as EngineModule;
  try {
    await engine.checkStart({ ...message.options, gate: () => Promise.resolve({ decision: 'later' }), offlineModel: () => engine.startScriptedModel({}) });
  } catch (e) {
    send({ kind: 'error', error: errorData(e) }, () => process.exit(0));
    return;
  }
  send({ kind: 'checked' }, () => process.exit(0));
}

let started = false;
process.on('message', (raw) => {
  const message = raw as ToEngine;
  switch (message.op) {
    case 'check':
      if (started) return;
      started = true;
      void check(message);
      return;
    case 'start':
    case 'resume':
      if (started) return;
      started = true;
      void run(message);
      return;
    case 'cancel':
      handle?.cancel(message.reason);
      return;
    case 'gate-answer':
      gates.get(message.id)?.(message.answer);
      return;
  }
});

// The extension host closed (the window went away, or it crashed): nobody can answer a gate or
// watch the run. At a gate the run stops as awaiting approval (its state is written, then `done`
// ends this process). Otherwise this process ends at once, as the engine did when it lived in the
// extension host: the run stays "running" on disk, and reopening the window offers to resume it
// (a cancelled run is not offered; the user cancels on purpose).
process.on('disconnect', () => {
  for (const settle of [...gates.values()]) settle({ decision: 'later' });
  if (!handle || !stoppingAtGate) process.exit(0);
  setTimeout(() => process.exit(0), ORPHAN_GRACE_MS).unref();
});
