/**
 * The persisted run: state.json plus the lines of changes after it (stateLog.ts), and the journal.
 * The orchestrator mutates `state` through `update()`, which stamps and saves it, so every step that
 * matters is on disk before the next starts; a save writes only what changed.
 */
import { RunStateSchema, type ModuleState, type RunState, type StageState } from '../contracts/schemas';
import { Emitter, type PipelineEvent } from '../events';
import { Journal } from './journal';
import { makeScrubber, type Scrub } from './scrub';
import type { RunPaths } from './runDir';
import { readStateWithChanges, StateLog, type StateWriteCounters } from './stateLog';

export class RunStore {
  private readonly emitter = new Emitter<PipelineEvent>();
  readonly onEvent = this.emitter.event;
  private readonly journal: Journal;
  private readonly stateLog: StateLog;

  /** For text from agents the engine commits into the repository (memory, brain files, training pairs). */
  readonly scrub: Scrub;

  constructor(
    readonly paths: RunPaths,
    public state: RunState,
    secrets: readonly string[] = [],
  ) {
    this.journal = new Journal(paths.journal, secrets);
    this.stateLog = new StateLog(paths.state);
    this.scrub = makeScrubber(secrets, { runDir: paths.runDir, repoRoot: state.repoRoot });
  }

  /** Bytes written to the state files and the journal by this process (for the bench). */
  bytesWritten(): StateWriteCounters & { journalBytes: number } {
    return { ...this.stateLog.written, journalBytes: this.journal.bytesWritten };
  }

  static load(paths: RunPaths, secrets: readonly string[] = []): RunStore {
    return new RunStore(paths, readState(paths.state), secrets);
  }

  emit(event: PipelineEvent): void {
    this.journal.append(event);
    this.emitter.fire(event);
  }

  update(mutate: (s: RunState) => void): void {
    mutate(this.state);
    this.save();
  }

  save(): void {
    this.state.updatedAt = new Date().toISOString();
    this.stateLog.write(this.state);
  }

  /** A full state.json now (the run closes, or a reader outside this process must see it whole). */
  snapshot(): void {
    this.state.updatedAt = new Date().toISOString();
    this.stateLog.snapshot(this.state);
  }

  stage(id: string): StageState {
    const s = this.state.stages.find((x) => x.id === id);
    if (!s) throw new Error(`unknown stage ${id}`);
    return s;
  }

  module(name: string): ModuleState {
    const m = this.state.modules.find((x) => x.name === name);
    if (!m) throw new Error(`unknown module ${name}`);
    return m;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

export function readState(file: string): RunState {
  let raw: unknown;
  try {
    raw = readStateWithChanges(file);
  } catch (e) {
    throw new Error(`cannot read run state ${file}: ${(e as Error).message}`);
  }
  const parsed = RunStateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`run state ${file} is invalid: ${parsed.error.issues.map((i) => i.path.join('.') + ' ' + i.message).join('; ')}`);
  }
  return parsed.data;
}
