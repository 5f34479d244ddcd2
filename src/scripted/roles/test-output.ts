/**
 * Reading `node --test` output the way a model skims it: the counts at the end (spec reporter
 * "ℹ pass 3" or TAP "# pass 3", depending on Node version and terminal) and the first failure.
 */

export interface TestCounts {
  tests?: number;
  pass?: number;
  fail?: number;
  skipped?: number;
}

function count(output: string, label: string): number | undefined {
  const m = new RegExp(`^\\s*(?:ℹ|#)\\s*${label}\\s+(\\d+)\\s*$`, 'm').exec(output);
  return m ? Number(m[1]) : undefined;
}

/** unittest's ending: "Ran 4 tests in 0.001s" then "OK", "OK (skipped=1)" or "FAILED (failures=1, errors=2)". */
function unittestCounts(output: string): TestCounts | undefined {
  const ran = /^Ran (\d+) tests? in /m.exec(output);
  if (!ran) return undefined;
  const tests = Number(ran[1]);
  const field = (name: string) => Number(new RegExp(`\\b${name}=(\\d+)`).exec(output.slice(ran.index))?.[1] ?? 0);
  const fail = field('failures') + field('errors');
  const skipped = field('skipped');
  return { tests, pass: Math.max(0, tests - fail - skipped), fail, skipped };
}

export function testCounts(output: string): TestCounts {
  return unittestCounts(output) ?? { tests: count(output, 'tests'), pass: count(output, 'pass'), fail: count(output, 'fail'), skipped: count(output, 'skipped') };
}

/** E.g. "6 passed, 0 failed, 1 skipped"; the raw tail when the output has no counts. */
export function testSummary(output: string): string {
  const c = testCounts(output);
  if (c.pass === undefined && c.fail === undefined) return `finished (${output.trim().split('\n').at(-1)?.slice(0, 120) ?? 'no output'})`;
  return `${c.pass ?? 0} passed, ${c.fail ?? 0} failed, ${c.skipped ?? 0} skipped`;
}

/** The first line that names a failure, for a one-line explanation. */
export function firstFailureLine(output: string): string {
  const lines = output.split('\n').map((l) => l.trim());
  const hit =
    lines.find((l) => /^(✖|not ok)\b/.test(l) && !/^✖ failing tests/.test(l)) ??
    lines.find((l) => /^(FAIL|ERROR): /.test(l)) ??
    lines.find((l) => /Error|assert/i.test(l)) ??
    lines.find(Boolean);
  return (hit ?? 'no output').slice(0, 300);
}

/** Line of the first stack frame in `file` (e.g. index.test.js), for a finding's location. */
export function failureLineIn(output: string, file: string): number | null {
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`${escaped}:(\\d+)(?::\\d+)?`).exec(output);
  return m ? Number(m[1]) : null;
}

/** Titles of the `test('…', …)` calls in a node:test file. */
export function testTitles(source: string): string[] {
  return [...source.matchAll(/\btest\(\s*'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1]!.replace(/\\'/g, "'"));
}

/**
 * Whether a run's output shows any of the file's tests. `node --test <folder>` on Node 22+ runs the
 * folder's index.js as the test file, so it "passes" without running a single test of the module.
 */
export function showsTests(output: string, titles: string[]): boolean {
  return titles.length === 0 || titles.some((t) => output.includes(t));
}
