/**
 * Source and tests the scripted builders write for the sample project's two modules. The tests
 * really run under `node --test`: the greeter's unit tests replace `formatter.format` with a mock
 * (in a builder's worktree the formatter is still the scaffold stub), and one integration test runs
 * against the real formatter once assembly has merged it, and skips until then.
 */
import { createHash } from 'node:crypto';
import type { CodeVariant } from './module-code';

const CONTRACT_NOTE = (name: string) => ` * Contract: .orchestration/contracts/interfaces/${name}.interface.md`;

export function formatterSource(v: CodeVariant): string {
  return [
    "'use strict';",
    '/**',
    ' * formatter: renders a line of text in one of a fixed set of styles.',
    CONTRACT_NOTE('formatter'),
    ' */',
    '',
    "const STYLES = Object.freeze(['plain', 'upper', 'banner']);",
    ...secretLines('formatter', v),
    '',
    '/**',
    ' * @param {string} text',
    " * @param {import('../shared/types').Style} [style]",
    ' * @returns {string}',
    ' */',
    "function format(text, style = 'plain') {",
    ...(v.validation
      ? [
          "  if (typeof text !== 'string') throw new TypeError('text must be a string');",
          '  if (!STYLES.includes(style)) throw new RangeError(`unknown style: ${String(style)}`);',
        ]
      : []),
    '  switch (style) {',
    "    case 'upper':",
    '      return text.toUpperCase();',
    "    case 'banner': {",
    '      const middle = `* ${text} *`;',
    "      const border = '*'.repeat(middle.length);",
    "      return [border, middle, border].join('\\n');",
    '    }',
    '    default:',
    '      return text;',
    '  }',
    '}',
    '',
    'module.exports = { format, STYLES };',
    '',
  ].join('\n');
}

export function formatterTests(v: CodeVariant): string {
  return [
    "'use strict';",
    "const test = require('node:test');",
    "const assert = require('node:assert/strict');",
    "const { format, STYLES } = require('./index.js');",
    '',
    "test('STYLES lists the contract styles in order and is frozen', () => {",
    "  assert.deepEqual([...STYLES], ['plain', 'upper', 'banner']);",
    '  assert.ok(Object.isFrozen(STYLES));',
    '});',
    '',
    "test('plain is the default and returns the text unchanged', () => {",
    "  assert.equal(format('Hello, Ada!'), 'Hello, Ada!');",
    "  assert.equal(format('Hello, Ada!', 'plain'), 'Hello, Ada!');",
    '});',
    '',
    "test('upper upper-cases the text', () => {",
    "  assert.equal(format('Hello, Ada!', 'upper'), 'HELLO, ADA!');",
    '});',
    '',
    "test('banner frames the text between two rows of stars', () => {",
    "  assert.equal(format('Hi', 'banner'), '******\\n* Hi *\\n******');",
    '});',
    ...(v.validation
      ? [
          '',
          "test('rejects a non-string text', () => {",
          "  assert.throws(() => format(42), { name: 'TypeError', message: 'text must be a string' });",
          '});',
          '',
          "test('rejects an unknown style with the documented error', () => {",
          "  assert.throws(() => format('x', 'sparkly'), { name: 'RangeError', message: 'unknown style: sparkly' });",
          '});',
        ]
      : []),
    '',
  ].join('\n');
}

