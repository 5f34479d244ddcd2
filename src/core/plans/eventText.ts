/**
 * Plan and team events in words, for the CLI's output and the VS Code log channel alike.
 */
import type { TeamEvent } from './events';

/** One line per event worth a person's attention; tool traffic stays in the journal. */
export function teamEventLine(e: TeamEvent): string | undefined {
  switch (e.type) {
    case 'agent-started':
      return `▶ ${e.agentId} (${e.role})`;
    case 'agent-ended':
      return e.ok ? undefined : `✗ ${e.agentId}: ${e.summary ?? 'failed'}`;
    case 'plan-written':
      return `plan: ${e.phases} phase(s) in ${e.dir}, ${e.problems} problem(s)`;
    case 'audit':
      return `flow audit: ${e.verdict}${e.reasons.length ? `\n  ${e.reasons.join('\n  ')}` : ''}`;
    case 'phase-status':
      return `phase ${e.phase}: ${e.status}${e.detail ? ` — ${e.detail}` : ''}`;
    case 'test-gate':
      return `  tests ${e.when} phase ${e.phase}: ${e.passed ? 'green' : `red (${e.failures} failing)`}`;
    case 'task-status':
      return `  task ${e.phase}/${e.task}: ${e.status}${e.by ? ` (${e.by})` : ''}`;
    case 'teammate-state':
      return `  ${e.name} (${e.role}) ${e.state}${e.task ? ` on ${e.task}` : ''}${e.detail ? ` — ${e.detail}` : ''}`;
    case 'team-message':
      return e.event === 'sent' ? `  ✉ #${e.seq} ${e.from} → ${e.to}: ${e.text.split('\n')[0]!.slice(0, 100)}` : undefined;
    case 'review-item':
      return `  review ${e.phase}: ${e.severity} ${e.file}:${e.line} → ${e.processing}${e.reason ? ` (${e.reason})` : ''}`;
    case 'gate':
      return `⏸ ${e.gate}: ${e.decision}${e.detail ? ` — ${e.detail}` : ''}`;
    case 'log':
      return e.level === 'info' ? e.message : `${e.level}: ${e.message}`;
    default:
      return undefined;
  }
}
