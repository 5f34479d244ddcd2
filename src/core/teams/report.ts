/**
 * The report of an implement run (report.json and report.md in the run directory): per phase the
 * first-attempt code-review result, review items by severity and how each was processed, test
 * failures carried across phases, the orchestrator's model context (largest and total bytes),
 * mailbox traffic and the teammates spawned, idle and dead (the ship team's included).
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../run/runDir';
import { Mailbox } from './mailbox';
import { Roster } from './roster';
import { PROCESSING, REVIEW_SEVERITIES, nn, type ImplementState } from './state';
import { teamDirsOf } from './teamFiles';

export interface ImplementReport {
  runId: string;
  status: ImplementState['status'];
  reason?: string;
  plan: string;
  audit?: ImplementState['audit'];
  integrationBranch: string;
  /** The ship gate's decision and, once merged, where the work went (the base branch and the merge commit). */
  ship?: ImplementState['ship'];
  /** The review of the plan before implementing: rounds, whether the first passed, items by processing. */
  planReview?: { rounds: number; firstPassed: boolean | null; items: Record<string, number>; skipped?: true };
  phases: {
    phase: string;
    title: string;
    status: string;
    team: boolean;
    firstAttemptReviewPass: boolean | null;
    reviewRounds: number;
    preflight?: { passed: boolean; failures: number };
    postTests?: { passed: boolean; failures: number };
  }[];
  /** Share of reviewed phases whose first code review had no Critical or High finding (seed target: 0.9). */
  firstAttemptReviewPassRate: number | null;
  reviewItems: Record<string, Record<string, number>>;
  /** Test failures found at the start of a phase after the first: carried in from the phase before (target 0). */
  carriedTestFailures: number;
  orchestratorContext: { calls: number; maxBytes: number; totalBytes: number; largest?: string; goalBytesPerCall: number };
  messages: { sent: number; delivered: number };
  teammates: { spawned: number; idle: number; working: number; dead: number; byName: { phase: string; name: string; role: string; state: string; wakes: number; tokens: number; diedReason?: string }[] };
  tokens: ImplementState['usage'];
}

export function buildImplementReport(state: ImplementState): ImplementReport {
  const reviewed = state.phases.filter((p) => p.firstReviewPassed !== undefined);
  const items: Record<string, Record<string, number>> = {};
  for (const sev of REVIEW_SEVERITIES) items[sev] = Object.fromEntries(PROCESSING.map((p) => [p, 0]));
  for (const p of state.phases) for (const i of p.reviewItems) items[i.severity]![i.processing]!++;
  let sent = 0;
  let delivered = 0;
  const mates: ImplementReport['teammates']['byName'] = [];
  // Every team of the run: the phases' and the ship team that made the changes asked at the ship gate.
  for (const { phase, dir } of teamDirsOf(state.runDir)) {
    const mailbox = new Mailbox(path.join(dir, 'mailbox.jsonl'));
    sent += mailbox.all().length;
    delivered += mailbox.delivered.size;
    for (const t of Roster.open(path.join(dir, 'roster.json')).teammates) {
      mates.push({ phase, name: t.name, role: t.role, state: t.state, wakes: t.wakes, tokens: t.usage.input + t.usage.output + t.usage.cacheRead + t.usage.cacheWrite, diedReason: t.diedReason });
    }
  }
  return {
    runId: state.runId,
    status: state.status,
    reason: state.haltReason,
    plan: state.planDir,
    audit: state.audit,
    integrationBranch: state.integrationBranch,
    ship: state.ship,
    planReview: state.planReview && {
      rounds: state.planReview.rounds,
      firstPassed: state.planReview.firstPassed ?? null,
      items: Object.fromEntries(PROCESSING.map((p) => [p, state.planReview!.items.filter((i) => i.processing === p).length])),
      ...(state.planReview.skipped ? { skipped: true as const } : {}),
    },
    phases: state.phases.map((p) => ({
      phase: nn(p.number),
      title: p.title,
      status: p.status,
      team: p.team,
      firstAttemptReviewPass: p.firstReviewPassed ?? null,
      reviewRounds: p.reviewRounds,
      preflight: p.preflight,
      postTests: p.postTests,
    })),
    firstAttemptReviewPassRate: reviewed.length ? reviewed.filter((p) => p.firstReviewPassed).length / reviewed.length : null,
    reviewItems: items,
    carriedTestFailures: state.carriedFailures,
    orchestratorContext: { ...state.orchestrator, goalBytesPerCall: 8 * 1024 },
    messages: { sent, delivered },
    teammates: {
      spawned: mates.length,
      idle: mates.filter((m) => m.state === 'idle').length,
      working: mates.filter((m) => m.state === 'working').length,
      dead: mates.filter((m) => m.state === 'dead').length,
      byName: mates,
    },
    tokens: state.usage,
  };
}

