/**
 * Quality rule 5 of seed 000: "Questions must not leak the answer. Bad: 'Why did we choose
 * PostgreSQL?' Better: 'What database does the auth module use, and why?'". The bad question already
 * holds the one specific thing the answer is about, so a model trained on it learns to echo the
 * question instead of recalling the project. In code, a question leaks its answer when either
 *
 * 1. every value term of the answer is already in the question. The answer's key terms are what makes
 *    it specific: the project's proper nouns it names (modules, ADRs, decisions, functions, endpoints)
 *    and any other specific token (a name with inner capitals such as PostgreSQL or TypeError, one
 *    with a digit, an underscore, a dot, a slash or a colon inside, a quoted string, a capitalised
 *    word that does not start a sentence). The project's subjects (modules, ADRs, decision keys:
 *    `subjects` as the caller passes them) say what is asked about, so a question may name them
 *    ("What database does the auth module use?"); the other key terms (technologies, functions,
 *    errors, files, values) are the facts the answer gives, and a question holding all of them has
 *    given the answer away ("Why did we choose PostgreSQL?", "Why does greeter throw a TypeError?").
 *    The names the interfaces put in backticks are such facts (`facts` as the caller passes them): a
 *    technology named there (`PostgreSQL`, `redis`) is what an answer tells, not a project noun a
 *    question may name, and it counts however it is written (in lower case, or first in a sentence). Or
 * 2. the question restates the answer: at least 70% of the answer's distinct content words (four
 *    letters or more, not a stop word; only counted for answers with at least five of them) appear
 *    in the question.
 */

import { namesWord } from './wordMatch';

const STOP = new Set(
  'about above after again against also because been before being below between both but could does doing down during each else every from have having here into itself just more most must only other over same should some such than that their them then there these they this those through under until very were what when where which while whom will with within without would your yours'.split(' '),
);

const SENTENCE_START = /(^|[.!?:;]\s+|\n\s*|\d\.\s+)$/;

function isSpecific(word: string, before: string): boolean {
  if (/\d/.test(word) || /[A-Za-z][_./:][A-Za-z0-9]/.test(word)) return true;
  if (/^[A-Za-z]+[a-z][A-Z]/.test(word) || /^[A-Z]{2,}[a-z]/.test(word)) return true;
  return /^[A-Z][a-z]/.test(word) && !SENTENCE_START.test(before);
}

/** The answer's key terms: the project nouns and known facts it names, and the other specific tokens in it. */
export function keyTerms(answer: string, nouns: readonly string[], facts: readonly string[] = []): string[] {
  const terms = new Set<string>();
  for (const n of [...nouns, ...facts]) if (n.length >= 3 && namesWord(answer, n)) terms.add(n.toLowerCase());
  for (const q of answer.matchAll(/"([^"\n]{3,80})"/g)) terms.add(q[1]!.toLowerCase());
  for (const m of answer.matchAll(/[A-Za-z_][\w./:-]*[\w]/g)) {
    if (isSpecific(m[0], answer.slice(0, m.index))) terms.add(m[0].toLowerCase());
  }
  return [...terms];
}

function contentWords(text: string): Set<string> {
  return new Set((text.toLowerCase().match(/[a-z][a-z0-9]{3,}/g) ?? []).filter((w) => !STOP.has(w)));
}

/**
 * The key terms that are values the answer gives, not the project's names for what is asked about:
 * `subjects` may be named by a question; `facts` (names known from the interfaces) may not.
 */
export function valueTerms(answer: string, subjects: readonly string[], facts: readonly string[] = []): string[] {
  const names = new Set(subjects.map((n) => n.toLowerCase()));
  return keyTerms(answer, subjects, facts).filter((t) => !names.has(t));
}

/** Why the question leaks its answer, or undefined when it does not. */
export function leakOf(question: string, answer: string, subjects: readonly string[], facts: readonly string[] = []): string | undefined {
  const values = valueTerms(answer, subjects, facts);
  if (values.length > 0 && values.every((t) => namesWord(question, t))) {
    return `the question already names every value the answer gives (${values.slice(0, 6).join(', ')})`;
  }
  const words = contentWords(answer);
  if (words.size >= 5) {
    const asked = contentWords(question);
    const shared = [...words].filter((w) => asked.has(w)).length;
    if (shared / words.size >= 0.7) return `the question repeats ${Math.round((shared / words.size) * 100)}% of the answer's content words`;
  }
  return undefined;
}
