/**
 * Preflight: before a run creates anything (run directory, branch, worktree), every configured model
 * is looked up with the Models API. A key the API refuses or a model id the account cannot use is
 * then a clear error naming the setting to change, not a failure found after worktrees exist. The
 * context window each lookup reports bounds the agents' conversations (agents/contextBudget.ts).
 */
import type Anthropic from '@anthropic-ai/sdk';
import { APIError, AuthenticationError, NotFoundError, PermissionDeniedError } from '@anthropic-ai/sdk';
import { agentLimitsFor, ROLES, type PipelineConfig, type Role } from './config';
import type { ModelTier } from './contracts/schemas';

export type PreflightReason = 'apiKey' | 'model' | 'unreachable';

export class PreflightError extends Error {
  constructor(
    readonly reason: PreflightReason,
    message: string,
    /** What to change: the `.build-pipeline.json` key or environment variable, and the VS Code setting or command. */
    readonly setting: { config: string; vscode: string },
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'PreflightError';
  }
  static is(e: unknown, reason?: PreflightReason): e is PreflightError {
    return e instanceof PreflightError && (reason === undefined || e.reason === reason);
  }
}

export interface PreflightResult {
  /** Context window (max input tokens) per model id, where the Models API reported one. */
  contextWindows: Record<string, number>;
}

/**
 * Each role's reply size against what its model can write in one reply (the Models API's
 * `max_tokens`): above it every request of that role is refused with a 400, found only when the role's
 * first agent starts, after worktrees exist.
 */
function checkReplySizes(config: PipelineConfig, maxOutput: Record<string, number>): void {
  for (const role of ROLES) {
    for (const tier of tiersOf(config, role)) {
      const model = config.tierModels[tier];
      const most = maxOutput[model];
      const { maxTokens } = agentLimitsFor(config, role, tier);
      if (most === undefined || maxTokens <= most) continue;
      throw new PreflightError(
        'model',
        `the ${role} role asks for replies of up to ${maxTokens} tokens (maxTokens), but ${model} writes at most ${most} in one reply; lower roleLimits.${role}.maxTokens (or tierLimits.${tier}.maxTokens, maxTokens) in .build-pipeline.json to ${most} or less`,
        { config: `roleLimits.${role}.maxTokens`, vscode: 'buildPipeline.roleLimits' },
      );
    }
  }
}

/** The tiers a role's agents may run on: its setting; for builders without one, any (modules.json picks per module). */
function tiersOf(config: PipelineConfig, role: Role): ModelTier[] {
  const key = role.replace(/-([a-z])/g, (_m: string, c: string) => c.toUpperCase()) as keyof PipelineConfig['roleTiers'];
  const tier = config.roleTiers[key];
  return tier ? [tier] : ['opus', 'sonnet', 'haiku'];
}

const API_KEY_SETTING = { config: 'ANTHROPIC_API_KEY', vscode: 'Build Pipeline: Set API Key' };

export async function preflight(client: Anthropic, config: PipelineConfig, signal?: AbortSignal): Promise<PreflightResult> {
  const tiersOf = new Map<string, ModelTier[]>();
  for (const [tier, id] of Object.entries(config.tierModels) as [ModelTier, string][]) tiersOf.set(id, [...(tiersOf.get(id) ?? []), tier]);
  const contextWindows: Record<string, number> = {};
  const maxOutput: Record<string, number> = {};
  for (const [id, tiers] of tiersOf) {
    const setting = { config: tiers.map((t) => `tierModels.${t}`).join(', '), vscode: tiers.map((t) => `buildPipeline.models.${t}`).join(', ') };
    try {
      const info = await client.models.retrieve(id, {}, { signal, maxRetries: 2 });
      if (typeof info.max_input_tokens === 'number' && info.max_input_tokens > 0) contextWindows[id] = info.max_input_tokens;
      if (typeof info.max_tokens === 'number' && info.max_tokens > 0) maxOutput[id] = info.max_tokens;
    } catch (e) {
      if (e instanceof AuthenticationError) {
        throw new PreflightError('apiKey', `the Anthropic API refused the API key (401 ${e.message}); set a valid key in ANTHROPIC_API_KEY (VS Code: "Build Pipeline: Set API Key")`, API_KEY_SETTING, e);
      }
      if (e instanceof NotFoundError || e instanceof PermissionDeniedError) {
        throw new PreflightError(
          'model',
          `model "${id}" is not available to this API key (${e.status} from the Models API); change ${setting.config} in .build-pipeline.json (VS Code setting ${setting.vscode})`,
          setting,
          e,
        );
      }
      if (e instanceof Error && /apiKey|authentication method/i.test(e.message) && !(e instanceof APIError)) {
        throw new PreflightError('apiKey', `no Anthropic API key: set ANTHROPIC_API_KEY (VS Code: "Build Pipeline: Set API Key"), or run offline with the demo`, API_KEY_SETTING, e);
      }
      throw new PreflightError('unreachable', `could not check model "${id}" with the Models API: ${(e as Error).message}`, setting, e);
    }
  }
  checkReplySizes(config, maxOutput);
  return { contextWindows };
}
