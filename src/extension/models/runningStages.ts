/**
 * The stages running right now. More than one can: with streaming assembly the build and assembly
 * run at once (assembly merges each module as soon as it passed QC), so "the current stage" would
 * name only whichever started last. The status bar and the progress notification name them all.
 * No vscode here: unit-tested.
 */
import type { RunState } from '../../core/contracts/schemas';
import type { PipelineEvent } from '../../core/events';
import { titleCase } from './format';

export class RunningStages {
  /** In the order they started (the run's stage order when seeded from a state). */
  private ids: string[] = [];

  /** What a state on disk (or the engine's state on attach) says is running. */
  seed(state: Pick<RunState, 'stages'> | undefined): void {
    this.ids = (state?.stages ?? []).filter((s) => s.status === 'running').map((s) => s.id);
  }

  /** Follows an engine event; true when the set changed. */
  apply(e: PipelineEvent): boolean {
    switch (e.type) {
      case 'stage-started':
        if (this.ids.includes(e.stage)) return false;
        this.ids.push(e.stage);
        return true;
      case 'stage-ended': {
        // Done, failed, skipped, waiting at a gate, or back to pending: no longer running.
        const before = this.ids.length;
        this.ids = this.ids.filter((id) => id !== e.stage);
        return this.ids.length !== before;
      }
      case 'run-ended': {
        const had = this.ids.length > 0;
        this.ids = [];
        return had;
      }
      default:
        return false;
    }
  }

  get stages(): readonly string[] {
    return [...this.ids];
  }

  /** "Build + Assemble"; undefined when none runs. */
  get label(): string | undefined {
    return runningLabel(this.ids);
  }
}

export function runningLabel(ids: readonly string[]): string | undefined {
  return ids.length ? ids.map(titleCase).join(' + ') : undefined;
}
