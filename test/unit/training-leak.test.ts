import * as assert from 'node:assert/strict';
import { keyTerms, leakOf, valueTerms } from '../../src/core/training/leak';
import { checkPairs } from '../../src/core/training/quality';
import { namesWord } from '../../src/core/training/wordMatch';

const nouns = ['auth', 'api', 'ADR-003', '003-session-store', 'createSession'];

/** One line of a pairs file about the auth module. */
function pair(id: number, q: string, a: string): string {
  return JSON.stringify({
    messages: [
      { role: 'system', content: 'You are the project master for shop.' },
      { role: 'user', content: q },
      { role: 'assistant', content: a },
    ],
    metadata: { pair_id: `qa-0000${id}`, taxonomy: 'architectural_reasoning', source_refs: ['contracts/decisions/003-session-store.md'], modules_referenced: ['auth'], hop_count: 1, difficulty: 'basic' },
  });
}

describe('training-pair rule: the question must not leak the answer (seed 000 rule 5)', () => {
  const answer = 'The auth module keeps sessions in PostgreSQL, as ADR-003 decided, because sessions must survive a restart and be shared by every api instance.';

  it("the seed's own example: 'Why did we choose PostgreSQL?' leaks, 'What database does the auth module use, and why?' does not", () => {
    const short = 'The auth module uses PostgreSQL for its sessions: they must survive a restart of the api and be shared by every instance of it.';
    assert.deepEqual(keyTerms(short, nouns).sort(), ['api', 'auth', 'postgresql']);
    assert.match(leakOf('Why did the auth module of the api choose PostgreSQL?', short, nouns) ?? '', /every value the answer gives \(postgresql\)/);
    assert.equal(leakOf('What database does the auth module use, and why?', short, nouns), undefined);
  });

  it('a question naming every value the answer gives leaks; naming only the subject (module, ADR) does not', () => {
    assert.ok(leakOf('Does auth keep sessions in PostgreSQL under ADR-003, shared with api?', answer, nouns));
    assert.equal(leakOf('Where does the auth module keep its sessions, and which ADR decided it?', answer, nouns), undefined);
  });

  it('answers whose only specifics are the names asked about (an order, a state) do not leak', () => {
    const order = 'The assembly order puts api before auth because dependencies are merged first; auth is merged at position 2 of 2.';
    assert.deepEqual(valueTerms(order, nouns), []);
    assert.equal(leakOf('In which order are auth and api assembled, and why?', order, nouns), undefined);
  });

  it('a question that restates the answer in other order leaks by content-word overlap', () => {
    const plain = 'Sessions expire after thirty minutes of inactivity and refresh tokens rotate on every use.';
    const why = leakOf('Is it true that sessions expire after thirty minutes of inactivity and that refresh tokens rotate on every use?', plain, nouns);
    assert.match(why ?? '', /repeats \d+% of the answer's content words/);
    assert.equal(leakOf('How long does an idle session live, and what happens to refresh tokens?', plain, nouns), undefined);
  });

  it('specific tokens count as key terms, sentence-initial capitals and stop words do not', () => {
    const terms = keyTerms('Yes. The createSession function throws a TypeError with the message "name is required" (src/auth/index.ts).', nouns);
    assert.ok(terms.includes('createsession'));
    assert.ok(terms.includes('typeerror'));
    assert.ok(terms.includes('name is required'));
    assert.ok(terms.includes('src/auth/index.ts'));
    assert.ok(!terms.includes('yes') && !terms.includes('the'));
  });

  it('checkPairs rejects a leaking pair with the rule leaks-answer and keeps the better one', () => {
    const text = [pair(1, 'Why did auth and the api pick PostgreSQL in ADR-003?', answer), pair(2, 'What database does the auth module use for sessions, and why?', answer)].join('\n');
    const r = checkPairs(text, { nouns, subjects: nouns, openConflicts: [] });
    assert.deepEqual(r.rejected.map((x) => [x.line, x.rule, x.pairId]), [[1, 'leaks-answer', 'qa-00001']]);
    assert.deepEqual(r.accepted.map((p) => p.metadata.pair_id), ['qa-00002']);
  });

  describe('a technology the interfaces name in backticks is a fact the answer gives, not a project noun a question may name', () => {
    // What bootstrap passes: the subjects (modules, ADRs, decision keys) and, as nouns, those plus the
    // interfaces' backticked names, here a function and two technologies.
    const subjects = ['auth', 'api', 'ADR-003', '003-session-store'];
    const interfaceNames = ['createSession', 'redis', 'PostgreSQL'];
    const redisAnswer = 'Redis keeps the sessions of the auth module, because ADR-003 wants them shared by every api instance and dropped after a restart.';

    it('leakOf: the technology counts as a value however the answer writes it (first in a sentence, any case)', () => {
      // Without the interface names the capitalised first word is no specific token: the question would pass.
      assert.equal(leakOf('Why does auth keep its sessions in redis?', redisAnswer, subjects), undefined);
      assert.match(leakOf('Why does auth keep its sessions in redis?', redisAnswer, subjects, interfaceNames) ?? '', /every value the answer gives \(redis\)/);
      assert.deepEqual(valueTerms(redisAnswer, subjects, interfaceNames), ['redis']);
      assert.equal(leakOf('Where does the auth module keep its sessions, and why?', redisAnswer, subjects, interfaceNames), undefined);
    });

    it('checkPairs: "Why did we choose PostgreSQL?" is rejected as leaks-answer although the interface names PostgreSQL', () => {
      const pgAnswer = 'The auth module stores sessions in PostgreSQL because ADR-003 wants them to survive a restart and be shared by every api instance.';
      const text = [
        pair(1, 'Why did we choose PostgreSQL for the sessions of auth?', pgAnswer),
        pair(2, 'Why does auth keep its sessions in redis?', redisAnswer),
        pair(3, 'What database does the auth module use for its sessions, and why?', pgAnswer),
      ].join('\n');
      const r = checkPairs(text, { nouns: [...subjects, ...interfaceNames], subjects, openConflicts: [] });
      assert.deepEqual(
        r.rejected.map((x) => [x.line, x.rule]),
        [
          [1, 'leaks-answer'],
          [2, 'leaks-answer'],
        ],
      );
      assert.deepEqual(r.accepted.map((p) => p.metadata.pair_id), ['qa-00003']);
    });
  });

  it('a term is found as a word of its own, case-insensitively, with its regex characters taken literally, the same on every call', () => {
    for (let i = 0; i < 3; i++) {
      assert.equal(namesWord('Call GET /api/items?limit=5 first.', 'get /api/items?limit=5'), true);
      assert.equal(namesWord('Call GET /api/itemsXlimit=5 first.', '/api/items?limit=5'), false);
      assert.equal(namesWord('uses createSession()', 'createsession'), true);
      assert.equal(namesWord('uses createSessions', 'createSession'), false);
      assert.equal(namesWord('uses my_createSession', 'createSession'), false);
      assert.equal(namesWord('a.b and c', 'a.b'), true);
      assert.equal(namesWord('axb and c', 'a.b'), false);
    }
  });
});
