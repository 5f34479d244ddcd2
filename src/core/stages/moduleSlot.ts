/**
 * One wave-limit slot for a module's agents in a row: its builder, its QC, and any fix cycle, when
 * the builder and QC run on the same tier. A builder's slot freed while the engine commits its work
 * went to the next waiting builder, and the QC then waited a whole builder's run for its turn: every
 * module's own path got longer by about that much. Holding the slot across the module's steps keeps
 * the count of agents per tier within its limit (it counts as one agent) and the module moving.
 * Builder and QC on different tiers take a slot each, the QC ahead of first builds (stages/priority.ts).
 */
import type { HeldSlot } from '../limiter';
import type { PipelineContext } from './context';
import { modulePriority, type ModuleStep } from './priority';

/**
 * How a module's agent gets its wave-limit slot: it runs in the slot the module holds, or it takes
 * one of its own at the priority of its step. Exactly one of the two: the tier rule is decided here
 * (ModuleSlot.forStep) and nowhere else.
 */
export type ModuleAgentSlot = { heldSlot: HeldSlot; priority?: undefined } | { heldSlot?: undefined; priority: number };

/** The slot of a module agent that runs outside a ModuleSlot (e.g. the QC after a contract conflict): one of its own. */
export function ownSlot(ctx: Pick<PipelineContext, 'contracts'>, module: string, step: ModuleStep): { priority: number } {
  return { priority: modulePriority(ctx.contracts().manifest, module, step) };
}

export class ModuleSlot {
  private held?: HeldSlot;

  constructor(
    private readonly ctx: PipelineContext,
    private readonly module: string,
  ) {}

  /** The slot the module's next agent runs in, taken now if the module does not hold it yet; its own when builder and QC differ in tier. */
  async forStep(step: ModuleStep): Promise<ModuleAgentSlot> {
    const tier = this.ctx.store.module(this.module).tier;
    if (tier !== this.ctx.config.roleTiers.qc) return ownSlot(this.ctx, this.module, step);
    this.held ??= await this.ctx.limiter.hold(tier, this.ctx.signal, ownSlot(this.ctx, this.module, step).priority);
    return { heldSlot: this.held };
  }

  release(): void {
    this.held?.release();
    this.held = undefined;
  }
}