export function writeImplementReport(state: ImplementState): ImplementReport {
  const r = buildImplementReport(state);
  writeFileAtomic(path.join(state.runDir, 'report.json'), JSON.stringify(r, null, 2) + '\n');
  const rate = r.firstAttemptReviewPassRate === null ? 'n/a' : `${Math.round(r.firstAttemptReviewPassRate * 100)}%`;
  const md = [
    `# Implement report ${r.runId}`,
    '',
    `Status: ${r.status}${r.reason ? ` — ${r.reason}` : ''}`,
    `Plan: ${r.plan}; flow audit: ${r.audit?.skipped ? 'skipped (fewer than 3 phases)' : (r.audit?.verdict ?? 'n/a')}`,
    `Plan review: ${r.planReview?.skipped ? 'skipped (planReview is off)' : r.planReview ? `${r.planReview.rounds} round(s), first passed ${r.planReview.firstPassed ?? 'n/a'}, items ${PROCESSING.map((p) => `${r.planReview!.items[p]} ${p}`).join(', ')}` : 'not reached'}`,
    `Ship: ${r.ship?.shipped ? `merged into ${r.ship.shipped.branch} as ${r.ship.shipped.commit.slice(0, 12)} (previous head ${r.ship.shipped.previousHead.slice(0, 12)})` : r.ship ? `${r.ship.decision}${r.ship.reason ? ` — ${r.ship.reason}` : ''}` : 'not reached'}`,
    '',
    '| phase | status | team | first review passed | review rounds | tests before | tests after |',
    '|---|---|---|---|---|---|---|',
    ...r.phases.map((p) => `| ${p.phase} ${p.title} | ${p.status} | ${p.team ? 'yes' : 'one builder'} | ${p.firstAttemptReviewPass ?? 'n/a'} | ${p.reviewRounds} | ${gate(p.preflight)} | ${gate(p.postTests)} |`),
    '',
    '| figure | value |',
    '|---|---|',
    `| first-attempt review pass rate | ${rate} |`,
    `| review items (fixed / hallucinated / cosmetic / unresolved) | ${REVIEW_SEVERITIES.map((s) => `${s} ${PROCESSING.map((p) => r.reviewItems[s]![p]).join('/')}`).join(', ')} |`,
    `| test failures carried across phases | ${r.carriedTestFailures} |`,
    `| orchestrator context: largest / total / calls | ${r.orchestratorContext.maxBytes} B / ${r.orchestratorContext.totalBytes} B / ${r.orchestratorContext.calls} |`,
    `| messages sent / delivered | ${r.messages.sent} / ${r.messages.delivered} |`,
    `| teammates spawned / idle / dead | ${r.teammates.spawned} / ${r.teammates.idle} / ${r.teammates.dead} |`,
    `| tokens in / out / cache read / cache write | ${r.tokens.input} / ${r.tokens.output} / ${r.tokens.cacheRead} / ${r.tokens.cacheWrite} |`,
    '<!-- DONE -->',
    '',
  ].join('\n');
  writeFileAtomic(path.join(state.runDir, 'report.md'), md);
  return r;
}

function gate(t?: { passed: boolean; failures: number }): string {
  return t ? (t.passed ? 'green' : `red (${t.failures})`) : '-';
}
