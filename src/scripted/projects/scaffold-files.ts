/**
 * The project skeleton the scripted scaffold agent writes (M5): manifest, shared JSDoc types, one
 * stub per module, a README and, when modules.json names a `project_test`, the project-level test it
 * runs (outside every module folder: each module's entry loads). Without module tests `node --test`
 * finds only that one (or nothing, and exits 0), so the integration tests are green from the start.
 */
import { MODULUS } from './combiner-math';
import { stubSource } from './module-code';
import type { ProjectPlan } from './plan';
import { pythonScaffoldFiles } from './python-code';
import { PROJECT_TESTS_DIR, sourceFileOf } from './stack';

function packageName(name: string): string {
  const cleaned = name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-._]+|[-._]+$/g, '');
  return cleaned.slice(0, 200) || 'project';
}

function sharedTypes(plan: ProjectPlan): string {
  const typedefs =
    plan.kind === 'sample'
      ? [
          "/** @typedef {'plain' | 'upper' | 'banner'} Style One of formatter.STYLES. */",
          '/** @typedef {{ style?: Style }} GreetOptions Options of greeter.greet; style defaults to plain. */',
        ]
      : [`/** @typedef {number} ModuleValue A safe integer in [0, ${MODULUS}), returned by value() and combine(). */`];
  return [
    "'use strict';",
    '/**',
    ' * Types shared across module boundaries (.orchestration/contracts/interfaces/shared-types.md).',
    " * JSDoc only: CommonJS has no type exports; modules refer to them as import('../shared/types').X.",
    ' */',
    '',
    ...typedefs,
    '',
    'module.exports = {};',
    '',
  ].join('\n');
}

function readme(plan: ProjectPlan): string {
  return [
    `# ${plan.name}`,
    '',
    plan.description,
    '',
    '## Modules',
    ...plan.buildOrder.map((name) => {
      const mod = plan.modules.find((m) => m.name === name);
      return `- \`${mod?.path ?? `src/${name}`}/\`: ${mod?.description ?? ''}`;
    }),
    '',
    '## Development',
    '- Contracts: `.orchestration/contracts/` (read-only for builders).',
    '- Tests: `npm test` (runs `node --test`; each module keeps its tests in `src/<module>/index.test.js`, project-level tests are in `tests/`).',
    '',
  ].join('\n');
}

/** Relative path → content, for the whole skeleton. */
export function scaffoldFiles(plan: ProjectPlan): Map<string, string> {
  if (plan.stack === 'python') return pythonScaffoldFiles(plan, stubSource);
  const files = new Map<string, string>();
  const pkg = {
    name: packageName(plan.name),
    version: '0.1.0',
    private: true,
    description: plan.description,
    license: 'UNLICENSED',
    engines: { node: '>=22' },
    scripts: { test: 'node --test' },
    // modules.json declares no third-party packages for the sample; a real manifest lists them here.
    dependencies: {},
  };
  files.set('package.json', JSON.stringify(pkg, null, 2) + '\n');
  files.set(`${plan.sharedPath}/types.js`, sharedTypes(plan));
  for (const mod of plan.modules) files.set(sourceFileOf('node', mod), stubSource(mod));
  files.set('README.md', readme(plan));
  if (plan.projectTest) files.set(`${PROJECT_TESTS_DIR}/modules-load.test.js`, projectTest(plan));
  return files;
}

/**
 * A project-level test: every module's entry loads and exports an object. It holds for the stubs
 * and for any implementation, so it is green on the skeleton and after every merge unless a module
 * breaks on load (a bad require of a sibling, say).
 */
function projectTest(plan: ProjectPlan): string {
  const dirs = plan.buildOrder.map((name) => plan.modules.find((m) => m.name === name)?.path ?? `src/${name}`);
  return [
    "'use strict';",
    "const test = require('node:test');",
    "const assert = require('node:assert/strict');",
    '',
    `for (const dir of ${JSON.stringify(dirs)}) {`,
    "  test(`${dir} loads`, () => {",
    "    const mod = require(`../${dir}`);",
    "    assert.equal(typeof mod, 'object');",
    '  });',
    '}',
    '',
  ].join('\n');
}
