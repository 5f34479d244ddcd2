/**
 * The V8 flags the engine's process runs with wherever it runs: the process VS Code forks
 * (src/extension/engineProcess), the CLI (src/cli/engineFlags.ts) and each bench case, so the
 * bench's peak RSS is the product's. A young generation of at most 16 MB semi-spaces instead of
 * V8's default (up to 128 MB on a machine with much memory): the engine's live heap is about 40 MB
 * whatever the module count, and at 32 modules this cut peak RSS by 58 MB with the same wall time
 * (README, Benchmark).
 */
export const ENGINE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];

/** The flag's name (`--max-semi-space-size`) without its value. */
export function flagName(flag: string): string {
  return flag.split('=')[0]!;
}

/**
 * Which of `flags` are not set, by name, in a process started with `execArgv` and `nodeOptions`
 * (NODE_OPTIONS): a value the user chose for one of them is kept, not overridden.
 */
export function missingNodeFlags(flags: readonly string[], execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].filter(Boolean).map(flagName);
  // V8 reads its flags with `_` and `-` alike.
  const norm = (name: string) => name.replace(/_/g, '-');
  return flags.filter((f) => !given.some((g) => norm(g) === norm(flagName(f))));
}
