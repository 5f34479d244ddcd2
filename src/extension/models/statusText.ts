/**
 * What the status bar item says (SPEC U7): the running stages (all of them: build and assembly run
 * at once when assembly streams), the live cost, or the waiting gate. No vscode here: unit-tested;
 * statusBar.ts puts it on the item.
 */
import { costLabel, formatUsd, titleCase } from './format';
import { runningLabel } from './runningStages';

export interface StatusSnapshot {
  active: boolean;
  offline: boolean;
  /** Every stage running now, in the order they started. */
  stages: readonly string[];
  costUsd: number;
  gate?: string;
}

export interface StatusText {
  text: string;
  tooltip: string;
  command: 'buildPipeline.approveGate' | 'buildPipeline.showLog';
  /** Shown with the warning background (a gate waits for the human). */
  warning: boolean;
}

/** undefined: the item is hidden (no run active and no gate waiting). */
export function statusText(s: StatusSnapshot): StatusText | undefined {
  if (!s.active && !s.gate) return undefined;
  const demo = s.offline ? ' (demo)' : '';
  const cost = costLabel(s.costUsd, s.offline);
  const costNote = s.offline
    ? ` Offline demo: the scripted model charges nothing; ${formatUsd(s.costUsd)} is what the same tokens would cost on the API.`
    : ' Cost is an estimate from token usage.';
  if (s.gate) {
    return {
      text: `$(bell-dot) Build Pipeline${demo}: ${titleCase(s.gate)} gate · ${cost}`,
      tooltip: `A gate is waiting for your decision. Click to decide.${costNote}`,
      command: 'buildPipeline.approveGate',
      warning: true,
    };
  }
  const which = s.stages.length > 1 ? ` Running at once: ${s.stages.map(titleCase).join(', ')}.` : '';
  return {
    text: `$(sync~spin) Build Pipeline${demo}: ${runningLabel(s.stages) ?? 'starting'} · ${cost}`,
    tooltip: `Build Pipeline is running.${which} Click to show the log.${costNote}`,
    command: 'buildPipeline.showLog',
    warning: false,
  };
}
