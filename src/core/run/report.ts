/**
 * The run report (SPEC X7), written when a run stops: first-attempt QC pass rate, fix cycles used,
 * merges, tokens and estimated dollars, kept in the run directory as report.json and report.md.
 */
import * as path from 'node:path';
import type { RunState } from '../contracts/schemas';
import { writeFileAtomic } from './runDir';

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
  };
}

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
    '<!-- DONE -->',
    '',
  ].join('\n');
  writeFileAtomic(path.join(state.runDir, 'report.md'), md);
  return r;
}
