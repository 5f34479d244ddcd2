/**
 * Source and tests of a synthetic ("combiner") module. The unit tests assert exact numbers computed
 * from the whole graph (the dependencies' real values as inputs), so a test only passes when the
 * combination is right; the value() test additionally runs once the dependencies are assembled.
 */
import { combineValues, expectedValues, MODULUS } from './combiner-math';
import type { CodeVariant } from './module-code';
import type { ModulePlan, ProjectPlan } from './plan';
import { secretLines } from './sample-code';

export function combinerSource(mod: ModulePlan, v: CodeVariant): string {
  const requires = mod.dependsOn.map((d) => `require('../${d}')`).join(', ');
  return [
    "'use strict';",
    '/**',
    ` * ${mod.name}: ${mod.description}`,
    ` * Contract: .orchestration/contracts/interfaces/${mod.name}.interface.md`,
    ' */',
    '',
    `const SALT = ${mod.salt};`,
    `const DEPENDENCIES = Object.freeze(${JSON.stringify(mod.dependsOn)});`,
    `const MODULUS = ${MODULUS};`,
    `const DEPENDENCY_MODULES = [${requires}];`,
    ...secretLines(mod.name, v),
    '',
    '/**',
    ' * @param {number[]} inputs one value per dependency, in DEPENDENCIES order',
    " * @returns {import('../shared/types').ModuleValue}",
    ' */',
    'function combine(inputs) {',
    ...(v.validation
      ? [
          "  if (!Array.isArray(inputs) || !inputs.every(Number.isSafeInteger)) throw new TypeError('inputs must be an array of safe integers');",
          '  if (inputs.length !== DEPENDENCIES.length) throw new RangeError(`expected ${DEPENDENCIES.length} inputs`);',
        ]
      : []),
    '  let total = SALT * 1000;',
    '  inputs.forEach((input, i) => {',
    '    total += input * (i + 1);',
    '  });',
    '  return ((total % MODULUS) + MODULUS) % MODULUS;',
    '}',
    '',
    'let cached;',
    '',
    '/** combine() of the dependencies\' values; cached, so a diamond is not re-walked per path. */',
    'function value() {',
    '  if (cached === undefined) cached = combine(DEPENDENCY_MODULES.map((m) => m.value()));',
    '  return cached;',
    '}',
    '',
    'module.exports = { SALT, DEPENDENCIES, combine, value };',
    '',
  ].join('\n');
}

export function combinerTests(mod: ModulePlan, plan: ProjectPlan, v: CodeVariant): string {
  const values = expectedValues(plan);
  const depValues = mod.dependsOn.map((d) => values.get(d) ?? 0);
  const expected = combineValues(mod.salt, depValues);
  const high = mod.dependsOn.map(() => MODULUS - 1);
  const wrapped = combineValues(mod.salt, high);
  const wrongLength = [...depValues, 1];
  return [
    "'use strict';",
    "const test = require('node:test');",
    "const assert = require('node:assert/strict');",
    "const { SALT, DEPENDENCIES, combine, value } = require('./index.js');",
    '',
    '/** False while a dependency is still the scaffold stub (in this module\'s own worktree). */',
    'function dependenciesAssembled() {',
    '  return DEPENDENCIES.every((name) => {',
    '    try {',
    "      require('../' + name).value();",
    '      return true;',
    '    } catch (e) {',
    "      if (/not implemented/.test(String(e && e.message))) return false;",
    '      throw e;',
    '    }',
    '  });',
    '}',
    '',
    "test('declares the salt and dependencies of its contract', () => {",
    `  assert.equal(SALT, ${mod.salt});`,
    `  assert.deepEqual([...DEPENDENCIES], ${JSON.stringify(mod.dependsOn)});`,
    '});',
    '',
    "test('combine weights each dependency value by its position', () => {",
    `  assert.equal(combine(${JSON.stringify(depValues)}), ${expected});`,
    '});',
    '',
    "test('combine stays inside the modulus', () => {",
    `  assert.equal(combine(${JSON.stringify(high)}), ${wrapped});`,
    '});',
    ...(v.validation
      ? [
          '',
          "test('combine rejects inputs that are not safe integers', () => {",
          "  assert.throws(() => combine('1,2'), { name: 'TypeError', message: 'inputs must be an array of safe integers' });",
          "  assert.throws(() => combine([1.5]), { name: 'TypeError', message: 'inputs must be an array of safe integers' });",
          '});',
          '',
          "test('combine rejects the wrong number of inputs', () => {",
          `  assert.throws(() => combine(${JSON.stringify(wrongLength)}), { name: 'RangeError', message: 'expected ${mod.dependsOn.length} inputs' });`,
          '});',
        ]
      : []),
    '',
    "test('value() is the contract value once the dependencies are assembled', (t) => {",
    "  if (!dependenciesAssembled()) return t.skip('a dependency is still the scaffold stub here');",
    `  assert.equal(value(), ${expected});`,
    '});',
    '',
  ].join('\n');
}
