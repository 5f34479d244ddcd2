/**
 * Decides from a free-text request whether the user wants the build pipeline or audit mode (SPEC M1).
 * Only whole words count, so "address" does not read as "add" and "checkout" not as "check".
 */
export type RequestMode = 'build' | 'audit' | 'unclear';

const AUDIT_WORDS = ['audit', 'review', 'scan', 'analyze', 'analyse', 'check', 'inspect'];
const BUILD_WORDS = ['build', 'create', 'implement', 'add', 'make', 'write', 'develop', 'generate', 'scaffold'];

function hasWord(text: string, words: readonly string[]): boolean {
  return words.some((w) => new RegExp(`\\b${w}(s|es|ed|ing)?\\b`, 'i').test(text));
}

export function detectMode(description: string): RequestMode {
  const audit = hasWord(description, AUDIT_WORDS);
  const build = hasWord(description, BUILD_WORDS);
  if (audit && !build) return 'audit';
  if (build && !audit) return 'build';
  return 'unclear';
}
