/**
 * Mode detection (SPEC M1), the one rule the CLI and VS Code share: a request that uses build words
 * goes to the build pipeline, one that uses audit words goes to audit mode (M15), and one that uses
 * both or neither is asked about (a quick pick in VS Code, a question on a TTY; without a TTY the CLI
 * refuses with exit 2 and names `start` and `audit`). Guessing is worse than asking: a build started
 * by mistake spends money and creates branches; an audit started by mistake wastes the user's time.
 *
 * Only whole words count ("address" is not "add", "checkout" is not "check"), with their usual
 * endings (builds, building, built is listed on its own since it is irregular).
 */
export type Mode = 'build' | 'audit' | 'ask';

const BUILD_WORDS = ['build', 'built', 'create', 'implement', 'develop', 'scaffold', 'generate', 'add', 'greenfield'];
/** Phrases that mean "make something new" even without a build verb. */
const BUILD_PHRASES = ['new app', 'new application', 'new project', 'new service', 'new feature'];
const AUDIT_WORDS = ['audit', 'review', 'scan', 'analyze', 'analyse', 'check', 'inspect'];

function wordPattern(words: readonly string[]): RegExp {
  // "create" → creates, created, creating: a final e drops before -ing.
  const forms = words.flatMap((w) => [`${w}(?:s|es|d|ed|ing)?`, ...(w.endsWith('e') ? [`${w.slice(0, -1)}ing`] : [])]);
  return new RegExp(`\\b(?:${forms.join('|')})\\b`, 'i');
}

const BUILD = wordPattern(BUILD_WORDS);
const AUDIT = wordPattern(AUDIT_WORDS);
const PHRASE = new RegExp(`\\b(?:${BUILD_PHRASES.map((p) => p.replace(/ /g, '\\s+')).join('|')})s?\\b`, 'i');

export function detectMode(request: string): Mode {
  const build = BUILD.test(request) || PHRASE.test(request);
  const audit = AUDIT.test(request);
  if (build && !audit) return 'build';
  if (audit && !build) return 'audit';
  return 'ask';
}

/** What the CLI prints when it cannot ask (no TTY) and the words do not decide. */
export function askRefusal(request: string): string {
  const quoted = JSON.stringify(request);
  return (
    `cannot tell whether to build or to audit from ${quoted} (it has build and audit words both, or neither), ` +
    'and there is no terminal to ask on. Say which:\n' +
    `  build-pipeline audit ${quoted}     read-only audit of the repository\n` +
    '  build-pipeline start "<what to build>"   with a build word (build, create, implement, add, develop …)'
  );
}
