/** Counting accepted pairs against the target shares, and the manifest (`training/manifest.json`). */
import { TAXONOMY, TARGET_SHARES, type Taxonomy, type TrainingPair } from './pairs';

export interface TypeCount {
  count: number;
  share: number;
  target: readonly [number, number];
  /** below | within | above the target share. */
  status: 'below' | 'within' | 'above';
}

export function countByType(pairs: readonly TrainingPair[]): Record<Taxonomy, TypeCount> {
  const total = pairs.length;
  const out = {} as Record<Taxonomy, TypeCount>;
  for (const t of TAXONOMY) {
    const count = pairs.filter((p) => p.metadata.taxonomy === t).length;
    const share = total ? Math.round((count / total) * 1000) / 10 : 0;
    const [lo, hi] = TARGET_SHARES[t];
    out[t] = { count, share, target: TARGET_SHARES[t], status: share < lo ? 'below' : share > hi ? 'above' : 'within' };
  }
  return out;
}

/** How many more pairs of each type would bring it to the lower bound of its share of `goal` pairs. */
export function missingByType(pairs: readonly TrainingPair[], goal: number): Partial<Record<Taxonomy, number>> {
  const counts = countByType(pairs);
  const out: Partial<Record<Taxonomy, number>> = {};
  for (const t of TAXONOMY) {
    const want = Math.ceil((TARGET_SHARES[t][0] / 100) * goal);
    if (counts[t].count < want) out[t] = want - counts[t].count;
  }
  return out;
}

export interface FileEntry {
  accepted: number;
  rejected: number;
  byType: Record<Taxonomy, number>;
  rejectedByRule: Record<string, number>;
}

export function fileEntry(accepted: readonly TrainingPair[], rejected: readonly { rule: string }[]): FileEntry {
  const byType = Object.fromEntries(TAXONOMY.map((t) => [t, accepted.filter((p) => p.metadata.taxonomy === t).length])) as Record<Taxonomy, number>;
  const rejectedByRule: Record<string, number> = {};
  for (const r of rejected) rejectedByRule[r.rule] = (rejectedByRule[r.rule] ?? 0) + 1;
  return { accepted: accepted.length, rejected: rejected.length, byType, rejectedByRule };
}
