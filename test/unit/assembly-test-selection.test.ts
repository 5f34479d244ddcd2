/**
 * Which tests run after which merge (src/core/assembly/testSelection.ts): the merged module's own
 * tests and the project-level tests after a merge that changed only the module's paths; the full
 * suite on the final head, after a merge that changed anything outside the module's paths, and
 * when the toolchain cannot run the project-level tests apart. Plus where the commands come from.
 */
import * as assert from 'node:assert/strict';
import { selectTests, type TestSelectionInput } from '../../src/core/assembly/testSelection';
import { builderWritablePaths } from '../../src/core/stages/builder';
import { ModulesManifestSchema } from '../../src/core/contracts/schemas';
import { projectCommands } from '../../src/core/stack/commands';
import { blueprintCommands } from '../../src/core/stack/gateCommands';

const commands = { module: 'node --test src/api/*.test.js', project: 'node --test tests/*.test.js', full: 'node --test' };

function input(over: Partial<TestSelectionInput> = {}): TestSelectionInput {
  return {
    module: 'api',
    ownPaths: builderWritablePaths('api', 'src/api'),
    changedPaths: ['src/api/index.js', 'src/api/index.test.js'],
    finalHead: false,
    commands,
    ...over,
  };
}

describe('assembly test selection', () => {
  it('a merge that changed only the module\'s paths runs its tests and the project-level tests, in that order', () => {
    const s = selectTests(input());
    assert.equal(s.scope, 'selected');
    assert.deepEqual(s.runs, [
      { kind: 'module', command: 'node --test src/api/*.test.js' },
      { kind: 'project', command: 'node --test tests/*.test.js' },
    ]);
    assert.deepEqual(s.outside, []);
    assert.match(s.reason, /only api's own paths/);
  });

  it('the builder\'s brain file, training pairs and conflict report count as the module\'s own paths', () => {
    const s = selectTests(input({ changedPaths: ['src/api/index.js', '.orchestration/brains/api-builder.md', '.orchestration/training/api-session-pairs.jsonl', '.orchestration/conflicts/api-shape.md'] }));
    assert.equal(s.scope, 'selected');
  });

  it('falls back to the full suite when the merge changed a shared file outside the module', () => {
    const s = selectTests(input({ changedPaths: ['src/api/index.js', 'src/shared/types.js'] }));
    assert.equal(s.scope, 'full');
    assert.deepEqual(s.runs, [{ kind: 'full', command: 'node --test' }]);
    assert.deepEqual(s.outside, ['src/shared/types.js']);
    assert.match(s.reason, /outside the module's own: src\/shared\/types\.js/);
  });

  it('a path that only starts like the module folder, another module\'s brain file or a contract is outside it', () => {
    for (const p of ['src/api-v2/index.js', '.orchestration/brains/web-builder.md', '.orchestration/contracts/modules.json', 'src/apiindex.js', 'package.json']) {
      const s = selectTests(input({ changedPaths: ['src/api/index.js', p] }));
      assert.equal(s.scope, 'full', p);
      assert.deepEqual(s.outside, [p]);
    }
  });

  it('the final head always gets the full suite, even after a merge inside the module', () => {
    const s = selectTests(input({ finalHead: true }));
    assert.equal(s.scope, 'full');
    assert.match(s.reason, /last module of assembly_order/);
  });

  it('without a project-level test command every merge runs the full suite', () => {
    const s = selectTests(input({ commands: { module: commands.module, full: commands.full } }));
    assert.equal(s.scope, 'full');
    assert.deepEqual(s.runs, [{ kind: 'full', command: 'node --test' }]);
    assert.match(s.reason, /no project_test/);
  });

  it('outside paths win over the final-head reason, so the report names them', () => {
    const s = selectTests(input({ finalHead: true, changedPaths: ['README.md'] }));
    assert.deepEqual(s.outside, ['README.md']);
  });

  it('an empty merge (the branch was already there) changes nothing outside: the selected tests run', () => {
    assert.equal(selectTests(input({ changedPaths: [] })).scope, 'selected');
  });
});

describe('project-level test command', () => {
  const base = {
    project: 'shop',
    toolchain: { runtime: 'Node 22', install: 'npm ci', test: 'node --test {module_dir}/*.test.js', integration_test: 'node --test', project_test: 'node --test tests/*.test.js' },
    modules: [{ name: 'api', description: 'the api', interface: 'interfaces/api.interface.md' }],
    build_order: ['api'],
    assembly_order: ['api'],
  };
  const manifest = ModulesManifestSchema.parse(base);

  it('comes from the contracts, and the configuration may override it', () => {
    assert.equal(projectCommands({}, manifest).projectTest, 'node --test tests/*.test.js');
    assert.equal(projectCommands({ projectTestCommand: 'make test-project' }, manifest).projectTest, 'make test-project');
  });

  it('is dropped when the configuration overrides only the full suite (the contracts\' split may not hold)', () => {
    assert.equal(projectCommands({ integrationTestCommand: 'make check' }, manifest).projectTest, undefined);
    assert.equal(projectCommands({ integrationTestCommand: 'make check', projectTestCommand: 'make e2e' }, manifest).projectTest, 'make e2e');
  });

  it('is absent when the toolchain has none, and the gate then says the full suite runs after every merge', () => {
    const { project_test: _, ...toolchain } = base.toolchain;
    const without = ModulesManifestSchema.parse({ ...base, toolchain });
    assert.equal(projectCommands({}, without).projectTest, undefined);
    assert.match(blueprintCommands({}, without).map((c) => c.label).join('\n'), /after every merge/);
  });

  it('is shown verbatim at the blueprint gate with when it runs', () => {
    const shown = blueprintCommands({}, manifest).find((c) => c.command === 'node --test tests/*.test.js');
    assert.ok(shown);
    assert.match(shown.label, /project-level tests \(after each merge/);
  });
});
