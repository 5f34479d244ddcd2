/**
 * Real dependency installs with the sandbox on (issue 6): a tiny npm registry served on loopback by
 * the test (package metadata JSON and a tarball made by `npm pack` of a local folder), and a real
 * `npm install` run through the engine's sandboxed command runner. Without the registry in
 * sandbox.allowedDomains the install is refused before a byte reaches the registry and the hint names
 * the setting; with it, the package is installed. No internet is needed: the refusal of the public
 * registry in the pipeline case happens at the sandbox's proxy, which decides by name.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { openRunSandbox } from '../../src/core/sandbox/runSandbox';
import { networkRefusalHint } from '../../src/core/sandbox/networkRefusal';
import { runCommand } from '../../src/core/shell';
import { agentShellEnv } from '../../src/core/agents/env';
import { makeRepo, runPipeline, snapshotUserTree, type TestRepo } from './harness';
import { readJournal } from '../../src/core/run/journal';

const PKG = 'bp-tiny-dep';

interface Registry {
  port: number;
  /** Every request path the registry saw, in order. */
  hits: string[];
  close(): Promise<void>;
}

/** `npm pack` of a one-file package, served as an npm registry serves it: metadata, then the tarball. */
async function startRegistry(root: string): Promise<Registry> {
  const src = path.join(root, 'pkg-src');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'package.json'), JSON.stringify({ name: PKG, version: '1.0.0', main: 'index.js' }));
  fs.writeFileSync(path.join(src, 'index.js'), "'use strict';\nmodule.exports = () => 'tiny dependency loaded';\n");
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', root], { cwd: src, encoding: 'utf8' })) as { filename: string; integrity: string; shasum: string }[];
  const { filename, integrity, shasum } = packed[0]!;
  const tarball = fs.readFileSync(path.join(root, filename));
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const port = (server.address() as { port: number }).port;
    if (req.url === `/${PKG}`) {
      res.setHeader('content-type', 'application/json');
      const version = { name: PKG, version: '1.0.0', main: 'index.js', dist: { tarball: `http://127.0.0.1:${port}/${PKG}/-/${filename}`, integrity, shasum } };
      res.end(JSON.stringify({ name: PKG, 'dist-tags': { latest: '1.0.0' }, versions: { '1.0.0': version } }));
    } else if (req.url === `/${PKG}/-/${filename}`) {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(tarball);
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function appFolder(root: string): string {
  const app = path.join(root, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { [PKG]: '1.0.0' } }, null, 2));
  return app;
}

