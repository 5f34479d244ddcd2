import * as assert from 'node:assert/strict';
import { ModulesManifestSchema } from '../../src/core/contracts/schemas';
import { dependentDepths, modulePriority } from '../../src/core/stages/priority';

function manifest(modules: Array<[string, string[]]>) {
  return ModulesManifestSchema.parse({
    project: 'p',
    toolchain: { runtime: 'node', install: 'npm ci', test: 'node --test {module_dir}', integration_test: 'npm test' },
    modules: modules.map(([name, deps]) => ({ name, description: 'd', interface: `interfaces/${name}.interface.md`, depends_on: deps })),
    build_order: modules.map(([n]) => n),
    assembly_order: modules.map(([n]) => n),
  });
}

describe('module priority in the wave limiter (critical path first)', () => {
  // core → (api, store) → app; docs stands alone.
  const m = manifest([
    ['core', []],
    ['api', ['core']],
    ['store', ['core']],
    ['app', ['api', 'store']],
    ['docs', []],
  ]);

  it('counts the longest chain of modules that wait for each module', () => {
    assert.deepEqual(Object.fromEntries(dependentDepths(m)), { core: 2, api: 1, store: 1, app: 0, docs: 0 });
  });

  it('a module more depends on goes first; at the same depth QC and fix cycles go before a first build', () => {
    assert.ok(modulePriority(m, 'core', 'build') > modulePriority(m, 'api', 'qc'));
    assert.ok(modulePriority(m, 'api', 'qc') > modulePriority(m, 'api', 'build'));
    assert.equal(modulePriority(m, 'app', 'fix'), modulePriority(m, 'app', 'qc'));
    assert.ok(modulePriority(m, 'docs', 'qc') > modulePriority(m, 'app', 'build'));
    assert.equal(modulePriority(m, 'unknown', 'build'), 0);
  });

  it('is computed once per manifest', () => {
    assert.equal(dependentDepths(m), dependentDepths(m));
  });
});
