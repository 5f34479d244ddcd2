/**
 * The memory tools every agent gets: `write_session_summary` (its L2 summary, the structured end of
 * its session; the engine never scrapes prose for it) and `memory_search` (L2 + L3, ranked snippets
 * with their source).
 */
import { betaZodTool } from '@anthropic-ai/sdk/helpers/beta/zod';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { MemoryStore, SessionSummary } from './types';

export const SessionSummaryInputSchema = z.object({
  summary: z.string().min(1).max(4000).describe('What you did this session and where it stands, in a few sentences.'),
  decisions: z.array(z.string().min(1).max(1000)).max(30).default([]).describe('Decisions you made that the next agent of your role must know.'),
  open_questions: z.array(z.string().min(1).max(1000)).max(30).default([]).describe('What is unresolved.'),
});

export const MemorySearchInputSchema = z.object({
  query: z.string().min(1).max(500),
  limit: z.number().int().min(1).max(20).default(5),
});

export function sessionSummaryTool(store: MemoryStore, who: { role: string; agentId: string; runId: string; now: () => Date }, onWritten: (s: SessionSummary) => void): BetaRunnableTool {
  let count = 0;
  return betaZodTool({
    name: 'write_session_summary',
    description:
      'Record your session summary for the next agent of your role (call once, just before your final message): ' +
      'what you did, decisions it must know, open questions.',
    inputSchema: SessionSummaryInputSchema,
    run: async (input) => {
      count++;
      const at = who.now().toISOString();
      const summary: SessionSummary = {
        // Unique across respawns of the same agent id (a resumed builder keeps its id).
        id: `${who.runId}-${who.agentId}-${count}-${randomBytes(4).toString('hex')}`,
        role: who.role,
        agentId: who.agentId,
        runId: who.runId,
        at,
        summary: input.summary,
        decisions: input.decisions,
        openQuestions: input.open_questions,
      };
      await store.addSummary(summary);
      onWritten(summary);
      return 'summary recorded';
    },
  }) as unknown as BetaRunnableTool;
}

export function memorySearchTool(store: MemoryStore): BetaRunnableTool {
  return betaZodTool({
    name: 'memory_search',
    description:
      "Search the project's memory (recent session summaries and the archive of older ones and of superseded decisions). " +
      'Returns ranked snippets, each with its source.',
    inputSchema: MemorySearchInputSchema,
    run: async ({ query, limit }) => {
      const hits = await store.search(query, limit);
      if (hits.length === 0) return `no memory matches "${query}"`;
      return hits.map((h, i) => `${i + 1}. [${h.layer}] ${h.source} (score ${h.score})\n${h.snippet}`).join('\n\n');
    },
  }) as unknown as BetaRunnableTool;
}
