/**
 * Knows which model each agent runs on (from `agent-started`), so the token deltas of
 * `agent-usage` can be priced. Shared by the stage and module models and the status bar.
 */
import type { Usage } from '../../core/contracts/schemas';
import type { PipelineEvent } from '../../core/events';
import { estimateUsd } from '../../core/pricing';

export class CostTracker {
  private readonly models = new Map<string, string>();
  private total = 0;

  /** Returns the dollar cost of this event's usage (0 for other events). */
  observe(e: PipelineEvent): number {
    if (e.type === 'agent-started') this.models.set(e.agentId, e.model);
    if (e.type !== 'agent-usage') return 0;
    const usd = estimateUsd(e.usage, this.models.get(e.agentId));
    this.total += usd;
    return usd;
  }

  /** Seeds the total from a persisted state (model unknown there: priced at the middle tier). */
  seed(usage: Usage): void {
    this.total = estimateUsd(usage, undefined);
  }

  get totalUsd(): number {
    return this.total;
  }
}
