/** Turns engine events into terminal lines: one per stage change, module change, gate and merge. */
import type { PipelineEvent } from '../core/events';
import type { RunSummary } from '../core/api';

export function eventLine(e: PipelineEvent): string | undefined {
  switch (e.type) {
    case 'run-started':
      return `▶ run ${e.runId}${e.offline ? ' — demo (scripted model, offline)' : ''}\n  run directory: ${e.runDir}`;
    case 'stage-started':
      return `● stage ${e.stage} started`;
    case 'stage-ended':
      return `${e.status === 'done' ? '✔' : e.status === 'waiting' ? '⏸' : '✖'} stage ${e.stage} ${e.status}${e.detail ? `: ${e.detail}` : ''}`;
    case 'module-status':
      return `  · ${e.module}: ${e.status}${e.detail ? ` (${e.detail})` : ''}`;
    case 'module-verdict':
      return `  · ${e.module}: QC ${e.verdict.verdict} (attempt ${e.attempt}) → ${e.reportPath}`;
    case 'merge':
      return `  ⇢ merged ${e.module}: ${e.result}, tests ${e.tests}`;
    case 'agent-retry':
      return `  ↻ ${e.agentId}: retry ${e.attempt} in ${e.delayMs} ms (${e.reason})`;
    case 'containment':
      return `  ⚠ ${e.agentId}: ${e.detail}`;
    case 'audit-worker':
      return `  · worker ${e.id}: ${e.status}${e.status === 'done' ? ` (${e.findings} finding${e.findings === 1 ? '' : 's'})` : ''}`;
    case 'audit-synthesis':
      return `  · synthesis ${e.domain}: ${e.status}`;
    case 'gate-waiting':
      return `⏸ gate ${e.gate}: ${e.summary}`;
    case 'gate-decided':
      return `  gate ${e.decision.gate}: ${e.decision.decision} by ${e.decision.by}`;
    case 'log':
      return e.level === 'info' ? undefined : `  ${e.level}: ${e.message}`;
    default:
      return undefined;
  }
}

export function summaryText(s: RunSummary): string {
  const lines = [
    '',
    `Run ${s.runId}: ${s.status}${s.reason ? ` — ${s.reason}` : ''}`,
    'Modules:',
    ...s.modules.map((m) => `  ${m.name.padEnd(24)} ${m.status.padEnd(10)} QC ${m.verdict ?? '-'}${m.fixCycles ? `, ${m.fixCycles} fix cycle(s)` : ''}`),
    `Merges: ${s.merges}   Retries: ${s.retries}   First-attempt QC pass rate: ${s.firstAttemptPassRate === null ? 'n/a' : `${Math.round(s.firstAttemptPassRate * 100)}%`}`,
    `Tokens: ${s.tokens.input} in, ${s.tokens.output} out, ${s.tokens.cacheRead} cache read, ${s.tokens.cacheWrite} cache write (≈ $${s.costUsd.toFixed(2)})`,
    `Wall time: ${(s.wallMs / 1000).toFixed(1)} s`,
  ];
  return lines.join('\n');
}
