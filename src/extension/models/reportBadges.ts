/**
 * The at-a-glance badges above a rendered QC report or ADR: the verdict and the count of findings per
 * severity for a report; status and lock level for an ADR.
 */
import type { LockLevel, Verdict } from '../../core/contracts/schemas';
import { escapeHtml } from './sanitize';

export type BadgeTone = 'pass' | 'major' | 'critical' | 'minor' | 'info' | 'locked';

export interface Badge {
  label: string;
  tone: BadgeTone;
}

const VERDICT_TONE: Record<Verdict, BadgeTone> = { PASS: 'pass', 'FAIL-MAJOR': 'major', 'FAIL-CRITICAL': 'critical' };

export function qcBadges(markdown: string, verdict?: Verdict): Badge[] {
  const found = verdict ?? (/\b(FAIL-CRITICAL|FAIL-MAJOR|PASS)\b/.exec(markdown)?.[1] as Verdict | undefined);
  const badges: Badge[] = found ? [{ label: found, tone: VERDICT_TONE[found] }] : [{ label: 'no verdict', tone: 'info' }];
  const counts = { CRITICAL: 0, MAJOR: 0, MINOR: 0 };
  for (const line of markdown.split('\n')) {
    if (!/^\s*([-*+]|\d+[.)]|\|)\s/.test(line)) continue; // findings are list items or table rows
    const m = /(?<!FAIL-)\b(CRITICAL|MAJOR|MINOR)\b/.exec(line);
    if (m?.[1]) counts[m[1] as keyof typeof counts] += 1;
  }
  if (counts.CRITICAL) badges.push({ label: `${counts.CRITICAL} critical`, tone: 'critical' });
  if (counts.MAJOR) badges.push({ label: `${counts.MAJOR} major`, tone: 'major' });
  if (counts.MINOR) badges.push({ label: `${counts.MINOR} minor`, tone: 'minor' });
  return badges;
}

/** Counts of an audit report's findings by severity (the `#### SEVERITY` groups' list items). */
export function auditBadges(markdown: string): Badge[] {
  const counts = { CRITICAL: 0, MAJOR: 0, MINOR: 0 };
  let current: keyof typeof counts | undefined;
  for (const line of markdown.split('\n')) {
    const heading = /^#{1,6}\s+(CRITICAL|MAJOR|MINOR)\s*$/.exec(line);
    if (heading) current = heading[1] as keyof typeof counts;
    else if (/^#/.test(line)) current = undefined;
    else if (current && /^- /.test(line)) counts[current]++;
  }
  const badges: Badge[] = [];
  if (counts.CRITICAL) badges.push({ label: `${counts.CRITICAL} critical`, tone: 'critical' });
  if (counts.MAJOR) badges.push({ label: `${counts.MAJOR} major`, tone: 'major' });
  if (counts.MINOR) badges.push({ label: `${counts.MINOR} minor`, tone: 'minor' });
  if (!badges.length) badges.push({ label: 'no findings', tone: 'pass' });
  return badges;
}

export function adrBadges(markdown: string, level?: LockLevel): Badge[] {
  const badges: Badge[] = [];
  const status = /\bstatus\b\W{0,6}\s*(accepted|proposed|superseded|deprecated|rejected)/i.exec(markdown)?.[1];
  if (status) badges.push({ label: status.toLowerCase(), tone: status.toLowerCase() === 'accepted' ? 'pass' : 'info' });
  if (level) badges.push({ label: level, tone: level === 'critical' ? 'critical' : level === 'locked' ? 'locked' : 'info' });
  return badges;
}

export function renderBadges(badges: readonly Badge[]): string {
  return badges.map((b) => `<span class="badge tone-${b.tone}">${escapeHtml(b.label)}</span>`).join(' ');
}
