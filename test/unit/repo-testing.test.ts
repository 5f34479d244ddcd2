import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { declaredDependencyFiles, nodeInstallCommand, testedOtherwise } from '../../src/core/stack/repoTesting';

describe('what a repository says about its tests and dependencies (for implement, which has no toolchain)', () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-repo-testing-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
  const write = (rel: string, text: string) => fs.writeFileSync(path.join(root, rel), text);

  it('a package.json test script other than node --test is named; node --test, npm\'s placeholder or none say nothing', () => {
    assert.equal(testedOtherwise(root), undefined);
    write('package.json', JSON.stringify({ scripts: { test: 'node --test test/' } }));
    assert.equal(testedOtherwise(root), undefined);
    write('package.json', JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }));
    assert.equal(testedOtherwise(root), undefined);
    write('package.json', JSON.stringify({ scripts: { test: 'jest   --ci' } }));
    assert.equal(testedOtherwise(root), 'its package.json test script (`jest --ci`, run by `npm test`)');
    write('package.json', '{ not json');
    assert.equal(testedOtherwise(root), undefined, 'an unreadable package.json says nothing, and is not mistaken for another stack');
  });

  it('Python, Go and Rust projects are named by their manifests', () => {
    write('pyproject.toml', '[project]\nname = "x"\n');
    assert.equal(testedOtherwise(root), 'Python (pytest or unittest)');
    fs.rmSync(path.join(root, 'pyproject.toml'));
    write('go.mod', 'module x\n');
    assert.equal(testedOtherwise(root), '`go test ./...`');
    fs.rmSync(path.join(root, 'go.mod'));
    write('Cargo.toml', '[package]\n');
    assert.equal(testedOtherwise(root), '`cargo test`');
  });

  it('dependencies: package.json (dependencies or devDependencies), requirements.txt with a package, pyproject.toml with a dependency list', () => {
    assert.deepEqual(declaredDependencyFiles(root), []);
    write('package.json', JSON.stringify({ dependencies: {}, devDependencies: {} }));
    write('requirements.txt', '# nothing yet\n\n');
    write('pyproject.toml', '[project]\ndependencies = []\n');
    assert.deepEqual(declaredDependencyFiles(root), []);
    write('package.json', JSON.stringify({ devDependencies: { mocha: '^11' } }));
    write('requirements.txt', '# pinned\nrequests==2.32.3\n');
    write('pyproject.toml', '[project]\ndependencies = [\n  "httpx>=0.27",\n]\n');
    assert.deepEqual(declaredDependencyFiles(root), ['package.json', 'requirements.txt', 'pyproject.toml']);
  });

  it('the install command of a Node project: none without dependencies; by the lockfile with them', () => {
    write('package.json', JSON.stringify({ scripts: { test: 'node --test' } }));
    assert.equal(nodeInstallCommand(root), undefined);
    write('package.json', JSON.stringify({ dependencies: { pad: 'file:vendor/pad' } }));
    assert.equal(nodeInstallCommand(root), 'npm install --no-audit --no-fund');
    write('package-lock.json', '{}');
    assert.equal(nodeInstallCommand(root), 'npm ci --no-audit --no-fund');
    write('yarn.lock', '');
    assert.equal(nodeInstallCommand(root), 'yarn install --frozen-lockfile');
    write('.yarnrc.yml', 'nodeLinker: pnp\n');
    assert.equal(nodeInstallCommand(root), undefined, "Yarn 2+ (Plug'n'Play): nothing to lend; planInstallCommand says how");
    fs.rmSync(path.join(root, '.yarnrc.yml'));
    write('pnpm-lock.yaml', '');
    assert.equal(nodeInstallCommand(root), 'pnpm install --frozen-lockfile');
    fs.rmSync(path.join(root, 'package.json'));
    write('requirements.txt', 'requests\n');
    assert.equal(nodeInstallCommand(root), undefined, 'other stacks say theirs with planInstallCommand');
  });
});
