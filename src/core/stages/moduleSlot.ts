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

export class ModuleSlot {
  private held?: HeldSlot;

  constructor(
    private readonly ctx: PipelineContext,
    private readonly module: string,
  ) {}

  /** The slot the module's next agent runs in, taken now if the module does not hold it yet; none when builder and QC differ in tier. */
  async forStep(step: ModuleStep): Promise<HeldSlot | undefined> {
    const tier = this.ctx.store.module(this.module).tier;
    if (tier !== this.ctx.config.roleTiers.qc) return undefined;
    this.held ??= await this.ctx.limiter.hold(tier, this.ctx.signal, modulePriority(this.ctx.contracts().manifest, this.module, step));
    return this.held;
  }

  release(): void {
    this.held?.release();
    this.held = undefined;
  }
}
