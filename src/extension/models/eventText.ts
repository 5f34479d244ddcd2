/**
 * The engine's events in human words, for the output channel. Tool calls go to the trace level
 * (visible when the user raises the channel's log level), everything else to info/warn/error.
 */
import type { PipelineEvent } from '../../core/events';
import { formatDuration, formatTokens, titleCase } from './format';
import { totalTokens } from '../../core/usage';

export type LogLevel = 'trace' | 'info' | 'warn' | 'error';

export interface LogLine {
  level: LogLevel;
  text: string;
}

function who(role: string, module?: string): string {
  return module ? `${role} (${module})` : role;
}

function clip(s: string, max = 200): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

export function describeEvent(e: PipelineEvent): LogLine {
  switch (e.type) {
    case 'run-started':
      if (e.shellsSandboxed === false) {
        return { level: 'warn', text: `Run ${e.runId} started${e.offline ? ' (offline demo, scripted model)' : ''} with shells NOT sandboxed (sandbox.enabled is false): "${clip(e.description, 120)}"` };
      }
      return { level: 'info', text: `Run ${e.runId} started${e.offline ? ' (offline demo, scripted model)' : ''}: "${clip(e.description, 120)}"` };
    case 'run-ended':
      return {
        level: e.status === 'succeeded' || e.status === 'awaiting-approval' ? 'info' : 'warn',
        text: `Run ${e.runId} ended: ${e.status}${e.reason ? ` (${e.reason})` : ''}`,
      };
    case 'stage-started':
      return { level: 'info', text: `${titleCase(e.stage)} stage started` };
    case 'stage-ended':
      return {
        level: e.status === 'failed' ? 'error' : 'info',
        text: `${titleCase(e.stage)} stage ${e.status}${e.detail ? `: ${clip(e.detail)}` : ''}`,
      };
    case 'gate-waiting':
      return { level: 'info', text: `Waiting for your decision at the ${e.gate} gate: ${clip(e.summary)}` };
    case 'gate-decided': {
      const d = e.decision;
      return { level: 'info', text: `Gate ${d.gate}: ${d.decision} by ${d.by}${d.feedback ? ` — "${clip(d.feedback)}"` : ''}` };
    }
    case 'module-status':
      return { level: e.status === 'failed' || e.status === 'blocked' ? 'warn' : 'info', text: `Module ${e.module}: ${e.status}${e.detail ? ` (${clip(e.detail)})` : ''}` };
    case 'module-verdict': {
      const v = e.verdict;
      return {
        level: v.verdict === 'PASS' ? 'info' : v.verdict === 'FAIL-CRITICAL' ? 'error' : 'warn',
        text: `QC of ${e.module} (attempt ${e.attempt}): ${v.verdict}, ${v.findings.length} finding(s) — ${clip(v.summary)}`,
      };
    }
    case 'worktree-added':
      return { level: 'info', text: `Worktree for ${e.module} on ${e.branch} at ${e.path}` };
    case 'worktree-removed':
      return { level: 'info', text: `Worktree for ${e.module} removed` };
    case 'merge':
      return {
        level: e.result === 'conflict' || e.tests === 'fail' ? 'warn' : 'info',
        text: `Merged ${e.module}: ${e.result}, integration tests ${e.tests}`,
      };
    case 'contracts-changed':
      return { level: 'info', text: `Contracts changed: ${clip(e.reason)}` };
    case 'agent-started':
      return { level: 'info', text: `${who(e.role, e.module)} started on ${e.model}` };
    case 'agent-ended':
      return { level: e.ok ? 'info' : 'warn', text: `${who(e.role, e.module)} ${e.ok ? 'finished' : 'stopped'}${e.summary ? `: ${clip(e.summary)}` : ''}` };
    case 'agent-usage':
      return { level: 'trace', text: `${who(e.role, e.module)} used ${formatTokens(totalTokens(e.usage))} tokens in ${e.stage}` };
    case 'agent-retry':
      return { level: 'warn', text: `Agent ${e.agentId} retry ${e.attempt} in ${formatDuration(e.delayMs)}: ${clip(e.reason)}` };
    case 'tool-call':
      return { level: 'trace', text: `${e.agentId} → ${e.tool} ${clip(e.input, 160)}` };
    case 'tool-result':
      return { level: e.isError ? 'warn' : 'trace', text: `${e.agentId} ← ${e.tool}${e.isError ? ' (error)' : ''} ${clip(e.output, 160)}` };
    case 'containment':
      return { level: 'warn', text: `Blocked for ${e.module ?? e.agentId}: ${clip(e.detail)}` };
    case 'audit-worker':
      return { level: e.status === 'done' || e.status === 'pending' ? 'info' : 'warn', text: `Audit worker ${e.id}: ${e.status}${e.status === 'done' ? `, ${e.findings} finding(s)` : ''}` };
    case 'audit-synthesis':
      return { level: e.status === 'failed' ? 'warn' : 'info', text: `Audit synthesis ${e.domain}: ${e.status}${e.summary ? ` — ${clip(e.summary)}` : ''}` };
    case 'log':
      return { level: e.level, text: e.message };
  }
}
