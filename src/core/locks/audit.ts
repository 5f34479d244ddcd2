/**
 * The audit trail of contract changes (M12): one JSON line per attempt, applied or refused, in
 * `.orchestration/contracts/locks-audit.jsonl`. Append-only; read back with zod, skipping lines a
 * hand edit or a torn write broke (they are counted, not fatal), so a history view never crashes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

export const AUDIT_FILE = 'locks-audit.jsonl';

export const AuditEntrySchema = z.object({
  at: z.string(),
  who: z.object({ role: z.string(), name: z.string(), approvedBy: z.string().optional() }),
  item: z.string(),
  kind: z.enum(['decision', 'interface', 'adr']),
  key: z.string(),
  level: z.enum(['unlocked', 'locked', 'critical']),
  outcome: z.enum(['applied', 'refused', 'invalid']),
  old: z.unknown().optional(),
  new: z.unknown().optional(),
  reason: z.string(),
  /** Why it was refused or rolled back. */
  refusal: z.string().optional(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export function auditPath(contractsDir: string): string {
  return path.join(contractsDir, AUDIT_FILE);
}

export function appendAudit(contractsDir: string, entry: AuditEntry): void {
  fs.mkdirSync(contractsDir, { recursive: true });
  // One write call per line: appends of a few KB are not interleaved with another process's.
  fs.appendFileSync(auditPath(contractsDir), JSON.stringify(AuditEntrySchema.parse(entry)) + '\n');
}

export function readAudit(contractsDir: string): { entries: AuditEntry[]; skipped: number } {
  let text: string;
  try {
    text = fs.readFileSync(auditPath(contractsDir), 'utf8');
  } catch {
    return { entries: [], skipped: 0 };
  }
  const entries: AuditEntry[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = AuditEntrySchema.safeParse(JSON.parse(line));
      if (parsed.success) entries.push(parsed.data);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { entries, skipped };
}

/** Every attempt on one item, oldest first. */
export function historyOf(contractsDir: string, kind: AuditEntry['kind'], key: string): AuditEntry[] {
  return readAudit(contractsDir).entries.filter((e) => e.kind === kind && e.key === key);
}
