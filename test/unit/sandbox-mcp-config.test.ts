/**
 * The parts of the sandbox and MCP configuration that need no process: schemas, the credential and
 * .env lists, the availability check's message, the refusal note, and the MCP access rules.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigSchema, loadConfig } from '../../src/core/config';
import { sandboxOverride, settingsToConfig } from '../../src/extension/models/settingsToConfig';
import { readWorkspaceMcp } from '../../src/core/mcp/workspaceConfig';
import { describeEvent } from '../../src/extension/models/eventText';
import { checkSandbox } from '../../src/core/sandbox/availability';
import { credentialPaths, envFilesIn } from '../../src/core/sandbox/policy';
import { sandboxNote } from '../../src/core/sandbox/bashTool';
import { networkNote } from '../../src/core/sandbox/config';
import { qualifiedToolName, serversFor, toolAllowed } from '../../src/core/mcp/access';
import { mcpSecrets, serverOnlyEnv } from '../../src/core/mcp/config';

describe('sandbox configuration', () => {
  it('is on by default with no network', () => {
    const cfg = ConfigSchema.parse({});
    assert.deepEqual(cfg.sandbox, { enabled: true, allowedDomains: [] });
    assert.match(networkNote(cfg.sandbox), /network is off.*package registry must have it allow-listed/);
  });

  it('accepts host patterns and refuses URLs and junk, naming the entry', () => {
    const ok = ConfigSchema.safeParse({ sandbox: { allowedDomains: ['registry.npmjs.org', '*.pypi.org', 'files.pythonhosted.org:443', '127.0.0.1:3000', '[::1]:8080'] } });
    assert.ok(ok.success);
    for (const bad of ['https://registry.npmjs.org', 'reg istry.org', '', 'a/b', '*']) {
      const r = ConfigSchema.safeParse({ sandbox: { allowedDomains: [bad] } });
      assert.equal(r.success, false, bad);
      assert.deepEqual(r.error!.issues[0]!.path, ['sandbox', 'allowedDomains', 0]);
    }
  });

  it('hides the usual credential locations and the VS Code secret store', () => {
    const paths = credentialPaths('/home/u');
    for (const p of ['.ssh', '.aws', '.config/gh', '.npmrc', '.netrc', '.local/share/keyrings', '.config/Code/User/globalStorage']) {
      assert.ok(paths.includes(path.join('/home/u', p)), p);
    }
  });

  it('finds .env files in the user\'s tree but not under .git, node_modules or the runs folder', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-env-'));
    try {
      for (const f of ['.env', 'svc/.env.local', '.git/x/.env', 'node_modules/p/.env', 'runs/wt/.env', 'src/env.ts']) {
        fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
        fs.writeFileSync(path.join(root, f), 'X=1\n');
      }
      assert.deepEqual(envFilesIn(root, 4, [path.join(root, 'runs')]).sort(), [path.join(root, '.env'), path.join(root, 'svc/.env.local')]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('says how to install bubblewrap when it is missing, and refuses Windows', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-nopath-'));
    try {
      const r = await checkSandbox({ platform: 'linux', searchPath: empty });
      assert.equal(r.ok, false);
      assert.match(!r.ok ? r.reason : '', /bubblewrap \(bwrap\) and socat, not installed here; to install: Debian\/Ubuntu: `sudo apt-get install bubblewrap socat`/);
      assert.match(!r.ok ? r.reason : '', /sandbox": \{"enabled": false\}/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
    const win = await checkSandbox({ platform: 'win32' });
    assert.equal(win.ok, false);
    assert.match(!win.ok ? win.reason : '', /not available on Windows/);
  });

  it('adds the sandbox line to refusals only', () => {
    assert.equal(sandboxNote('SyntaxError: bad', 'D'), 'SyntaxError: bad');
    assert.equal(sandboxNote('x: Read-only file system', 'D'), 'x: Read-only file system\n[sandbox] D');
    assert.equal(sandboxNote('cat: /h/.ssh/k: No such file or directory', 'D', ['/h/.ssh']), 'cat: /h/.ssh/k: No such file or directory\n[sandbox] D');
  });
});

describe('MCP configuration and access', () => {
  const ro = { name: 'lookup', annotations: { readOnlyHint: true } };
  const rw = { name: 'update', annotations: { readOnlyHint: false } };
  const bare = { name: 'other' };

  it('parses stdio and HTTP servers in the Claude Code / VS Code shape and refuses bad names', () => {
    const cfg = ConfigSchema.parse({
      mcpServers: { db: { command: 'npx', args: ['-y', 'db-mcp'], env: { DB_PASSWORD: 'hunter2-long' } }, docs: { type: 'http', url: 'https://docs.example/mcp', headers: { Authorization: 'Bearer abcdefgh' } } },
      mcpAccess: { builder: { db: ['query'], docs: '*' } },
    });
    assert.deepEqual(cfg.mcpServers['db'], { command: 'npx', args: ['-y', 'db-mcp'], env: { DB_PASSWORD: 'hunter2-long' } });
    assert.deepEqual(mcpSecrets(cfg.mcpServers).sort(), ['Bearer abcdefgh', 'abcdefgh', 'hunter2-long']);
    assert.equal(ConfigSchema.safeParse({ mcpServers: { 'bad name!': { command: 'x' } } }).success, false);
    assert.equal(ConfigSchema.safeParse({ mcpServers: { s: { url: 'file:///etc/passwd' } } }).success, false);
    assert.equal(ConfigSchema.safeParse({ mcpServers: { s: { args: [] } } }).success, false);
  });

  it("refuses a server env that acts on the engine's bash or the loader before the sandbox (BASH_ENV, LD_PRELOAD, PATH, …)", () => {
    for (const name of ['BASH_ENV', 'ENV', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'DYLD_INSERT_LIBRARIES', 'PATH', 'SHELLOPTS', 'BASH_FUNC_x%%', 'NODE_OPTIONS', 'bad name']) {
      const parsed = ConfigSchema.safeParse({ mcpServers: { s: { command: 'node', env: { [name]: 'scripts/x.sh' } } } });
      assert.equal(parsed.success, false, name);
      if (!parsed.success && name !== 'bad name') assert.match(parsed.error.message, /outside the sandbox/, name);
    }
    assert.equal(ConfigSchema.safeParse({ mcpServers: { s: { command: 'node', env: { DB_URL: 'x', PATHS_FILE: 'y' } } } }).success, true);
    // Dropped at the start too, for a config that did not go through the schema.
    assert.deepEqual(serverOnlyEnv({ BASH_ENV: 'x.sh', LD_PRELOAD: '/tmp/e.so', DB_URL: 'x', 'A=B': 'c' }), { DB_URL: 'x' });
  });

  it('gives a role nothing unless listed; QC and audit only read-only tools; audit all read-only tools by default', () => {
    const access = { builder: { db: ['lookup', 'update'] }, qc: { db: '*' as const } };
    assert.equal(toolAllowed('builder', 'db', rw, access), true);
    assert.equal(toolAllowed('builder', 'db', bare, access), false);
    assert.equal(toolAllowed('builder', 'docs', ro, access), false);
    assert.equal(toolAllowed('architect', 'db', ro, access), false);
    assert.equal(toolAllowed('qc', 'db', ro, access), true);
    assert.equal(toolAllowed('qc', 'db', rw, access), false);
    assert.equal(toolAllowed('qc', 'db', bare, access), false);
    assert.equal(toolAllowed('audit', 'db', ro, {}), true);
    assert.equal(toolAllowed('audit', 'db', rw, { audit: { db: '*' } }), false);
    assert.deepEqual(serversFor('builder', ['db', 'docs'], access), ['db']);
    assert.deepEqual(serversFor('scaffold', ['db', 'docs'], access), []);
    assert.deepEqual(serversFor('audit', ['db', 'docs'], access), ['db', 'docs']);
  });

  it('names tools mcp__server__tool, and leaves out names the API would refuse', () => {
    assert.equal(qualifiedToolName('db', 'query'), 'mcp__db__query');
    assert.equal(qualifiedToolName('db', 'bad.name'), undefined);
    assert.equal(qualifiedToolName('db', 'x'.repeat(130)), undefined);
  });
});

describe('sandbox and MCP settings from two places', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-cfg-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the allow-list is the union of .build-pipeline.json and the settings; the settings decide `enabled`; MCP entries of both are kept', () => {
    fs.writeFileSync(
      path.join(dir, '.build-pipeline.json'),
      JSON.stringify({ sandbox: { enabled: false, allowedDomains: ['registry.npmjs.org'] }, mcpServers: { a: { command: 'a' } }, mcpAccess: { builder: { a: '*' } } }),
    );
    const cfg = loadConfig(dir, { sandbox: { enabled: true, allowedDomains: ['*.pypi.org', 'registry.npmjs.org'] }, mcpServers: { b: { url: 'https://b.example/mcp', headers: {} } } });
    assert.deepEqual(cfg.sandbox, { enabled: true, allowedDomains: ['registry.npmjs.org', '*.pypi.org'] });
    assert.deepEqual(Object.keys(cfg.mcpServers).sort(), ['a', 'b']);
    assert.deepEqual(cfg.mcpAccess, { builder: { a: '*' } });
  });

  it('VS Code settings map to the sandbox and MCP access config', () => {
    const values: Record<string, unknown> = { 'sandbox.enabled': false, 'sandbox.allowedDomains': [' registry.npmjs.org ', 3, ''], 'mcp.access': { builder: { docs: '*' } } };
    const config = settingsToConfig({
      get: <T>(k: string) => values[k] as T | undefined,
      inspect: <T>(k: string) => (k in values ? { globalValue: values[k] as T } : {}),
    });
    assert.deepEqual(config.sandbox, { enabled: false, allowedDomains: ['registry.npmjs.org'] });
    assert.deepEqual(config.mcpAccess, { builder: { docs: '*' } });
    // Left at its default, the switch still goes along (VS Code always passes sandboxOverride): on.
    assert.equal(settingsToConfig({ get: () => undefined, inspect: () => ({}) }).sandbox, undefined);
    assert.deepEqual(sandboxOverride({ get: () => undefined, inspect: () => ({}) }), { enabled: true, allowedDomains: [] });
  });

  it('reads .vscode/mcp.json servers, substituting ${workspaceFolder}, and names what it leaves out', () => {
    fs.mkdirSync(path.join(dir, '.vscode'));
    fs.writeFileSync(
      path.join(dir, '.vscode', 'mcp.json'),
      [
        '{',
        '  // comments are allowed',
        '  "inputs": [{ "id": "tok", "type": "promptString" }],',
        '  "servers": {',
        '    "files": { "type": "stdio", "command": "node", "args": ["${workspaceFolder}/srv.js"], },',
        '    "remote": { "type": "http", "url": "https://mcp.example/api" },',
        '    "secret": { "command": "x", "env": { "TOKEN": "${input:tok}" } },',
        '    "bad name": { "command": "x" },',
        '    "broken": { "type": "stdio" }',
        '  }',
        '}',
      ].join('\n'),
    );
    const ws = readWorkspaceMcp(dir);
    assert.deepEqual(ws.servers['files'], { type: 'stdio', command: 'node', args: [`${dir}/srv.js`], env: {} });
    assert.deepEqual(ws.servers['remote'], { type: 'http', url: 'https://mcp.example/api', headers: {} });
    assert.deepEqual(Object.keys(ws.servers).sort(), ['files', 'remote']);
    assert.equal(ws.skipped.length, 3);
    assert.match(ws.skipped.join('\n'), /secret: needs an \$\{input:\.\.\.\}/);
    assert.deepEqual(readWorkspaceMcp(path.join(dir, 'nowhere')), { servers: {}, skipped: [] });
  });
});

describe('unsandboxed runs in the log', () => {
  it('the run-started line warns when the shells are not sandboxed, and only then', () => {
    const base = { type: 'run-started' as const, runId: 'r1', runDir: '/x', offline: false, description: 'a tool' };
    assert.deepEqual(describeEvent({ ...base, shellsSandboxed: false }), { level: 'warn', text: 'Run r1 started with shells NOT sandboxed (sandbox.enabled is false): "a tool"' });
    assert.equal(describeEvent({ ...base, shellsSandboxed: true }).level, 'info');
  });
});
