/**
 * How a role's thinking setting (`thinkingBudget` in the config: 0 for the model's default, more for
 * a role that plans, like the architect and the master) becomes request fields, which depends on the
 * model. Claude 3 and 4 models up to Opus 4.6 take a fixed budget (`thinking: {type: "enabled",
 * budget_tokens}`). Newer ones think adaptively and refuse a budget with a 400 ("thinking.type.enabled
 * is not supported for this model"; Opus 5.5 also refuses `disabled`): for them the same setting asks
 * for more effort instead (`thinking: {type: "adaptive"}`, `output_config.effort`). Unknown ids are
 * taken to be new models, so a future default model does not fail on its first request.
 */
export type Effort = 'low' | 'medium' | 'high' | 'xhigh' | 'max';

export interface ThinkingFields {
  thinking?: { type: 'enabled'; budget_tokens: number } | { type: 'adaptive' };
  output_config?: { effort: Effort };
}

/** Models that take a thinking budget: Claude 3.x, Haiku 4.x, Sonnet 4.x, Opus 4.0–4.6 (dated ids too). */
const BUDGET_MODELS = /^claude-(?:3|haiku-4|sonnet-4|opus-4(?:-[0-6])?(?:-\d{8})?$|opus-4-[0-6]-)/;

export function takesThinkingBudget(model: string): boolean {
  return BUDGET_MODELS.test(model);
}

/** The effort a budget stands for on a model that thinks adaptively (whose own default is medium or high). */
export function effortForBudget(budget: number): Effort {
  return budget >= 16_000 ? 'xhigh' : 'high';
}

/**
 * The request's thinking fields for `budget` on `model`; none for 0 (the model's own default). A
 * budget must be at least 1024 and below max_tokens: it is clamped, or left out when max_tokens is
 * too small for any.
 */
export function thinkingFields(model: string, budget: number | undefined, maxTokens: number): ThinkingFields {
  if (!budget || budget <= 0) return {};
  if (!takesThinkingBudget(model)) return { thinking: { type: 'adaptive' }, output_config: { effort: effortForBudget(budget) } };
  if (maxTokens < 2048) return {};
  return { thinking: { type: 'enabled', budget_tokens: Math.max(1024, Math.min(budget, maxTokens - 1024)) } };
}
