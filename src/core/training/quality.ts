/**
 * The seed's quality rules for training pairs, in code (M4, M14). Every line of a pairs file is
 * checked; a rejected pair is reported with the rule it broke:
 * - schema         not JSON, or not the chat format with its metadata
 * - proper-noun    the answer names nothing of this project (a module, an ADR, a decision, a function or endpoint)
 * - length         the answer is outside 20–800 tokens (estimated at four characters a token)
 * - see-the-docs   the answer sends the reader elsewhere instead of answering
 * - markdown       the answer uses markdown (plain text and numbered lists only)
 * - unresolved-conflict  the pair is about a contract conflict that is not resolved
 * - near-duplicate the question is nearly the same as an accepted one
 * - phrasings      a fourth (or later) phrasing of the same fact
 * - leaks-answer   the question gives the answer away (definition in leak.ts)
 * - duplicate-id   the pair id is taken: by a pair kept earlier in the file, or in another training file
 *                  of the project (`takenIds`); ids identify pairs across files, so they must be unique
 */
import { leakOf } from './leak';
import { TrainingPairSchema, type TrainingPair } from './pairs';
import { namesWord } from './wordMatch';

export type QualityRule = 'schema' | 'proper-noun' | 'length' | 'see-the-docs' | 'markdown' | 'unresolved-conflict' | 'near-duplicate' | 'phrasings' | 'leaks-answer' | 'duplicate-id';

export interface Rejection {
  line: number;
  rule: QualityRule;
  reason: string;
  pairId?: string;
}

export interface QualityContext {
  /** Project-specific proper nouns: module names, ADR ids (ADR-001, 001-topic), decision keys, function and endpoint names. */
  nouns: readonly string[];
  /**
   * The names questions are about (modules, ADRs, decision keys): a question may name them without
   * leaking its answer. The other `nouns` (the names in the interfaces' backticks: functions,
   * endpoints, errors, and technologies such as `PostgreSQL`) are facts an answer gives. Required:
   * with `nouns` in its place, a technology named in an interface would count as a subject and
   * "Why did we choose PostgreSQL?" would pass.
   */
  subjects: readonly string[];
  /** Pair ids used by the project's other training files: a pair here may not reuse one. */
  takenIds?: ReadonlySet<string>;
  /** Unresolved conflicts: pairs about them are refused until they are resolved. */
  openConflicts: readonly { module: string; issue: string }[];
  minTokens?: number;
  maxTokens?: number;
  maxPhrasings?: number;
  nearDuplicate?: number;
}

export interface QualityResult {
  accepted: TrainingPair[];
  rejected: Rejection[];
}

const SEE_DOCS = /\b(see|refer to|check|consult|read) (the )?(docs|documentation|architecture\.md|interface|adr file|contracts?)\b|\bsee [\w./-]+\.md\b/i;
// `__` only as bold around words ("__word__"), not inside names such as __init__.py.
const MARKDOWN = /(^|\n)\s{0,3}(#{1,6}\s|[-*+]\s|>\s)|\*\*|(^|\s)__[^_\s][^_]*__(?=[\s.,;:!?]|$)|`|\[[^\]]+\]\([^)]+\)|(^|\n)\s*\|.*\|/;

function tokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function words(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[a-z0-9]+/g) ?? []);
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let inter = 0;
  for (const w of a) if (b.has(w)) inter++;
  const union = a.size + b.size - inter;
  return union === 0 ? 1 : inter / union;
}

function normalized(text: string): string {
  return [...(text.toLowerCase().match(/[a-z0-9]+/g) ?? [])].join(' ');
}

/** Checks a JSONL text line by line; line numbers are 1-based. */
export function checkPairs(jsonl: string, q: QualityContext): QualityResult {
  const min = q.minTokens ?? 20;
  const max = q.maxTokens ?? 800;
  const maxPhrasings = q.maxPhrasings ?? 3;
  const nearDup = q.nearDuplicate ?? 0.85;
  const accepted: TrainingPair[] = [];
  const rejected: Rejection[] = [];
  const questions: Set<string>[] = [];
  const facts = new Map<string, number>();
  const nouns = q.nouns.filter((n) => n.length >= 3);
  const subjectSet = new Set(q.subjects.map((s) => s.toLowerCase()));
  const interfaceFacts = nouns.filter((n) => !subjectSet.has(n.toLowerCase()));
  // Only kept pairs hold an id: a rejected pair is dropped from the file, and its id with it.
  const keptIds = new Set<string>();
  jsonl.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      rejected.push({ line, rule: 'schema', reason: 'not valid JSON' });
      return;
    }
    const parsed = TrainingPairSchema.safeParse(json);
    if (!parsed.success) {
      rejected.push({ line, rule: 'schema', reason: parsed.error.issues.slice(0, 3).map((x) => `${x.path.join('.') || '(root)'}: ${x.message}`).join('; ') });
      return;
    }
    const pair = parsed.data;
    const id = pair.metadata.pair_id;
    const question = pair.messages[1].content;
    const answer = pair.messages[2].content;
    const reject = (rule: QualityRule, reason: string) => rejected.push({ line, rule, reason, pairId: id });
    if (keptIds.has(id)) return reject('duplicate-id', `pair id ${id} is already used by a pair kept earlier in this file`);
    if (q.takenIds?.has(id)) return reject('duplicate-id', `pair id ${id} is already used in another training file of the project`);
    const open = q.openConflicts.find((c) => [question, answer, ...pair.metadata.source_refs].some((t) => t.includes(c.issue)) || pair.metadata.source_refs.some((r) => r.includes('conflicts/')));
    if (open) return reject('unresolved-conflict', `it is about conflict ${open.module}-${open.issue}, which is not resolved`);
    if (SEE_DOCS.test(answer)) return reject('see-the-docs', 'the answer points elsewhere instead of answering');
    if (MARKDOWN.test(answer)) return reject('markdown', 'the answer uses markdown; plain text and numbered lists only');
    const t = tokens(answer);
    if (t < min || t > max) return reject('length', `the answer is about ${t} tokens; it must be ${min}–${max}`);
    if (!nouns.some((n) => namesWord(answer, n))) return reject('proper-noun', 'the answer names no module, ADR, decision, function or endpoint of this project');
    const leak = leakOf(question, answer, q.subjects, interfaceFacts);
    if (leak) return reject('leaks-answer', leak);
    const qWords = words(question);
    if (questions.some((w) => jaccard(w, qWords) >= nearDup)) return reject('near-duplicate', 'the question is nearly the same as an accepted one');
    const fact = normalized(answer);
    const seen = facts.get(fact) ?? 0;
    if (seen >= maxPhrasings) return reject('phrasings', `already ${seen} phrasings of this fact (at most ${maxPhrasings})`);
    facts.set(fact, seen + 1);
    questions.push(qWords);
    keptIds.add(id);
    accepted.push(pair);
  });
  return { accepted, rejected };
}
