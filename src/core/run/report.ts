/**
 * The run report (SPEC X7), written when a run stops: first-attempt QC pass rate, fix cycles used,
 * merges, tokens and estimated dollars (per agent, module and stage too), and the share of input
 * tokens read from the prompt cache per role, kept in the run directory as report.json and report.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunState, Usage } from '../contracts/schemas';
import { writeFileAtomic } from './runDir';
import { auditFigures, auditReportLines, type AuditFigures } from '../audit/reportFigures';

export interface RunReport {
  runId: string;
  status: RunState['status'];
  reason?: string;
  modules: number;
  qcGraded: number;
  firstAttemptPasses: number;
  /** Share of graded modules whose first QC verdict was PASS; null before any module was graded. */
  firstAttemptPassRate: number | null;
  fixCyclesUsed: number;
  merged: number;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number; calls: number };
  costUsd: number;
  cost: CostBreakdown;
  /** Per role: the share of input tokens (uncached + cache read + cache write) that was read from cache; null before any call. */
  cacheShareByRole: Record<string, number | null>;
  /** The audit fan-out's figures (harden in a build run, or a standalone audit); absent when none ran. */
  audit?: AuditFigures;
  /** Where the run's result landed (Stage 6), or null when it did not ship. */
  shipped: { branch: string; commit: string } | null;
}

export interface CostBreakdown {
  byAgent: Record<string, number>;
  byModule: Record<string, number>;
  byStage: Record<string, number>;
}

/** Share of a usage's input tokens that were read from the prompt cache (null when there were none). */
export function cacheShare(u: Usage): number | null {
  const input = u.input + u.cacheRead + u.cacheWrite;
  return input > 0 ? u.cacheRead / input : null;
}

export function cacheShareByRole(state: RunState): Record<string, number | null> {
  return Object.fromEntries(Object.entries(state.roleUsage ?? {}).map(([role, u]) => [role, cacheShare(u)]));
}

export function costBreakdown(state: RunState): CostBreakdown {
  return {
    byAgent: { ...(state.agentCostUsd ?? {}) },
    byModule: Object.fromEntries(state.modules.map((m) => [m.name, m.costUsd ?? 0])),
    byStage: Object.fromEntries(state.stages.map((st) => [st.id, st.costUsd ?? 0])),
  };
}

export function buildRunReport(state: RunState): RunReport {
  const graded = state.modules.filter((m) => m.firstQcVerdict !== undefined);
  const firstPasses = graded.filter((m) => m.firstQcVerdict === 'PASS').length;
  return {
    runId: state.runId,
    status: state.status,
    reason: state.haltReason,
    modules: state.modules.length,
    qcGraded: graded.length,
    firstAttemptPasses: firstPasses,
    firstAttemptPassRate: graded.length ? firstPasses / graded.length : null,
    fixCyclesUsed: state.modules.reduce((n, m) => n + m.fixCycles, 0),
    merged: state.merges.filter((m) => m.status === 'MERGED').length,
    tokens: { ...state.usage },
    costUsd: state.costUsd,
    cost: costBreakdown(state),
    cacheShareByRole: cacheShareByRole(state),
    audit: auditFigures(state.runDir),
    shipped: state.shipped ? { branch: state.shipped.branch, commit: state.shipped.commit } : null,
  };
}

const pct = (share: number | null) => (share === null ? 'n/a' : `${Math.round(share * 100)}%`);
const usd = (n: number) => `$${n.toFixed(4)}`;

export function writeRunReport(state: RunState): RunReport {
  const r = buildRunReport(state);
  writeFileAtomic(path.join(state.runDir, 'report.json'), JSON.stringify(r, null, 2) + '\n');
  const rate = r.firstAttemptPassRate === null ? 'n/a' : `${Math.round(r.firstAttemptPassRate * 100)}% (${r.firstAttemptPasses}/${r.qcGraded})`;
  const md = [
    `# Run report ${r.runId}`,
    '',
    `Status: ${r.status}${r.reason ? ` — ${r.reason}` : ''}`,
    '',
    '| figure | value |',
    '|---|---|',
    `| modules | ${r.modules} |`,
    `| first-attempt QC pass rate | ${rate} |`,
    `| fix cycles used | ${r.fixCyclesUsed} |`,
    `| modules merged | ${r.merged} |`,
    `| tokens (in / out / cache read / cache write) | ${r.tokens.input} / ${r.tokens.output} / ${r.tokens.cacheRead} / ${r.tokens.cacheWrite} |`,
    `| model calls | ${r.tokens.calls} |`,
    `| estimated cost | $${r.costUsd.toFixed(4)} |`,
    `| shipped | ${r.shipped ? `into ${r.shipped.branch} as ${r.shipped.commit.slice(0, 12)}` : 'no'} |`,
    ...(r.audit ? auditReportLines(r.audit) : []),
    '',
    '## Cache share of input tokens, per role',
    '',
    '| role | read from cache |',
    '|---|---|',
    ...Object.entries(r.cacheShareByRole).map(([role, share]) => `| ${role} | ${pct(share)} |`),
    '',
    '## Estimated cost',
    '',
    '| stage | dollars |',
    '|---|---|',
    ...Object.entries(r.cost.byStage).map(([id, n]) => `| ${id} | ${usd(n)} |`),
    '',
    '| module | dollars |',
    '|---|---|',
    ...Object.entries(r.cost.byModule).map(([id, n]) => `| ${id} | ${usd(n)} |`),
    '',
    '| agent | dollars |',
    '|---|---|',
    ...Object.entries(r.cost.byAgent).map(([id, n]) => `| ${id} | ${usd(n)} |`),
    '',
    // Stage 7 (curate) leaves the memory report beside the run report.
    ...(fs.existsSync(path.join(state.runDir, 'memory-report.md')) ? [fs.readFileSync(path.join(state.runDir, 'memory-report.md'), 'utf8')] : []),
    '<!-- DONE -->',
    '',
  ].join('\n');
  writeFileAtomic(path.join(state.runDir, 'report.md'), md);
  return r;
}
