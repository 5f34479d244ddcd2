/**
 * Memory layers L2 (session summaries) and L3 (archive) behind one store interface (M14). The
 * default store is embedded (files + a persisted full-text index, fileStore.ts); a hosted vector
 * store can implement the same interface (see README, "Memory").
 */
import { z } from 'zod';

export const SessionSummarySchema = z.object({
  id: z.string().min(1),
  /** The memory role: `architect`, `scaffold`, `<module>-builder`, `<module>-qc`, `master`. */
  role: z.string().min(1).max(120),
  agentId: z.string().min(1).max(200),
  runId: z.string().max(80),
  at: z.string(),
  summary: z.string().min(1).max(4000),
  decisions: z.array(z.string().max(1000)).max(30).default([]),
  openQuestions: z.array(z.string().max(1000)).max(30).default([]),
});
export type SessionSummary = z.infer<typeof SessionSummarySchema>;

export const ArchiveRecordSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(['summary', 'superseded-decision']),
  role: z.string().max(120).optional(),
  at: z.string(),
  /** Where it came from: `summary <role> <agentId>`, `locks.json decision 001-x`, ... */
  source: z.string().min(1).max(300),
  text: z.string().min(1).max(20_000),
});
export type ArchiveRecord = z.infer<typeof ArchiveRecordSchema>;

export interface MemoryHit {
  layer: 'L2' | 'L3';
  source: string;
  snippet: string;
  score: number;
  at: string;
}

export interface MemoryStats {
  l2: number;
  l3: number;
  l2ByRole: Record<string, number>;
  bytes: number;
}

export interface MemoryStore {
  /** L2: one agent's end-of-session summary. */
  addSummary(summary: SessionSummary): Promise<void>;
  /** L2: the newest `limit` summaries of one role, oldest first (the order they happened). */
  recentSummaries(role: string, limit: number): Promise<SessionSummary[]>;
  /** L3: a record kept for search only (older summaries, superseded decisions). */
  archive(record: ArchiveRecord): Promise<void>;
  /** Ranked snippets over L2 and L3. */
  search(query: string, limit: number): Promise<MemoryHit[]>;
  /** Moves every role's summaries beyond the newest `keep` into L3; returns how many moved. */
  compress(keep: number): Promise<number>;
  stats(): Promise<MemoryStats>;
  /** Saves what is only in memory (the search index) so the files on disk are complete. */
  flush(): Promise<void>;
}
