import * as assert from 'node:assert/strict';
import { checkPairs, type QualityContext } from '../../src/core/training/quality';
import { countByType, fileEntry, missingByType } from '../../src/core/training/taxonomy';
import type { Taxonomy } from '../../src/core/training/pairs';

const q: QualityContext = { nouns: ['greeter', 'formatter', 'ADR-001', '001-module-system', 'greet'], subjects: ['greeter', 'formatter', 'ADR-001', '001-module-system'], openConflicts: [{ module: 'greeter', issue: 'name-length-units' }] };
let n = 0;
function pair(question: string, answer: string, taxonomy: Taxonomy = 'factual_recall', refs = ['contracts/architecture.md']): string {
  n++;
  return JSON.stringify({
    messages: [
      { role: 'system', content: 'You are the project master for greeter-cli.' },
      { role: 'user', content: question },
      { role: 'assistant', content: answer },
    ],
    metadata: { pair_id: `qa-${String(n).padStart(5, '0')}`, taxonomy, source_refs: refs, modules_referenced: ['greeter'], hop_count: 1, difficulty: 'basic' },
  });
}
const good = 'The greeter module exposes greet(name, options), which trims the name, validates it and returns the greeting text built by the formatter module.';

describe('training-pair quality rules (M4/M14)', () => {
  it('rejects a bad pair of each kind for the right rule and keeps the good ones', () => {
    const lines = [
      pair('What does the greeter module expose?', good),
      '{not json',
      JSON.stringify({ messages: [{ role: 'user', content: 'q' }], metadata: {} }),
      pair('What does any module do?', 'It does what its interface says it does and it returns results to whoever called it, with errors when inputs are wrong.'),
      pair('How long can names be?', 'Short.'),
      pair('Where is greet described?', 'See the docs: everything about greet is in the greeter interface file, which you should read in full before asking again here.'),
      pair('Which function does greeter export?', 'The greeter module exports `greet`, and **only** greet, which returns the greeting text built with the formatter module for the name given.'),
      pair('Why does greeter reject 60-letter names in some scripts?', 'Because of conflict name-length-units the greeter module currently measures names in UTF-16 code units and may reject long names.'),
      pair('What does the greeter module expose exactly?', good.replace('returns', 'gives back')),
      pair('Which API does greeter offer to callers?', good),
      pair('What can a caller of greeter use?', good),
      pair('Tell me the public surface of greeter.', good),
    ];
    const r = checkPairs(lines.join('\n'), q);
    assert.deepEqual(r.rejected.map((x) => [x.line, x.rule]), [
      [2, 'schema'],
      [3, 'schema'],
      [4, 'proper-noun'],
      [5, 'length'],
      [6, 'see-the-docs'],
      [7, 'markdown'],
      [8, 'unresolved-conflict'],
      [9, 'near-duplicate'],
      [12, 'phrasings'],
    ]);
    assert.equal(r.accepted.length, 3);
    const entry = fileEntry(r.accepted, r.rejected);
    assert.equal(entry.rejectedByRule['schema'], 2);
    assert.equal(entry.byType.factual_recall, 3);
  });

  it('counts the 7 types against their target shares and says what is missing for a goal', () => {
    const types: Taxonomy[] = ['factual_recall', 'factual_recall', 'architectural_reasoning', 'cross_module'];
    const r = checkPairs(types.map((t, i) => pair(`Question ${i} about greeter number ${'x'.repeat(i)}?`, `${good} Variant ${i}.`, t)).join('\n'), q);
    const counts = countByType(r.accepted);
    assert.equal(counts.factual_recall.count, 2);
    assert.equal(counts.factual_recall.share, 50);
    assert.equal(counts.factual_recall.status, 'above');
    assert.equal(counts.procedural.status, 'below');
    const missing = missingByType(r.accepted, 20);
    assert.equal(missing.factual_recall, 3);
    assert.equal(missing.procedural, 1);
    assert.equal(missing.architectural_reasoning, 2);
  });

  it('markdown: bold with underscores is refused, a Python dunder file name is not markdown', () => {
    const text = [
      pair('Where does the greeter module keep its code?', 'The greeter module keeps its code in src/greeter/__init__.py and its tests in src/greeter/test_greeter.py, run with unittest.'),
      pair('What must greet never do?', 'The greet function of the greeter module must __never__ print; it returns the greeting text built by the formatter module instead.'),
    ].join('\n');
    const r = checkPairs(text, q);
    assert.deepEqual(r.rejected.map((x) => [x.line, x.rule]), [[2, 'markdown']]);
    assert.equal(r.accepted.length, 1);
  });

  it('duplicate-id: a pair id kept earlier in the file, or taken by another training file, is refused with the rule named', () => {
    const withId = (id: string, question: string) => pair(question, good).replace(/"pair_id":"qa-\d{5}"/, `"pair_id":"${id}"`);
    const text = [
      withId('qa-10000', 'What does the greeter module expose?'),
      withId('qa-10000', 'Which module builds the greeting text for greeter?'),
      withId('qa-00007', 'How does greeter treat the name it is given?'),
      withId('qa-10001', 'What does the greeter module give back to a caller?'),
    ].join('\n');
    const r = checkPairs(text, { ...q, takenIds: new Set(['qa-00007']) });
    assert.deepEqual(
      r.rejected.map((x) => [x.line, x.rule, x.pairId]),
      [
        [2, 'duplicate-id', 'qa-10000'],
        [3, 'duplicate-id', 'qa-00007'],
      ],
    );
    assert.match(r.rejected[0]!.reason, /already used by a pair kept earlier in this file/);
    assert.match(r.rejected[1]!.reason, /already used in another training file/);
    assert.deepEqual(r.accepted.map((p) => p.metadata.pair_id), ['qa-10000', 'qa-10001']);
    // A rejected pair's id is free again: it is dropped from the file with its pair.
    const again = checkPairs([pair('How long can names be?', 'Short.').replace(/"pair_id":"qa-\d{5}"/, '"pair_id":"qa-20000"'), withId('qa-20000', 'What does the greeter module expose?')].join('\n'), q);
    assert.deepEqual(again.rejected.map((x) => x.rule), ['length']);
    assert.equal(again.accepted[0]!.metadata.pair_id, 'qa-20000');
  });
});
