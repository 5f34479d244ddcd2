/**
 * Training pairs for the project-master model (L4, seed 000 "Training Data Generator"): the chat
 * format, the 7 taxonomy types with their target shares, and the per-type expiry Stage 7 applies.
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { readAgentFile } from '../agents/agentFiles';

export const TAXONOMY = [
  'factual_recall',
  'architectural_reasoning',
  'cross_module',
  'conformance_validation',
  'state_status',
  'counterfactual',
  'procedural',
] as const;
export type Taxonomy = (typeof TAXONOMY)[number];

/** Target share of each type, in percent (seed 000). */
export const TARGET_SHARES: Record<Taxonomy, readonly [number, number]> = {
  factual_recall: [25, 30],
  architectural_reasoning: [15, 20],
  cross_module: [15, 20],
  conformance_validation: [10, 15],
  state_status: [10, 15],
  counterfactual: [5, 10],
  procedural: [5, 10],
};

const Message = (role: 'system' | 'user' | 'assistant') => z.object({ role: z.literal(role), content: z.string().min(1).max(20_000) });

export const TrainingPairSchema = z.object({
  messages: z.tuple([Message('system'), Message('user'), Message('assistant')]),
  metadata: z.object({
    pair_id: z.string().regex(/^qa-\d{5}$/, 'qa-NNNNN'),
    taxonomy: z.enum(TAXONOMY),
    source_refs: z.array(z.string().min(1).max(300)).min(1).max(20),
    modules_referenced: z.array(z.string().min(1).max(60)).max(50),
    hop_count: z.number().int().min(1).max(10),
    difficulty: z.enum(['basic', 'intermediate', 'advanced']),
    quality_score: z.number().min(0).max(1).optional(),
    /** When the pair was made; Stage 7 expires pairs by type from it. */
    created_at: z.string().optional(),
  }),
});
export type TrainingPair = z.infer<typeof TrainingPairSchema>;

/**
 * The pair ids in a training folder's `.jsonl` files, except the files named in `except` (the one
 * being checked): read as text, so a line that fails the schema still holds its id.
 */
export function pairIdsIn(dir: string, except: readonly string[] = []): Set<string> {
  const ids = new Set<string>();
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.jsonl') && !except.includes(n));
  } catch {
    return ids; // no training folder yet
  }
  for (const n of names) {
    // Builders write this folder: read as an agent's file (a FIFO named *.jsonl would block the engine, a
    // link would lead outside); a folder, a link or an unreadable entry holds no pairs.
    for (const m of (readAgentFile(dir, n) ?? '').matchAll(/"pair_id"\s*:\s*"(qa-\d{5})"/g)) ids.add(m[1]!);
  }
  return ids;
}
