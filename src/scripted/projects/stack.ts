/**
 * What differs between the scripted model's two sample stacks: the toolchain the architect writes
 * into modules.json, and the file names of a module's code and tests.
 */
import type { ModulePlan, ProjectPlan, Stack } from './plan';

export interface ToolchainJson {
  runtime: string;
  install: string;
  test: string;
  integration_test: string;
  project_test?: string;
  dev_dependencies: string[];
  build?: string;
  lint?: string;
}

/** Where a new Node project's project-level tests live: outside every module's folder (see scaffold-files.ts). */
export const PROJECT_TESTS_DIR = 'tests';

export function toolchainOf(plan: ProjectPlan): ToolchainJson {
  if (plan.stack === 'python') {
    return {
      runtime: 'Python 3.11+ (standard library only, unittest)',
      install: 'python3 -m venv --without-pip .venv',
      test: '.venv/bin/python -m unittest discover -s {module_dir} -t .',
      integration_test: `.venv/bin/python -m unittest discover -s ${plan.sharedPath.split('/')[0]} -t .`,
      dev_dependencies: [],
    };
  }
  return {
    runtime: 'Node.js >= 22 (CommonJS, node:test)',
    install: 'npm install --no-audit --no-fund',
    // Not `node --test <dir>`: Node 22+ treats a directory argument as a module to run, not as tests.
    test: 'node --test {module_dir}/*.test.js',
    integration_test: plan.integrationTest ?? 'node --test',
    // A new project gets project-level tests of its own (the scaffold writes them); an existing
    // repository's tests are its own business, so its merges run the full suite.
    ...(plan.integrationTest === undefined ? { project_test: `node --test ${PROJECT_TESTS_DIR}/*.test.js` } : {}),
    dev_dependencies: [],
    ...(plan.build ? { build: plan.build } : {}),
    ...(plan.lint ? { lint: plan.lint } : {}),
  };
}

export function stackOfRuntime(runtime: unknown): Stack {
  return typeof runtime === 'string' && /python/i.test(runtime) ? 'python' : 'node';
}

export function sourceFileOf(stack: Stack, mod: Pick<ModulePlan, 'path'>): string {
  return stack === 'python' ? `${mod.path}/__init__.py` : `${mod.path}/index.js`;
}

export function testFileOf(stack: Stack, mod: Pick<ModulePlan, 'path' | 'name'>): string {
  return stack === 'python' ? `${mod.path}/test_${mod.name.replace(/-/g, '_')}.py` : `${mod.path}/index.test.js`;
}

/** The command that runs one module's tests without the configured command (a fallback a model would type). */
export function directTestCommand(stack: Stack, moduleDir: string, quote: (s: string) => string): string {
  return stack === 'python' ? `python3 -m unittest discover -s ${quote(moduleDir)} -t .` : `node --test ${quote(moduleDir)}/*.test.js`;
}
