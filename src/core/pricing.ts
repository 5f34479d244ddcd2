/**
 * Dollar estimate of token usage, for the engine's budget (X2) and the live cost in the status bar
 * and the trees. USD per million tokens, per model family, from Anthropic's model pages (checked
 * 2026-12-03): input, output, 5-minute cache writes and cache reads. The shares differ by model (Opus
 * 5.5 reads its cache at 5% of input, older models at 10%), so each rate names all four. Haiku 5.5
 * costs five times as much, every token of the request, when its prompt (input and cache) is over
 * 100,000 tokens: applied when `usage` is one reply's, as the engine prices every reply (a sum over
 * many replies is priced at the lower band). An unknown id is priced by the tier its name holds, at
 * the current model's rate: an estimate, shown with "≈".
 */
import type { Usage } from './contracts/schemas';

export interface Rate {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

const rate = (input: number, output: number, cacheRead: number, cacheWrite = input * 1.25): Rate => ({ input, output, cacheWrite, cacheRead });

const OPUS_5_5 = rate(4, 20, 0.2);
const SONNET_5 = rate(2, 10, 0.2);
const HAIKU_5_5 = rate(0.1, 0.5, 0.01);

/** First match wins: the newer and more specific ids come first. */
const MODEL_RATES: ReadonlyArray<readonly [RegExp, Rate]> = [
  [/^claude-fable/, rate(10, 50, 1)],
  [/^claude-opus-5-5/, OPUS_5_5],
  [/^claude-opus-5/, rate(5, 25, 0.5)],
  [/^claude-opus-4-(?:[5-9])/, rate(5, 25, 0.5)],
  [/^claude-(?:opus-4|3-opus)/, rate(15, 75, 1.5)],
  [/^claude-sonnet-5/, SONNET_5],
  [/^claude-(?:sonnet-4|3-7-sonnet|3-5-sonnet)/, rate(3, 15, 0.3)],
  [/^claude-haiku-5-5/, HAIKU_5_5],
  [/^claude-haiku-4/, rate(1, 5, 0.1)],
  [/^claude-3-5-haiku/, rate(0.8, 4, 0.08)],
];

export function rateFor(model: string | undefined): Rate {
  const m = (model ?? '').toLowerCase();
  const known = MODEL_RATES.find(([pattern]) => pattern.test(m));
  if (known) return known[1];
  if (m.includes('opus')) return OPUS_5_5;
  if (m.includes('haiku')) return HAIKU_5_5;
  return SONNET_5;
}

/** Haiku 5.5's long-prompt band: over this many prompt tokens in one request, five times the price. */
const HAIKU_5_5_LONG_PROMPT = 100_000;

export function estimateUsd(usage: Usage, model: string | undefined): number {
  const r = rateFor(model);
  const oneLongReply = r === HAIKU_5_5 && usage.calls <= 1 && usage.input + usage.cacheRead + usage.cacheWrite > HAIKU_5_5_LONG_PROMPT;
  return ((usage.input * r.input + usage.output * r.output + usage.cacheRead * r.cacheRead + usage.cacheWrite * r.cacheWrite) / 1_000_000) * (oneLongReply ? 5 : 1);
}
