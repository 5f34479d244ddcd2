/**
 * Acceptance of every review item (T3), the one piece of logic both reviews use: the code review of
 * each phase (phase.ts) and the review of the plan itself before implementing it (plans/review.ts).
 * Per round: the reviewer's findings; Critical and High are fixed, always (they block); Medium and Low
 * are judged (by code where it can tell, else by a judge with a fresh bounded context) and fixed
 * unless hallucinated or cosmetic, that judgement and its reason recorded in the review file. The
 * fixes run (teammates for code, the planner for the plan), then the reviewer looks again, up to a
 * bounded number of rounds; Critical/High still reported after the last round fail the review.
 */
import type { Finding, JudgedFinding } from './review';
import type { ReviewItem } from './state';

export interface AcceptanceRounds {
  /** "phase 01" or "the plan": how failures read. */
  label: string;
  reviewFile: string;
  maxRounds: number;
  /** Rounds already done (a resumed review continues after them). */
  roundsDone(): number;
  /**
   * Rounds that ended with Critical/High items unresolved: each halted the run, and each later try
   * gets one more fix round. Counted from the recorded items, so a stop never grants one.
   */
  roundsBlocked(): number;
  /** Records that `round` ran; `blocking` = its Critical/High count, for the first-attempt figure. */
  startRound(round: number, blocking: number): void;
  review(round: number): Promise<Finding[]>;
  judge(finding: Finding, index: number, round: number): Promise<JudgedFinding>;
  /** Fixes the findings and says, per finding, what fixed it (e.g. "fix task R1-2"). */
  fix(findings: Finding[], round: number): Promise<string[]>;
  record(item: ReviewItem): void;
  writeReview(): void;
  /**
   * The findings of round `round` (the last one started) whose fixes were under way when the process
   * stopped, with what fixes them, when the round's fixed items were never recorded. A round counts as
   * done once started, so without this a resumed review went on to the next round and lost them.
   */
  fixesInFlight?(round: number): { finding: Finding; how: string }[];
}

export class ReviewBlocked extends Error {}

export const isBlocking = (f: Pick<Finding, 'severity'>): boolean => f.severity === 'Critical' || f.severity === 'High';

export async function processReviewRounds(a: AcceptanceRounds): Promise<void> {
  const started = a.roundsDone();
  const inFlight = started > 0 ? (a.fixesInFlight?.(started) ?? []) : [];
  for (const { finding, how } of inFlight) a.record({ round: started, ...finding, processing: 'fixed', reason: how, judgedBy: isBlocking(finding) ? 'rule' : 'judge' });
  if (inFlight.length) a.writeReview();
  // A review that used up its rounds blocked the run; running it again is the user's request for
  // another try: one more fix round (a review, the fixes, a review) per block, not a review that can
  // only block again.
  const maxRounds = a.maxRounds + 2 * a.roundsBlocked();
  for (;;) {
    const round = a.roundsDone() + 1;
    const findings = await a.review(round);
    const blocking = findings.filter(isBlocking);
    a.startRound(round, blocking.length);
    const toFix: Finding[] = [...blocking];
    for (const [i, f] of findings.entries()) {
      if (isBlocking(f)) continue;
      const j = await a.judge(f, i, round);
      if (j.judgement.judgement === 'valid') toFix.push(f);
      else a.record({ round, ...f, processing: j.judgement.judgement, reason: j.judgement.reason, judgedBy: j.by });
    }
    a.writeReview();
    if (toFix.length === 0) return;
    if (round >= maxRounds) {
      for (const f of toFix) a.record({ round, ...f, processing: 'unresolved', reason: `still reported after ${round} review rounds`, judgedBy: 'rule' });
      a.writeReview();
      if (toFix.some(isBlocking)) throw new ReviewBlocked(`${a.label}: Critical/High review findings remain after ${round} rounds (see ${a.reviewFile}); running implement again gives it one more fix round`);
      return;
    }
    const how = await a.fix(toFix, round);
    toFix.forEach((f, i) => a.record({ round, ...f, processing: 'fixed', reason: how[i] ?? 'fixed', judgedBy: isBlocking(f) ? 'rule' : 'judge' }));
    a.writeReview();
  }
}

/** For `roundsBlocked`: the rounds among `items` with a Critical or High left unresolved. */
export function blockedRounds(items: readonly Pick<ReviewItem, 'round' | 'severity' | 'processing'>[]): number {
  return new Set(items.filter((i) => i.processing === 'unresolved' && isBlocking(i)).map((i) => i.round)).size;
}

/** Whether round `round`'s fixed or unresolved items are recorded (its fixes are then not in flight). */
export function roundRecorded(items: readonly Pick<ReviewItem, 'round' | 'processing'>[], round: number): boolean {
  return items.some((i) => i.round === round && (i.processing === 'fixed' || i.processing === 'unresolved'));
}
