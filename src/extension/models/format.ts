/**
 * Small formatters shared by the tree items, the status bar and the log. No vscode import: unit-tested.
 */

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function formatTokens(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k`;
  return String(n);
}

export function formatUsd(usd: number): string {
  if (usd <= 0) return '$0.00';
  if (usd < 0.01) return '<$0.01';
  return `$${usd.toFixed(2)}`;
}

/** A short cost label; offline it says the figure is priced at the API's rates (nothing was charged). */
export function costLabel(usd: number, offline: boolean): string {
  return offline ? `≈${formatUsd(usd)} at API prices` : `≈${formatUsd(usd)}`;
}

/** The cost in a run's closing message: offline the scripted model charged nothing, the figure is what the API would. */
export function costSentence(usd: number, offline: boolean): string {
  return offline
    ? `estimated cost at API prices: ${formatUsd(usd)} (the scripted model charged nothing)`
    : `estimated cost ≈${formatUsd(usd)}`;
}

/** "Architect", "assemble" → "Assemble", "build-qc" → "Build qc". */
export function titleCase(id: string): string {
  const words = id.replace(/[-_]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
