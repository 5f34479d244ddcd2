/**
 * What a scripted builder writes for a module, and what the scripted scaffold writes before it:
 * dispatch by module kind, plus the variants scenarios need (validation left out, a secret pasted in).
 */
import { combinerSource, combinerTests } from './combiner-code';
import { publicFunctions } from './interfaces';
import type { ModulePlan, ProjectPlan } from './plan';
import { formatterSource, formatterTests, greeterSource, greeterTests } from './sample-code';
import { counterSource, counterTests, pythonStub, tokenizerSource, tokenizerTests } from './python-code';

export interface CodeVariant {
  /** The input validation the contract requires; left out by the qc-major-then-pass scenario's first build. */
  validation: boolean;
  /** A hardcoded credential (qc-critical scenario). */
  secret: boolean;
}

export const CORRECT: CodeVariant = { validation: true, secret: false };

export function moduleSource(mod: ModulePlan, v: CodeVariant): string {
  switch (mod.kind) {
    case 'formatter':
      return formatterSource(v);
    case 'greeter':
      return greeterSource(v);
    case 'combiner':
      return combinerSource(mod, v);
    case 'tokenizer':
      return tokenizerSource(v);
    case 'counter':
      return counterSource(v);
  }
}

export function moduleTests(mod: ModulePlan, plan: ProjectPlan, v: CodeVariant): string {
  switch (mod.kind) {
    case 'formatter':
      return formatterTests(v);
    case 'greeter':
      return greeterTests(v);
    case 'combiner':
      return combinerTests(mod, plan, v);
    case 'tokenizer':
      return tokenizerTests(v);
    case 'counter':
      return counterTests(v);
  }
}

/**
 * The scaffold's placeholder: loads without side effects (so dependants can `require` it) and fails
 * loudly with a recognisable message as soon as anything calls it.
 */
export function stubSource(mod: ModulePlan): string {
  if (mod.kind === 'tokenizer' || mod.kind === 'counter') return pythonStub(mod, publicFunctions(mod));
  const exports = publicFunctions(mod).map((f) => `  ${f}: notImplemented,`);
  return [
    "'use strict';",
    `// Scaffold placeholder for \`${mod.name}\`. Its builder replaces this file with the implementation of`,
    `// .orchestration/contracts/interfaces/${mod.name}.interface.md; until then every call fails loudly.`,
    '',
    'function notImplemented() {',
    `  throw new Error('not implemented: ${mod.name}');`,
    '}',
    '',
    'module.exports = {',
    ...exports,
    '};',
    '',
  ].join('\n');
}
