/**
 * The master's structured answer to a contract conflict (M13), validated with zod at the tool and
 * again against the contracts (modules and locks it names must exist), and the record of a conflict
 * the engine keeps in the run directory from the block to the resumed module.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ContractChangeSchema } from '../locks/changeContract';
import { writeFileAtomic } from '../run/runDir';
import type { Locks, ModulesManifest } from '../contracts/schemas';

export const ResolutionSchema = z.object({
  recommendation: z.enum(['flex-contract', 'adapt-builder']),
  rationale: z.string().min(1).max(4000),
  affected_modules: z.array(z.string().min(1).max(60)).max(200),
  affected_locks: z.array(z.string().min(1).max(120)).max(200).default([]),
  contract_changes: z.array(z.object({ change: ContractChangeSchema, reason: z.string().min(1).max(2000) })).max(20).default([]),
  builder_instructions: z.string().min(1).max(8000),
  adr: z.object({
    topic: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'a lowercase slug').max(60),
    // One line: it becomes the ADR's heading, and a newline would let it write the sections below.
    title: z.string().min(1).max(200).regex(/^[^\r\n\u2028\u2029]+$/, 'one line, no line breaks'),
    decision: z.string().min(1).max(8000),
  }),
});
export type Resolution = z.infer<typeof ResolutionSchema>;

/** Rules zod cannot know: the names must exist, and the recommendation must match its changes. */
export function resolutionProblems(r: Resolution, manifest: ModulesManifest, locks: Locks): string[] {
  const problems: string[] = [];
  const modules = new Set(manifest.modules.map((m) => m.name));
  for (const m of r.affected_modules) if (!modules.has(m)) problems.push(`affected module "${m.slice(0, 60)}" is not in modules.json`);
  for (const l of r.affected_locks) if (!(l in locks.decisions) && !(l in locks.interfaces)) problems.push(`affected lock "${l.slice(0, 60)}" is not in locks.json`);
  if (r.recommendation === 'flex-contract' && r.contract_changes.length === 0) problems.push('flex-contract needs at least one contract change');
  if (r.recommendation === 'adapt-builder' && r.contract_changes.length > 0) problems.push('adapt-builder changes no contract; drop contract_changes or recommend flex-contract');
  for (const c of r.contract_changes) {
    if (c.change.kind === 'adr') problems.push('ADRs are not contract_changes; the engine writes the resolution ADR from the adr field');
    if (c.change.kind === 'decision' && !(c.change.key in locks.decisions)) problems.push(`decision "${c.change.key.slice(0, 60)}" is not in locks.json`);
    // Checked again when applied; here so that the gate never shows (or reads) an interface that is not one.
    if (c.change.kind === 'interface' && c.change.key !== 'shared-types' && !modules.has(c.change.key)) problems.push(`interface "${c.change.key.slice(0, 60)}" is not a module's (nor shared-types)`);
  }
  return problems;
}

export const ConflictRecordSchema = z.object({
  module: z.string(),
  issue: z.string(),
  reportPath: z.string(),
  report: z.string(),
  /** open → evaluated (waiting at the gate) → approved (being applied) → resolved (builder may resume) → consumed; or rejected. */
  status: z.enum(['open', 'evaluated', 'approved', 'resolved', 'consumed', 'rejected']),
  resolution: ResolutionSchema.optional(),
  decision: z.object({ decision: z.enum(['approve', 'reject']), by: z.string(), at: z.string(), reason: z.string().optional() }).optional(),
  /** How many of the contract changes were applied (resume continues after them). */
  appliedChanges: z.number().int().default(0),
  adr: z.string().optional(),
  /** Modules already told through their brain files and re-checked. */
  notified: z.array(z.string()).default([]),
  feedback: z.array(z.string()).default([]),
  openedAt: z.string(),
});
export type ConflictRecord = z.infer<typeof ConflictRecordSchema>;

export function recordPath(conflictsDir: string, module: string, issue: string): string {
  return path.join(conflictsDir, `${module}-${issue}.json`);
}

export function saveRecord(conflictsDir: string, r: ConflictRecord): void {
  writeFileAtomic(recordPath(conflictsDir, r.module, r.issue), JSON.stringify(ConflictRecordSchema.parse(r), null, 2) + '\n');
}

export function listRecords(conflictsDir: string): ConflictRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(conflictsDir).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const out: ConflictRecord[] = [];
  for (const n of names) {
    try {
      const parsed = ConflictRecordSchema.safeParse(JSON.parse(fs.readFileSync(path.join(conflictsDir, n), 'utf8')));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // Not a conflict record (or torn): the conflict is opened again from the module's state.
    }
  }
  return out;
}
