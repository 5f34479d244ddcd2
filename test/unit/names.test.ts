import * as assert from 'node:assert/strict';
import {
  assertSafeModuleName,
  isSafeRelativePath,
  quoteUntrusted,
  relativePathProblem,
  UnsafeNameError,
  validateModuleName,
} from '../../src/core/contracts/names';

describe('validateModuleName', () => {
  it('accepts ordinary module names', () => {
    for (const name of ['api', 'auth-service', 'db2', 'a', 'x1-y2-z3', 'a'.repeat(40)]) {
      assert.equal(validateModuleName(name), null, name);
    }
  });

  // Each hostile name must be refused with a reason that says what is wrong with it.
  const hostile: [unknown, RegExp][] = [
    [undefined, /must be a string, got undefined/],
    [null, /must be a string, got null/],
    [42, /must be a string, got number/],
    ['', /is empty/],
    ['a'.repeat(41), /41 characters long; the maximum is 40/],
    ['..', /'\.\.'/],
    ['a..b', /'\.\.'/],
    ['../etc', /'\.\.'/],
    ['a/b', /path separator/],
    ['a\\b', /path separator/],
    ['a b', /whitespace/],
    ['a\tb', /control character/],
    ['a\nb', /control character/],
    ['a\u0000b', /control character/],
    ['a\u007fb', /control character/],
    ['$(rm -rf ~)', /whitespace/],
    ['$HOME', /shell metacharacter "\$"/],
    ['a`id`', /shell metacharacter "`"/],
    ['a;b', /shell metacharacter ";"/],
    ['a|b', /shell metacharacter "\|"/],
    ['a&b', /shell metacharacter "&"/],
    ['a<b', /shell metacharacter "<"/],
    ['a>b', /shell metacharacter ">"/],
    ["a'b", /shell metacharacter "'"/],
    ['a"b', /shell metacharacter "\\""/],
    ['a(b)', /shell metacharacter "\("/],
    ['a!b', /shell metacharacter "!"/],
    ['a#b', /shell metacharacter "#"/],
    ['a~1', /"~", which git forbids/],
    ['a^b', /"\^", which git forbids/],
    ['a:b', /":", which git forbids/],
    ['a?b', /"\?", which git forbids/],
    ['a*b', /"\*", which git forbids/],
    ['a[b', /"\[", which git forbids/],
    ['a@{b', /'@\{'/],
    ['main.lock', /ends in '\.lock'/],
    ['a.b', /contains '\.'/],
    ['.hidden', /contains '\.'/],
    ['Api', /must be lowercase/],
    ['café', /character other than a-z/],
    ['1api', /must start with a lowercase letter/],
    ['-api', /must start with a lowercase letter/],
    ['a--b', /single dashes/],
    ['api-', /single dashes/],
    ['integration', /reserved/],
    ['ship', /reserved/],
    ['con', /reserved/],
    ['lpt1', /reserved/],
  ];
  for (const [name, reason] of hostile) {
    it(`refuses ${quoteUntrusted(name)}`, () => {
      const problem = validateModuleName(name);
      assert.ok(problem !== null, 'expected a problem');
      assert.match(problem, reason);
      assert.ok(!/[\n\r\u0000]/.test(problem), 'the reason must stay on one line');
    });
  }

  it('assertSafeModuleName throws a typed error carrying the reason and value', () => {
    assert.doesNotThrow(() => assertSafeModuleName('api'));
    assert.throws(
      () => assertSafeModuleName('../x'),
      (e: unknown) => e instanceof UnsafeNameError && e.value === '../x' && /'\.\.'/.test(e.reason),
    );
  });
});

describe('relative paths from the model', () => {
  it('accepts plain relative paths', () => {
    for (const p of ['src/api/index.ts', 'README.md', './a/b', 'a/.hidden', 'a..b/c']) {
      assert.ok(isSafeRelativePath(p), p);
    }
  });

  const bad: [unknown, RegExp][] = [
    [42, /must be a string/],
    ['', /empty/],
    ['/etc/passwd', /absolute/],
    ['C:/Windows', /absolute/],
    ['c:foo', /absolute/],
    ['..', /'\.\.' segment/],
    ['a/../../b', /'\.\.' segment/],
    ['a/..', /'\.\.' segment/],
    ['a\\..\\b', /backslash/],
    ['a\u0000b', /NUL/],
    ['a\nb', /control character/],
    ['a/'.repeat(600), /longer than/],
  ];
  for (const [p, reason] of bad) {
    it(`refuses ${quoteUntrusted(p, 30)}`, () => {
      assert.equal(isSafeRelativePath(p), false);
      assert.match(relativePathProblem(p) ?? '', reason);
    });
  }
});

describe('quoteUntrusted', () => {
  it('escapes control characters and truncates', () => {
    assert.equal(quoteUntrusted('a\nb'), '"a\\nb"');
    assert.equal(quoteUntrusted('x'.repeat(100), 10), `"${'x'.repeat(9)}…`);
  });
});
