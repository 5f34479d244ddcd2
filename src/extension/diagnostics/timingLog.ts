/**
 * The extension host's own timeline, for finding where the time between an engine event and the tree
 * showing it goes (issue #10). Off unless `BP_TIMING_LOG` names a file: then engine events, tree
 * refreshes, the tree items VS Code asks for, workspace-folder updates and the event loop's delay are
 * appended to it as JSON lines (`{"t": <ms since epoch>, "k": <kind>, ...}`), the clock being the same
 * one the journal's `at` and the e2e page use. `BP_CPU_PROFILE` names a file for a CPU profile of the
 * extension host, taken while a run is attached (open it in Chrome DevTools or VS Code).
 * Off, every call is one boolean test: nothing is buffered, no timer runs.
 */
import * as fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const FLUSH_MS = 500;
const LOOP_SAMPLE_MS = 1000;

class TimingLog {
  private lines: string[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private loopTimer: NodeJS.Timeout | undefined;
  private histogram: ReturnType<typeof monitorEventLoopDelay> | undefined;

  constructor(private readonly file: string | undefined) {}

  get enabled(): boolean {
    return this.file !== undefined;
  }

  mark(kind: string, data: Record<string, unknown> = {}): void {
    if (!this.file) return;
    this.lines.push(JSON.stringify({ t: Date.now(), k: kind, ...data }));
    this.startTimers();
  }

  flush(): void {
    if (!this.file || this.lines.length === 0) return;
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    try {
      fs.appendFileSync(this.file, text);
    } catch {
      // Diagnostics must never break the extension.
    }
  }

  /** The event loop's delay over the last second (a busy host answers VS Code's tree requests late). */
  private startTimers(): void {
    if (this.flushTimer) return;
    this.flushTimer = setInterval(() => this.flush(), FLUSH_MS);
    this.flushTimer.unref();
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.loopTimer = setInterval(() => {
      const h = this.histogram!;
      this.lines.push(JSON.stringify({ t: Date.now(), k: 'loop', meanMs: round(h.mean / 1e6), p99Ms: round(h.percentile(99) / 1e6), maxMs: round(h.max / 1e6) }));
      h.reset();
    }, LOOP_SAMPLE_MS);
    this.loopTimer.unref();
  }

  dispose(): void {
    clearInterval(this.flushTimer);
    clearInterval(this.loopTimer);
    this.histogram?.disable();
    this.flushTimer = undefined;
    this.flush();
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export const timing = new TimingLog(process.env.BP_TIMING_LOG || undefined);