export function greeterSource(v: CodeVariant): string {
  return [
    "'use strict';",
    '/**',
    ' * greeter: builds a greeting for a name and renders it through the formatter.',
    CONTRACT_NOTE('greeter'),
    ' */',
    '',
    "const formatter = require('../formatter');",
    ...secretLines('greeter', v),
    ...(v.validation ? ['', '// U+0000–U+001F and U+007F: they could rewrite the terminal the greeting is printed to.', 'const CONTROL_CHARACTERS = /[\\u0000-\\u001f\\u007f]/;'] : []),
    '',
    '/**',
    ' * @param {string} name',
    " * @param {import('../shared/types').GreetOptions} [options]",
    ' * @returns {string}',
    ' */',
    'function greet(name, options = {}) {',
    ...(v.validation
      ? [
          "  if (typeof name !== 'string' || name.trim() === '') throw new TypeError('name must be a non-empty string');",
          '  const who = name.trim();',
          "  if (who.length > 100) throw new RangeError('name must be at most 100 characters');",
          "  if (CONTROL_CHARACTERS.test(who)) throw new TypeError('name must not contain control characters');",
        ]
      : ['  const who = name;']),
    "  const style = options.style ?? 'plain';",
    '  // Looked up on the module object at call time, as the contract says, so tests can replace it.',
    '  return formatter.format(`Hello, ${who}!`, style);',
    '}',
    '',
    'module.exports = { greet };',
    '',
  ].join('\n');
}

export function greeterTests(v: CodeVariant): string {
  return [
    "'use strict';",
    "const test = require('node:test');",
    "const assert = require('node:assert/strict');",
    "const formatter = require('../formatter');",
    "const { greet } = require('./index.js');",
    '',
    '/** False while ../formatter is still the scaffold stub (in this module\'s own worktree). */',
    'function formatterAssembled() {',
    '  try {',
    "    formatter.format('probe', 'plain');",
    '    return true;',
    '  } catch (e) {',
    "    if (/not implemented/.test(String(e && e.message))) return false;",
    '    throw e;',
    '  }',
    '}',
    '',
    "test('greet builds the greeting and formats it in the requested style', (t) => {",
    '  const format = t.mock.method(formatter, \'format\', (text, style) => `<${style}>${text}`);',
    "  assert.equal(greet('Ada'), '<plain>Hello, Ada!');",
    "  assert.equal(greet('Ada', { style: 'upper' }), '<upper>Hello, Ada!');",
    '  assert.equal(format.mock.callCount(), 2);',
    '});',
    ...(v.validation
      ? [
          '',
          "test('greet trims the name', (t) => {",
          "  t.mock.method(formatter, 'format', (text) => text);",
          "  assert.equal(greet('  Ada  '), 'Hello, Ada!');",
          '});',
          '',
          "test('greet rejects a missing or blank name', () => {",
          "  for (const bad of [undefined, null, 42, '', '   ']) {",
          "    assert.throws(() => greet(bad), { name: 'TypeError', message: 'name must be a non-empty string' });",
          '  }',
          '});',
          '',
          "test('greet rejects names longer than 100 characters', () => {",
          "  assert.throws(() => greet('a'.repeat(101)), { name: 'RangeError', message: 'name must be at most 100 characters' });",
          '});',
          '',
          "test('greet rejects control characters', () => {",
          "  assert.throws(() => greet('Ada\\u001b[2J'), { name: 'TypeError', message: 'name must not contain control characters' });",
          '});',
        ]
      : []),
    '',
    "test('greet works with the real formatter once it is assembled', (t) => {",
    "  if (!formatterAssembled()) return t.skip('formatter is still the scaffold stub here');",
    "  assert.equal(greet('Ada', { style: 'upper' }), 'HELLO, ADA!');",
    "  assert.throws(() => greet('Ada', { style: 'sparkly' }), { name: 'RangeError', message: 'unknown style: sparkly' });",
    '});',
    '',
  ].join('\n');
}

/** The qc-critical scenario: a credential-looking constant a careless builder pasted in. */
export function secretLines(module: string, v: CodeVariant): string[] {
  if (!v.secret) return [];
  const token = 'sk-live-' + createHash('sha256').update(`scripted-secret:${module}`).digest('hex').slice(0, 32);
  return ['', '// Token for the upstream greeting-analytics service, so it works without configuration.', `const API_TOKEN = "${token}";`, 'void API_TOKEN;'];
}