describe('dependency installs through the sandbox (real sandbox runtime, loopback npm registry)', function () {
  this.timeout(180_000);
  let root: string;
  let registry: Registry;

  beforeEach(async () => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-registry-')));
    registry = await startRegistry(root);
  });
  afterEach(async () => {
    await registry.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  // The sandbox's environment lists loopback in NO_PROXY, which would send npm around the proxy into
  // the sandbox's own empty network; a registry on a public host needs no such prefix.
  const install = (port: number) => `NO_PROXY= no_proxy= npm install --registry http://127.0.0.1:${port}/ --no-audit --no-fund --fetch-retries=0`;

  it('is refused without the registry in sandbox.allowedDomains, nothing reaches the registry, and the hint names the setting and the host', async () => {
    const app = appFolder(root);
    const line = install(registry.port);
    const sandbox = await openRunSandbox({ enabled: true, allowedDomains: [] }, { repoRoot: app, runsRoot: root });
    try {
      const run = await runCommand(line, app, agentShellEnv('engine'), 120_000, undefined, sandbox);
      assert.notEqual(run.exitCode, 0, run.output);
      assert.deepEqual(registry.hits, [], 'the refused install reached the registry');
      assert.ok(!fs.existsSync(path.join(app, 'node_modules', PKG)));
      const hint = networkRefusalHint(line, run.output, sandbox);
      assert.ok(hint, `no hint for:\n${run.output}`);
      assert.match(hint, /sandbox\.allowedDomains \(it allows none\)/);
      assert.match(hint, new RegExp(`add 127\\.0\\.0\\.1:${registry.port} to sandbox\\.allowedDomains`));
    } finally {
      await sandbox.close();
    }
  });

  // Before npm's cache moved into the shell's own temp folder, this failed with EROFS: the home
  // folder (~/.npm/_cacache) is read-only in the sandbox.
  it('installs the package with the registry allow-listed', async () => {
    const app = appFolder(root);
    const sandbox = await openRunSandbox({ enabled: true, allowedDomains: [`127.0.0.1:${registry.port}`] }, { repoRoot: app, runsRoot: root });
    try {
      const run = await runCommand(install(registry.port), app, agentShellEnv('engine'), 120_000, undefined, sandbox);
      assert.equal(run.exitCode, 0, run.output);
      assert.match(run.output, /added 1 package/);
      assert.ok(registry.hits.includes(`/${PKG}`), `metadata not fetched: ${registry.hits.join(', ')}`);
      assert.ok(registry.hits.some((h) => h.endsWith('.tgz')), `tarball not fetched: ${registry.hits.join(', ')}`);
      const loaded = execFileSync(process.execPath, ['-e', `console.log(require('${PKG}')())`], { cwd: app, encoding: 'utf8' }).trim();
      assert.equal(loaded, 'tiny dependency loaded');
      const lock = JSON.parse(fs.readFileSync(path.join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
      assert.equal(lock.packages[`node_modules/${PKG}`]?.version, '1.0.0');
    } finally {
      await sandbox.close();
    }
  });

  it('allow-listed but dialled around the proxy (loopback is in the sandbox\'s NO_PROXY): the hint says to clear NO_PROXY', async () => {
    const app = appFolder(root);
    const line = `npm install --registry http://127.0.0.1:${registry.port}/ --no-audit --no-fund --fetch-retries=0`;
    const sandbox = await openRunSandbox({ enabled: true, allowedDomains: [`127.0.0.1:${registry.port}`] }, { repoRoot: app, runsRoot: root });
    try {
      const run = await runCommand(line, app, agentShellEnv('engine'), 120_000, undefined, sandbox);
      assert.notEqual(run.exitCode, 0, run.output);
      assert.match(run.output, /ECONNREFUSED/);
      assert.deepEqual(registry.hits, []);
      assert.match(networkRefusalHint(line, run.output, sandbox) ?? '', /NO_PROXY= no_proxy=/);
    } finally {
      await sandbox.close();
    }
  });
});

describe('pipeline: an install the sandbox keeps off the network', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('stops before any builder with the hint to allow-list the public registry, and leaves the user\'s tree alone', async () => {
    // An existing project that depends on a package: the engine installs it before running its tests.
    const pkg = { name: 'existing-app', version: '1.0.0', private: true, scripts: { test: 'node --test' }, dependencies: { [PKG]: '1.0.0' } };
    fs.writeFileSync(path.join(repo.root, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
    fs.mkdirSync(path.join(repo.root, 'lib'));
    fs.writeFileSync(path.join(repo.root, 'lib', 'ok.test.js'), "'use strict';\nrequire('node:test')('ok', () => {});\n");
    repo.git('add', 'package.json', 'lib');
    repo.git('commit', '-q', '-m', 'user: existing app with a dependency');
    const before = snapshotUserTree(repo);
    const { result } = await runPipeline(repo);
    assert.equal(result.status, 'halted');
    const reason = result.state.haltReason ?? '';
    assert.match(reason, /The install could not reach the network/);
    assert.match(reason, /add registry\.npmjs\.org to sandbox\.allowedDomains/);
    assert.match(reason, /it allows none/);
    const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
    const roles = journal.filter((e) => e.type === 'agent-started').map((e) => (e.type === 'agent-started' ? e.role : ''));
    assert.deepEqual(roles.filter((r) => r !== 'training'), ['architect'], 'no scaffold or builder agent was paid for');
    assert.deepEqual(snapshotUserTree(repo), before);
  });
});
