/**
 * The shell part of a role's tool policy, the same for every stage: the scrubbed environment, the
 * timeout cap and the sandbox confinement for the role's worktree (writable or read-only).
 */
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { agentShellEnv } from '../agents/env';
import type { PipelineContext } from '../stages/context';

export function roleShell(
  ctx: Pick<PipelineContext, 'sandbox' | 'config'>,
  worktree: string,
  agentName: string,
  access: 'writes-worktree' | 'read-only',
): { env: Record<string, string>; bashTimeoutMs: number; confineShell: (sdkBash: BetaRunnableTool) => BetaRunnableTool } {
  const env = agentShellEnv(agentName);
  const bashTimeoutMs = ctx.config.bashTimeoutMs;
  return {
    env,
    bashTimeoutMs,
    confineShell: (sdkBash) => ctx.sandbox.confineBash(sdkBash, { cwd: worktree, writable: access === 'writes-worktree', env, timeoutMs: bashTimeoutMs }),
  };
}
