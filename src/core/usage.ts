/**
 * Token accounting. Every model call's usage (input, output, cache read, cache write) is added to the
 * calling agent, its module, its stage and the run, so the CLI summary, the state file and the
 * VS Code status bar all read the same figures.
 */
import type { Usage } from './contracts/schemas';

export function emptyUsage(): Usage {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, calls: 0 };
}

/** The usage block of a Messages API reply (fields may be null or absent). */
export interface ApiUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

export function fromApiUsage(u: ApiUsage | null | undefined): Usage {
  return {
    input: u?.input_tokens ?? 0,
    output: u?.output_tokens ?? 0,
    cacheRead: u?.cache_read_input_tokens ?? 0,
    cacheWrite: u?.cache_creation_input_tokens ?? 0,
    calls: 1,
  };
}

/** Adds `delta` into `into` in place and returns it. */
export function addUsage(into: Usage, delta: Usage): Usage {
  into.input += delta.input;
  into.output += delta.output;
  into.cacheRead += delta.cacheRead;
  into.cacheWrite += delta.cacheWrite;
  into.calls += delta.calls;
  return into;
}

export function totalTokens(u: Usage): number {
  return u.input + u.output + u.cacheRead + u.cacheWrite;
}

export function formatUsage(u: Usage): string {
  const k = (n: number) => (n >= 10_000 ? `${Math.round(n / 1000)}k` : String(n));
  return `${k(u.input)} in, ${k(u.output)} out, ${k(u.cacheRead)} cache read, ${k(u.cacheWrite)} cache write (${u.calls} calls)`;
}
