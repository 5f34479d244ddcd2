/**
 * How the run state reaches the disk in O(size of the change) bytes: `state.json` is a snapshot
 * (written atomically, with fsync), and every update after it appends one line of operations
 * (stateDelta.ts) to `state.changes.jsonl`. A new snapshot is taken when the lines since the last
 * one outweigh it (so snapshots cost at most as many bytes as the lines, and the total stays linear
 * in the number of updates), and whenever the run's status, stages or gates change, so `state.json`
 * alone is current at every gate and at the end of a run.
 *
 * Crash safety: an update is appended before `update()` returns, so a process killed afterwards
 * loses nothing. A line cut short by a crash is ignored (the update it was writing is lost as a
 * whole, never half-applied). A crash between a snapshot and the truncation of the line file
 * leaves lines that replay over the newer snapshot to that same snapshot (see stateDelta.ts).
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { applyDelta, StateDiffer, type DeltaOp } from './stateDelta';
import { writeFileAtomic } from './runDir';

/** Snapshots are also taken at least this rarely in bytes of lines, so tiny states do not snapshot every update. */
const MIN_LINES_BEFORE_SNAPSHOT = 64 * 1024;
/** The disk can be damaged or edited: a line is applied only if it has the shape the writer gives it. */
const DeltaLineSchema = z.array(
  z.union([
    z.tuple([z.literal('set'), z.string(), z.unknown()]),
    z.tuple([z.literal('del'), z.string()]),
    z.tuple([z.literal('item'), z.string(), z.string(), z.unknown()]),
    z.tuple([z.literal('drop'), z.string(), z.string()]),
    z.tuple([z.literal('order'), z.string(), z.array(z.string())]),
    z.tuple([z.literal('push'), z.string(), z.number().int().nonnegative(), z.array(z.unknown())]),
  ]),
);

/**
 * What makes `state.json` itself current right away: the run's status, a stage's status, a gate.
 * Few per run (not per module), so these snapshots keep the total linear; a stage's usage counters
 * change with every agent call and are not part of it.
 */
function statusSignature(state: object): string {
  const s = state as { status?: unknown; waitingGate?: unknown; haltReason?: unknown; gates?: unknown[]; shipped?: { commit?: unknown }; stages?: Array<{ id?: unknown; status?: unknown }> };
  const stages = (s.stages ?? []).map((st) => `${String(st.id)}:${String(st.status)}`).join(',');
  return JSON.stringify([s.status, s.waitingGate, s.haltReason, s.gates?.length ?? 0, s.shipped?.commit, stages]);
}

export function changesFileOf(stateFile: string): string {
  return stateFile.replace(/\.json$/, '') + '.changes.jsonl';
}

/** Bytes this process wrote for the run state, by file: the bench reports them per module. */
export interface StateWriteCounters {
  snapshotBytes: number;
  snapshots: number;
  changeBytes: number;
  changeLines: number;
}

export class StateLog {
  private readonly differ = new StateDiffer();
  private readonly changesFile: string;
  private linesSinceSnapshot = 0;
  private lastSnapshotBytes = 0;
  private snapshotted = false;
  private signature = '';
  readonly written: StateWriteCounters = { snapshotBytes: 0, snapshots: 0, changeBytes: 0, changeLines: 0 };

  constructor(private readonly stateFile: string) {
    this.changesFile = changesFileOf(stateFile);
  }

  /** Writes what changed since the last call (the first call writes a full snapshot). */
  write(state: object): void {
    if (!this.snapshotted) return this.snapshot(state);
    const ops = this.differ.diff(state);
    if (ops.length === 0) return;
    const line = JSON.stringify(ops) + '\n';
    fs.appendFileSync(this.changesFile, line);
    this.written.changeBytes += Buffer.byteLength(line);
    this.written.changeLines++;
    this.linesSinceSnapshot += Buffer.byteLength(line);
    if (statusSignature(state) !== this.signature || this.linesSinceSnapshot > Math.max(MIN_LINES_BEFORE_SNAPSHOT, this.lastSnapshotBytes)) this.snapshot(state);
  }

  /** Full `state.json` (atomic), then the lines it contains are dropped. */
  snapshot(state: object): void {
    const text = JSON.stringify(state, null, 2) + '\n';
    writeFileAtomic(this.stateFile, text);
    fs.rmSync(this.changesFile, { force: true });
    this.differ.reset(state);
    this.signature = statusSignature(state);
    this.snapshotted = true;
    this.linesSinceSnapshot = 0;
    this.lastSnapshotBytes = Buffer.byteLength(text);
    this.written.snapshotBytes += this.lastSnapshotBytes;
    this.written.snapshots++;
  }
}

/**
 * `state.json` with the lines written after it applied: the state as the last `update()` left it.
 * Returns the raw object (the caller validates it). A line that does not parse ends the replay:
 * only the last line can be cut short by a crash.
 */
export function readStateWithChanges(stateFile: string): unknown {
  const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as Record<string, unknown>;
  let text: string;
  try {
    text = fs.readFileSync(changesFileOf(stateFile), 'utf8');
  } catch {
    return state;
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      break;
    }
    const ops = DeltaLineSchema.safeParse(raw);
    if (!ops.success) throw new Error(`${changesFileOf(stateFile)} has a line that is not a state change: ${ops.error.issues[0]?.message ?? 'invalid'}`);
    applyDelta(state, ops.data as DeltaOp[]);
  }
  return state;
}
