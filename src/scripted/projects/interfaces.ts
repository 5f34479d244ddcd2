/**
 * Interface contracts the scripted architect writes, one per module plus shared-types.md, with the
 * sections seed 000 requires (public API, schemas, errors, dependencies, constraints). The Errors
 * section uses one fixed line shape, "- `TypeError` with message `...`: thrown by `fn` when ...",
 * because the scripted QC reads it back to decide which validations the code must contain.
 */
import { expectedValues, MODULUS } from './combiner-math';
import type { ModulePlan, ProjectPlan } from './plan';
import { sourceFileOf, testFileOf } from './stack';

export interface DocumentedError {
  type: string;
  message: string;
  thrownBy: string;
  when: string;
}

/** The errors a module's contract requires, in the Errors-section line shape. */
export function documentedErrors(mod: ModulePlan): DocumentedError[] {
  switch (mod.kind) {
    case 'formatter':
      return [
        { type: 'TypeError', message: 'text must be a string', thrownBy: 'format', when: '`text` is not a string' },
        { type: 'RangeError', message: 'unknown style: <style>', thrownBy: 'format', when: '`style` is not one of `STYLES`' },
      ];
    case 'greeter':
      return [
        { type: 'TypeError', message: 'name must be a non-empty string', thrownBy: 'greet', when: '`name` is not a string or is empty after trimming' },
        { type: 'RangeError', message: 'name must be at most 100 characters', thrownBy: 'greet', when: 'the trimmed name is longer than 100 characters' },
        { type: 'TypeError', message: 'name must not contain control characters', thrownBy: 'greet', when: 'the name contains a character in U+0000–U+001F or U+007F' },
      ];
    case 'combiner':
      return [
        { type: 'TypeError', message: 'inputs must be an array of safe integers', thrownBy: 'combine', when: '`inputs` is not an array or holds anything but safe integers' },
        { type: 'RangeError', message: 'expected <count> inputs', thrownBy: 'combine', when: '`inputs.length` differs from `DEPENDENCIES.length`' },
      ];
    case 'tokenizer':
      return [{ type: 'TypeError', message: 'text must be a str', thrownBy: 'tokenize', when: '`text` is not a `str`' }];
    case 'counter':
      return [{ type: 'ValueError', message: 'top must be a positive integer', thrownBy: 'count_words', when: '`top` is given and is not an `int` of at least 1 (a `bool` is not accepted)' }];
  }
}

/** The functions a module must export, as the QC checks them. */
export function publicFunctions(mod: ModulePlan): string[] {
  switch (mod.kind) {
    case 'formatter':
      return ['format'];
    case 'greeter':
      return ['greet'];
    case 'combiner':
      return ['combine', 'value'];
    case 'tokenizer':
      return ['tokenize'];
    case 'counter':
      return ['count_words'];
  }
}

function errorsSection(mod: ModulePlan): string {
  return documentedErrors(mod)
    .map((e) => `- \`${e.type}\` with message \`${e.message}\`: thrown by \`${e.thrownBy}\` when ${e.when}.`)
    .join('\n');
}

function apiSection(mod: ModulePlan, plan: ProjectPlan): string {
  switch (mod.kind) {
    case 'formatter':
      return [
        '```js',
        "format(text, style = 'plain') -> string",
        "STYLES -> readonly ['plain', 'upper', 'banner']",
        '```',
        '- `format(text, style)` renders `text` in `style`: `plain` returns it unchanged; `upper` returns',
        '  `text.toUpperCase()`; `banner` returns three lines joined by `\\n`: a row of `*` as wide as the',
        '  middle line, then `* <text> *`, then the same row again.',
        '- `STYLES` is a frozen array of the style names, in the order above.',
      ].join('\n');
    case 'greeter':
      return [
        '```js',
        'greet(name, options = {}) -> string',
        '```',
        "- `greet` trims `name`, builds `Hello, <name>!` and returns `formatter.format(greeting, options.style ?? 'plain')`.",
        '- It calls `format` through the `formatter` module object at call time (not a destructured copy).',
      ].join('\n');
    case 'combiner': {
      const expected = expectedValues(plan).get(mod.name);
      return [
        '```js',
        `SALT -> ${mod.salt}`,
        `DEPENDENCIES -> ${JSON.stringify(mod.dependsOn)}`,
        'combine(inputs) -> number',
        'value() -> number',
        '```',
        `- \`combine(inputs)\` returns \`(SALT * 1000 + sum(inputs[i] * (i + 1))) mod ${MODULUS}\`, inputs in \`DEPENDENCIES\` order.`,
        "- `value()` returns `combine(DEPENDENCIES.map((d) => require('../' + d).value()))`, computed once and cached.",
        expected === undefined ? '' : `- Once every dependency is assembled, \`value()\` is exactly \`${expected}\`.`,
      ]
        .filter(Boolean)
        .join('\n');
    }
    case 'tokenizer':
      return [
        '```python',
        'tokenize(text) -> list[Word]',
        '```',
        "- `tokenize(text)` lowercases `text` and returns its words in order: runs of letters and digits, with apostrophes kept inside a word (`don't`).",
      ].join('\n');
    case 'counter':
      return [
        '```python',
        'count_words(text, top=None) -> list[WordCount]',
        '```',
        '- `count_words` tokenizes `text` with `tokenizer.tokenize` and returns `(word, count)` pairs, highest count first, ties in alphabetical order; with `top`, only the first `top` pairs.',
        '- It imports the tokenizer as `from wordstats import tokenizer` and calls `tokenizer.tokenize` at call time.',
      ].join('\n');
  }
}

