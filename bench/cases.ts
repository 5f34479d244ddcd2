/**
 * Which cases `npm run bench` runs: 8 diamond, 32 diamond and 32 wide; `--large` or BENCH_LARGE=1
 * adds 200 diamond and 200 wide; BENCH_CASES="32:diamond,64:wide" runs exactly the cases it lists
 * (e.g. to compare the engine's memory at two sizes without the rest).
 */
export interface BenchCase {
  modules: number;
  shape: 'diamond' | 'wide';
}

export function defaultCases(large: boolean): BenchCase[] {
  return [
    { modules: 8, shape: 'diamond' },
    { modules: 32, shape: 'diamond' },
    { modules: 32, shape: 'wide' },
    ...(large ? [{ modules: 200, shape: 'diamond' as const }, { modules: 200, shape: 'wide' as const }] : []),
  ];
}

/** BENCH_CASES, parsed; undefined when unset or blank. A malformed entry is an error naming it. */
export function parseCases(spec: string | undefined): BenchCase[] | undefined {
  if (!spec?.trim()) return undefined;
  return spec.split(',').map((part) => {
    const m = /^\s*(\d+)\s*:\s*(diamond|wide)\s*$/.exec(part);
    if (!m || Number(m[1]) < 2 || Number(m[1]) > 500) {
      throw new Error(`BENCH_CASES: "${part.trim()}" is not <modules>:<diamond|wide> with 2 to 500 modules (e.g. 32:diamond,64:wide)`);
    }
    return { modules: Number(m[1]), shape: m[2] as BenchCase['shape'] };
  });
}
