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
    assert.ok(modulePriority(m, 'app', 'qc') > modulePriority(m, 'docs', 'build'));
    assert.equal(modulePriority(m, 'unknown', 'build'), 0);
  });

  it('among modules equal in depth and step, the one assembly merges first goes first; never over depth or step', () => {
    // Wide: root → a, b, c, d; assembly merges them in the order d, b, a, c (a build order of its own).
    const wide = ModulesManifestSchema.parse({
      ...manifest([['root', []], ['a', ['root']], ['b', ['root']], ['c', ['root']], ['d', ['root']]]),
      assembly_order: ['root', 'd', 'b', 'a', 'c'],
    });
    const build = ['a', 'b', 'c', 'd'].sort((x, y) => modulePriority(wide, y, 'build') - modulePriority(wide, x, 'build'));
    assert.deepEqual(build, ['d', 'b', 'a', 'c']);
    // The step still counts first: the last module's QC before the first one's build.
    assert.ok(modulePriority(wide, 'c', 'qc') > modulePriority(wide, 'd', 'build'));
    // And depth before that: the root's build before any QC of a module below it.
    assert.ok(modulePriority(wide, 'root', 'build') > modulePriority(wide, 'd', 'qc'));
    assert.equal(modulePriority(wide, 'c', 'build'), 0, 'the last of the order adds nothing');
  });

  it('is computed once per manifest', () => {
    assert.equal(dependentDepths(m), dependentDepths(m));
  });
});
