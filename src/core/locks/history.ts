/** A lock's history as plain markdown text, for the Locks tree's "Open Lock History" (and anyone reading the trail). */
import type { AuditEntry } from './audit';

function show(v: unknown): string {
  if (v === undefined) return '(none)';
  const text = typeof v === 'string' ? v : JSON.stringify(v, null, 2);
  // Fenced with four backticks so model-written text cannot close the fence early with three.
  return '````\n' + text.replace(/````/g, '` ` ` `').slice(0, 4000) + '\n````';
}

export function lockHistoryMarkdown(kind: string, key: string, entries: readonly AuditEntry[]): string {
  const lines = [`# History of ${kind} ${key}`, ''];
  if (entries.length === 0) lines.push('No change has been attempted since the architect wrote it.');
  for (const e of [...entries].reverse()) {
    const who = `${e.who.name} (${e.who.role}${e.who.approvedBy ? `, approved by ${e.who.approvedBy}` : ''})`;
    lines.push(`## ${e.at} · ${e.outcome} · ${who}`, '', `Level at the time: ${e.level}. Reason: ${e.reason}`, '');
    if (e.refusal) lines.push(`Refused: ${e.refusal}`, '');
    lines.push('Old value:', show(e.old), '', 'New value:', show(e.new), '');
  }
  return lines.join('\n');
}

/** The latest applied change of each item, keyed `kind:key`: what the Locks tree shows as "last change". */
export function lastChanges(entries: readonly AuditEntry[]): Map<string, AuditEntry> {
  const out = new Map<string, AuditEntry>();
  for (const e of entries) if (e.outcome === 'applied') out.set(`${e.kind}:${e.key}`, e);
  return out;
}
