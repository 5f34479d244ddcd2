/**
 * The small existing repository the plan scenarios change: a Node library with `add` and
 * `subtract` and its tests, plus a catalogue of operations the scripted planner plans and the
 * scripted teammates implement (source, tests and docs per operation), so that the tests of a
 * scripted plan run for real. A real model writes its own code; this is the test double's.
 */

export interface OpSpec {
  params: string;
  body: string;
  /** [expression, expected] pairs for its tests (expected is a JS literal). */
  cases: [string, string][];
  summary: string;
}

export const OPS: Record<string, OpSpec> = {
  multiply: { params: 'a, b', body: 'return a * b;', cases: [['multiply(3, 4)', '12'], ['multiply(-2, 5)', '-10']], summary: 'the product of two numbers' },
  divide: {
    params: 'a, b',
    body: "if (b === 0) throw new RangeError('division by zero');\n  return a / b;",
    cases: [['divide(12, 4)', '3'], ['divide(1, 4)', '0.25']],
    summary: 'the quotient of two numbers; dividing by zero throws a RangeError',
  },
  power: {
    params: 'base, exponent',
    body: "if (!Number.isInteger(exponent) || exponent < 0) throw new RangeError('exponent must be a whole number');\n  let result = 1;\n  for (let i = 0; i < exponent; i++) result *= base;\n  return result;",
    cases: [['power(2, 10)', '1024'], ['power(5, 0)', '1']],
    summary: 'base raised to a whole, non-negative exponent',
  },
  square: { params: 'x', body: 'return x * x;', cases: [['square(7)', '49']], summary: 'a number times itself' },
  negate: { params: 'x', body: 'return -x;', cases: [['negate(3)', '-3']], summary: 'the number with its sign flipped' },
  modulo: { params: 'a, b', body: "if (b === 0) throw new RangeError('modulo by zero');\n  return ((a % b) + b) % b;", cases: [['modulo(7, 3)', '1'], ['modulo(-1, 3)', '2']], summary: 'the non-negative remainder' },
};

export function opNamesIn(description: string): string[] {
  const lower = description.toLowerCase();
  const found = Object.keys(OPS).filter((op) => lower.includes(op));
  return found.length > 0 ? found : ['multiply', 'divide', 'power'];
}

export function opSource(name: string): string {
  const op = OPS[name];
  if (!op) return `'use strict';\n\nfunction ${name}(...args) {\n  return args;\n}\n\nmodule.exports = { ${name} };\n`;
  return `'use strict';\n\n/** ${op.summary}. */\nfunction ${name}(${op.params}) {\n  ${op.body}\n}\n\nmodule.exports = { ${name} };\n`;
}

export function opTest(name: string): string {
  const op = OPS[name];
  const cases = op?.cases ?? [];
  const lines = cases.map(([expr, want]) => `  assert.equal(${expr}, ${want});`).join('\n');
  return (
    `'use strict';\nconst test = require('node:test');\nconst assert = require('node:assert/strict');\nconst { ${name} } = require('../src/ops/${name}.js');\n\n` +
    `test('${name}', () => {\n${lines || `  assert.ok(typeof ${name} === 'function');`}\n});\n`
  );
}

export function opDoc(name: string): string {
  const op = OPS[name];
  return `# ${name}\n\n\`${name}(${op?.params ?? '...args'})\` returns ${op?.summary ?? 'its arguments'}.\n`;
}

/** The files of the existing repository; `brokenSubtract` plants the bug a red pre-flight finds. */
export function calcRepoFiles(opts: { brokenSubtract?: boolean } = {}): Record<string, string> {
  const subtract = opts.brokenSubtract ? 'return a + b; // BUG: should be return a - b;' : 'return a - b;';
  return {
    'package.json': JSON.stringify({ name: 'calc', version: '1.0.0', private: true, scripts: { test: 'node --test' } }, null, 2) + '\n',
    'src/math.js': `'use strict';\n\nfunction add(a, b) {\n  return a + b;\n}\n\nfunction subtract(a, b) {\n  ${subtract}\n}\n\nmodule.exports = { add, subtract };\n`,
    'test/math.test.js':
      `'use strict';\nconst test = require('node:test');\nconst assert = require('node:assert/strict');\nconst { add, subtract } = require('../src/math.js');\n\n` +
      `test('add', () => assert.equal(add(2, 3), 5));\ntest('subtract', () => assert.equal(subtract(5, 3), 2));\n`,
    'README.md': '# calc\n\nA tiny arithmetic library: `add`, `subtract`.\n',
    'CHANGELOG.md': '# Changelog\n\n## 1.0.0\n- add, subtract\n',
  };
}

export const calcPlanDescription = 'Add multiply, divide and power operations to the calc library, documented and tested';
