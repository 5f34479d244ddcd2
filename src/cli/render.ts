/** Turns engine events into terminal lines: one per stage change, module change, gate and merge. */
import type { PipelineEvent } from '../core/events';
import type { RunSummary } from '../core/api';
import type { GateDecision } from '../core/contracts/schemas';

/**
 * The renderer of one run: like `eventLine`, but a gate takes one line, written when it is decided
 * (or when the run stops to wait for it), so it remembers what each waiting gate is about.
 */
export function eventRenderer(): (e: PipelineEvent) => string | undefined {
  const waiting = new Map<string, string>();
  return (e) => {
    switch (e.type) {
      case 'gate-waiting':
        waiting.set(e.gate, e.summary);
        return undefined;
      case 'gate-decided': {
        const about = waiting.get(e.decision.gate);
        waiting.delete(e.decision.gate);
        return `⏸ gate ${e.decision.gate}: ${about ? `${about} — ` : ''}${decisionText(e.decision)}`;
      }
      case 'run-ended':
        if (e.status !== 'awaiting-approval' || waiting.size === 0) return eventLine(e);
        return [...waiting].map(([gate, about]) => `⏸ gate ${gate}: ${about} — waiting for approval`).join('\n');
      default:
        return eventLine(e);
    }
  };
}

function decisionText(d: GateDecision): string {
  const why = d.feedback ? `: ${d.feedback.split('\n')[0]}` : '';
  if (d.decision === 'approve') return `approved by ${d.by}`;
  if (d.decision === 'changes') return `changes requested by ${d.by}${why}`;
  return `rejected by ${d.by}${why}`;
}

export function eventLine(e: PipelineEvent): string | undefined {
  switch (e.type) {
    case 'run-started':
      return `▶ run ${e.runId}${e.offline ? ' — demo (scripted model, offline)' : ''}\n  run directory: ${e.runDir}${e.shellsSandboxed === false ? `\n  ${UNSANDBOXED_LINE}` : ''}`;
    case 'stage-started':
      return `● stage ${e.stage} started`;
    case 'stage-ended':
      // A stage waiting at its gate is told by the gate's own line.
      if (e.status === 'waiting') return undefined;
      // 'pending': a stage that ran alongside another (assembly with the build) stopped with it, to resume with it.
      return `${e.status === 'done' ? '✔' : e.status === 'pending' ? '‖' : '✖'} stage ${e.stage} ${e.status}${e.detail ? `: ${e.detail}` : ''}`;
    case 'module-status':
      return `  · ${e.module}: ${e.status}${e.detail ? ` (${e.detail})` : ''}`;
    case 'module-verdict':
      return `  · ${e.module}: QC ${e.verdict.verdict} (attempt ${e.attempt}) → ${e.reportPath}`;
    case 'merge':
      return `  ⇢ merged ${e.module}: ${e.result}, tests ${e.tests}`;
    case 'contracts-changed':
      return `  ✎ contracts changed: ${e.reason}`;
    case 'agent-retry':
      return `  ↻ ${e.agentId}: retry ${e.attempt} in ${e.delayMs} ms (${e.reason})`;
    case 'containment':
      return `  ⚠ ${e.agentId}: ${e.detail}`;
    case 'audit-worker':
      return `  · worker ${e.id}: ${e.status}${e.status === 'done' ? ` (${e.findings} finding${e.findings === 1 ? '' : 's'})` : ''}`;
    case 'audit-synthesis':
      return `  · synthesis ${e.domain}: ${e.status}`;
    case 'gate-waiting':
      return `⏸ gate ${e.gate}: ${e.summary} — waiting`;
    case 'gate-decided':
      return `⏸ gate ${e.decision.gate}: ${decisionText(e.decision)}`;
    case 'log':
      return e.level === 'info' ? undefined : `  ${e.level}: ${e.message}`;
    default:
      return undefined;
  }
}

/** Said wherever a run is shown when the user turned the shell sandbox off. */
export const UNSANDBOXED_LINE = '⚠ shells are NOT sandboxed (sandbox.enabled is false): agents\' commands ran with your user\'s full access';

export function summaryText(s: RunSummary): string {
  const lines = [
    '',
    `Run ${s.runId}: ${s.status}${s.reason ? ` — ${s.reason}` : ''}`,
    'Modules:',
    ...s.modules.map((m) => `  ${m.name.padEnd(24)} ${m.status.padEnd(10)} QC ${m.verdict ?? '-'}${m.fixCycles ? `, ${m.fixCycles} fix cycle(s)` : ''}`),
    `Merges: ${s.merges}   Retries: ${s.retries}   First-attempt QC pass rate: ${s.firstAttemptPassRate === null ? 'n/a' : `${Math.round(s.firstAttemptPassRate * 100)}%`}`,
    `Tokens: ${s.tokens.input} in, ${s.tokens.output} out, ${s.tokens.cacheRead} cache read, ${s.tokens.cacheWrite} cache write`,
    costLine(s),
    `Wall time: ${(s.wallMs / 1000).toFixed(1)} s`,
    ...(s.shellsSandboxed ? [] : [UNSANDBOXED_LINE]),
  ];
  return lines.join('\n');
}

/** Offline nothing is charged: the figure is what the same tokens would cost on the real API. */
export function costLine(s: Pick<RunSummary, 'costUsd' | 'offline'>): string {
  const usd = `$${s.costUsd.toFixed(2)}`;
  return s.offline
    ? `Estimated cost at API prices: ${usd} (the scripted model charged nothing)`
    : `Estimated cost: ${usd} (from the tokens at API prices)`;
}
