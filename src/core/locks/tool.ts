/**
 * The `change_contract` tool: how an agent that may change contracts (the master) asks for a
 * change. The actor is bound by the engine when it builds the tool; the model only says what and
 * why. Refusals come back to the model as tool errors naming the lock.
 */
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { ToolError } from '@anthropic-ai/sdk/lib/tools/ToolError';
import { betaZodTool } from '@anthropic-ai/sdk/helpers/beta/zod';
import { z } from 'zod';
import { changeContract, ContractChangeSchema, LockError, type AppliedChange, type ChangeOptions } from './changeContract';
import type { Actor } from './policy';

export const ChangeContractInputSchema = z.object({
  change: ContractChangeSchema,
  reason: z.string().min(1).max(2000),
});

export function changeContractTool(contractsDir: string, actor: Actor, opts: ChangeOptions & { onApplied?: (c: AppliedChange) => void } = {}): BetaRunnableTool {
  return betaZodTool({
    name: 'change_contract',
    description:
      'Change one contract item: a decision in locks.json (assertion, lock_level, affects), an interface file ' +
      '(its full new text), or a new ADR (NNN-topic with its full text). The lock level decides whether you may; ' +
      'a refusal names the lock. Give the reason; it goes into the audit trail.',
    inputSchema: ChangeContractInputSchema,
    run: async ({ change, reason }) => {
      try {
        const applied = await changeContract(contractsDir, change, actor, reason, opts);
        opts.onApplied?.(applied);
        return `applied: ${applied.item}`;
      } catch (e) {
        if (LockError.is(e)) throw new ToolError(`change_contract: ${e.message}`);
        throw e;
      }
    },
  }) as unknown as BetaRunnableTool;
}
