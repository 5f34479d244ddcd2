/**
 * Dollar estimate of token usage for the live cost in the status bar and the trees.
 * Used for the engine's budget (X2) and the extension's live cost. Prices by the model tier named in the
 * model id (USD per million tokens; cache reads at 10% and cache writes at 125% of input, as the
 * API bills them). Unknown models price as sonnet: an estimate, shown with "≈".
 */
import type { Usage } from './contracts/schemas';

interface Rate {
  input: number;
  output: number;
}

const RATES: Record<'opus' | 'sonnet' | 'haiku', Rate> = {
  opus: { input: 5, output: 25 },
  sonnet: { input: 3, output: 15 },
  haiku: { input: 1, output: 5 },
};

export function rateFor(model: string | undefined): Rate {
  const m = (model ?? '').toLowerCase();
  if (m.includes('opus')) return RATES.opus;
  if (m.includes('haiku')) return RATES.haiku;
  return RATES.sonnet;
}

export function estimateUsd(usage: Usage, model: string | undefined): number {
  const r = rateFor(model);
  const perToken = (usd: number) => usd / 1_000_000;
  return (
    usage.input * perToken(r.input) +
    usage.output * perToken(r.output) +
    usage.cacheRead * perToken(r.input * 0.1) +
    usage.cacheWrite * perToken(r.input * 1.25)
  );
}
