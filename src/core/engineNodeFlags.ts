/**
 * The V8 flags the engine's process runs with wherever it runs: the process VS Code forks
 * (src/extension/engineProcess), the CLI (src/cli/engineFlags.ts) and each bench case, so the
 * bench's peak RSS is the product's. The engine's live heap is about 40 MB whatever the module count
 * (README, Benchmark); what RSS adds around it is V8 sizing the heap for speed on a machine with
 * much memory:
 * - a young generation of at most 4 MB semi-spaces instead of V8's default (up to 128 MB): 16 MB
 *   cut the 32-module peak RSS by 58 MB with the same wall time; 8 MB cut the 200-module diamond's
 *   from 252 to 231 MB (the young generation at the peak 41 → 23 MB), the build stage's time against
 *   the raw-git baseline unchanged (0.88× → 0.87×, one run each, same hour); 4 MB cut the 200-module
 *   wide case's young generation at the peak from 16–17 MB to 6 MB and its peak RSS to 224 MB (231–249
 *   MB in four runs with 8), with the same wall time and build stage (357.5 s and 287.7 s against
 *   350.9–360.8 s and 285.5–289.0 s); the 32-module diamond's build stage took 90.8 s against
 *   90.2–90.7 s, its engine process 10.6 s of CPU against 10.4 s;
 * - the old generation allowed to grow to 1.5 times what survived the last full GC before the next
 *   one, instead of up to 4 times (V8's factor on a machine with much memory): at 64 modules the old
 *   generation had grown to 125 MB around a 41 MB live heap, and Buffers held only by garbage there
 *   waited as long. The 64-module diamond's peak RSS fell from 316 MB (MALLOC_ARENA_MAX=2 alone) to
 *   211 MB, and the run took no longer.
 *   It is not a limit: the heap still grows as far as the live set needs.
 * V8 refuses `--heap-growing-percent` in NODE_OPTIONS, so it only ever comes from a command line.
 */
export const ENGINE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=50'];

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

/**
 * Environment the engine's process must start with (glibc reads it once, at process start, so it
 * cannot be set from inside). MALLOC_ARENA_MAX=2: glibc gives each thread that mallocs while the
 * others hold theirs an arena of its own, up to 8 × cores, and an arena keeps much of the memory
 * freed into it. The engine has a dozen threads (libuv's pool, V8's platform workers, the git worker
 * threads): in a 64-module bench run 11 thread arenas held 29–33 MB, with this one held 5–12 MB.
 */
export const ENGINE_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** The entries of ENGINE_ENV that `env` does not set: a value the user chose is kept, even an empty one. */
export function missingEngineEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(ENGINE_ENV).filter(([name]) => env[name] === undefined));
}