function schemasSection(mod: ModulePlan): string {
  switch (mod.kind) {
    case 'formatter':
      return '- `text`: string (may be empty).\n- `style`: `Style` (shared-types.md); omitted means `plain`.\n- Returns: string.';
    case 'greeter':
      return '- `name`: string, 1–100 characters after trimming, no control characters.\n- `options`: `GreetOptions` (shared-types.md).\n- Returns: string.';
    case 'combiner':
      return `- \`inputs\`: array of safe integers, one per dependency.\n- Returns: \`ModuleValue\` (shared-types.md), an integer in [0, ${MODULUS}).`;
    case 'tokenizer':
      return '- `text`: `str` (may be empty).\n- Returns: `list[Word]` (shared-types.md).';
    case 'counter':
      return '- `text`: `str`.\n- `top`: `int` >= 1, or `None` for all words.\n- Returns: `list[WordCount]` (shared-types.md).';
  }
}

function dependenciesSection(mod: ModulePlan): string {
  if (mod.dependsOn.length === 0) return 'None.';
  if (mod.kind === 'greeter') return "- `formatter`: `format(text, style)`, required as `require('../formatter')`.";
  if (mod.kind === 'counter') return '- `tokenizer`: `tokenize(text)`, imported as `from wordstats import tokenizer`.';
  return mod.dependsOn.map((d) => `- \`${d}\`: \`value()\`, required as \`require('../${d}')\`.`).join('\n');
}

export function interfaceDoc(mod: ModulePlan, plan: ProjectPlan): string {
  return [
    `# Interface: ${mod.name}`,
    '',
    `${mod.description} Code: \`${sourceFileOf(plan.stack, mod)}\` (${plan.stack === 'python' ? 'a Python package' : 'CommonJS'}), tests in \`${testFileOf(plan.stack, mod)}\` (${plan.stack === 'python' ? 'unittest' : 'node:test'}).`,
    '',
    '## Public API',
    apiSection(mod, plan),
    '',
    '## Input/Output Schemas',
    schemasSection(mod),
    '',
    '## Errors',
    errorsSection(mod),
    '',
    '## Dependencies',
    dependenciesSection(mod),
    '',
    '## Constraints and Invariants',
    '- Pure functions: no I/O, no side effects on import, the same output for the same input.',
    '- No third-party packages (`dependencies` in modules.json is empty); a module that needs one reports `blocked`.',
    '- Every documented error is thrown with exactly the documented type and message (ADR-002).',
    '- No credentials, tokens or keys in the code.',
    '',
  ].join('\n');
}

export function sharedTypesDoc(plan: ProjectPlan): string {
  if (plan.stack === 'python') {
    return [
      `# Shared Types: ${plan.name}`,
      '',
      `Types that cross module boundaries. Aliases of them live in \`${plan.sharedPath}/types.py\`.`,
      '',
      '## Word\n`str`: one lowercase word as `tokenizer.tokenize` returns it.',
      '## WordCount\n`tuple[str, int]`: a word and how often it occurs, as `counter.count_words` returns it.',
      '',
    ].join('\n');
  }
  const types =
    plan.kind === 'sample'
      ? [
          "## Style\n`'plain' | 'upper' | 'banner'`: the styles `formatter.format` accepts (`formatter.STYLES`).",
          '## GreetOptions\n`{ style?: Style }`: options of `greeter.greet`; `style` defaults to `plain`.',
        ]
      : [`## ModuleValue\n\`number\`: a safe integer in [0, ${MODULUS}), what every module's \`value()\` and \`combine()\` return.`];
  return [`# Shared Types: ${plan.name}`, '', 'Types that cross module boundaries. JSDoc typedefs of them live in `src/shared/types.js`.', '', ...types, ''].join('\n');
}
