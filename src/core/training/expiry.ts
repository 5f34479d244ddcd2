/**
 * Expiry of training pairs by type (seed 000 / M14): state pairs go stale in 14 days, interface pairs
 * in 60, architecture pairs in 90. The clock is a parameter, so Stage 7 and its tests decide "now".
 */
import { TrainingPairSchema, type Taxonomy, type TrainingPair } from './pairs';

export type ExpiryClass = 'state' | 'interface' | 'architecture';

export const EXPIRY_DAYS: Record<ExpiryClass, number> = { state: 14, interface: 60, architecture: 90 };

export const EXPIRY_CLASS: Record<Taxonomy, ExpiryClass> = {
  state_status: 'state',
  factual_recall: 'interface',
  conformance_validation: 'interface',
  procedural: 'interface',
  cross_module: 'interface',
  architectural_reasoning: 'architecture',
  counterfactual: 'architecture',
};

export interface PurgeResult {
  kept: TrainingPair[];
  purged: Record<ExpiryClass, number>;
  /** Lines that are not pairs (or have no usable date) are kept as they are and counted. */
  untouched: string[];
}

/** Splits a JSONL text into kept and expired pairs; a pair without `created_at` counts from `fallbackCreated`. */
export function purgeExpired(jsonl: string, now: Date, fallbackCreated?: string): PurgeResult {
  const kept: TrainingPair[] = [];
  const untouched: string[] = [];
  const purged: Record<ExpiryClass, number> = { state: 0, interface: 0, architecture: 0 };
  for (const line of jsonl.split('\n')) {
    if (!line.trim()) continue;
    let pair: TrainingPair | undefined;
    try {
      pair = TrainingPairSchema.safeParse(JSON.parse(line)).data;
    } catch {
      pair = undefined;
    }
    const created = Date.parse(pair?.metadata.created_at ?? fallbackCreated ?? '');
    if (!pair || Number.isNaN(created)) {
      untouched.push(line);
      continue;
    }
    const cls = EXPIRY_CLASS[pair.metadata.taxonomy];
    if (now.getTime() - created > EXPIRY_DAYS[cls] * 86_400_000) purged[cls]++;
    else kept.push(pair);
  }
  return { kept, purged, untouched };
}
