/**
 * The run's memory (kept in the run directory while it runs) goes onto the integration branch as an
 * engine commit: after every finished stage (pipeline.ts), and in Stage 6 right after the shipping
 * agent, so the release commit the ship gate checks and merges carries the memory as it is then
 * (curated, with the shipper's own summary).
 */
import { publishRunMemory } from '../memory/runMemory';
import { ENGINE_AUTHOR, type PipelineContext } from './context';

/** Never fails the run: a memory commit that cannot be made is a warning, and the next publish tries again. */
export async function publishStageMemory(ctx: PipelineContext, what: string): Promise<void> {
  try {
    // The search index is saved here rather than after every summary (fileStore.ts).
    await ctx.memory.flush();
    await publishRunMemory(ctx.store.paths.runDir, ctx.store.paths.integrationWorktree, ENGINE_AUTHOR, what);
  } catch (e) {
    ctx.store.emit({ type: 'log', level: 'warn', message: `memory could not be committed ${what}: ${(e as Error).message}` });
  }
}
