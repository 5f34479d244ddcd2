/**
 * Whether a text names a term as a word of its own (case-insensitive; not as part of a longer
 * name). The quality rules ask this for every project noun against every pair's question and answer,
 * so each term's pattern is compiled once and kept, instead of once per question.
 */

const patterns = new Map<string, RegExp>();
/** Terms are the project's names; the bound only keeps a long-lived process from collecting them forever. */
const MAX_PATTERNS = 10_000;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function namesWord(text: string, term: string): boolean {
  let re = patterns.get(term);
  if (!re) {
    if (patterns.size >= MAX_PATTERNS) patterns.clear();
    // No `g` flag: `test` keeps no state between calls, so one pattern serves every caller.
    re = new RegExp(`(^|[^A-Za-z0-9_])${escape(term)}([^A-Za-z0-9_]|$)`, 'i');
    patterns.set(term, re);
  }
  return re.test(text);
}
