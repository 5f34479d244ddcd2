/**
 * MCP servers with the real MCP client and a real stdio server (test/fixtures/mcp-notes-server.ts)
 * started inside the shell sandbox, the real engine and SDK, and the scripted model: a builder calls
 * the server's tool and the answer reaches it; a role without the server in its allow-list does not
 * see it; the server crashing mid-call is a clear tool error and the run goes on.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openRunMcp } from '../../src/core/mcp/runMcp';
import { openRunSandbox } from '../../src/core/sandbox/runSandbox';
import { readJournal } from '../../src/core/run/journal';
import { startScriptedModel } from '../../src/scripted';
import { sampleDescription } from '../../src/scripted';
import { startRun } from '../../src/core/engine';
import { approveAll, FAST_CONFIG, makeRepo, type TestRepo } from './harness';

const SERVER = path.join(__dirname, '..', 'fixtures', 'mcp-notes-server.js');
const TOKEN = 'notes-token-7f3a9c1e5b';

describe('MCP servers (real MCP client, stdio server in the sandbox)', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('a builder calls a server tool and gets its answer; roles without the server in their allow-list do not see it; a crash is a clear tool error and the run goes on', async () => {
    const model = await startScriptedModel({ scenario: 'mcp-tools', target: 'greeter' });
    try {
      const handle = await startRun({
        repoRoot: repo.root,
        description: sampleDescription,
        offline: true,
        baseURL: model.url,
        gate: approveAll,
        approver: 'test',
        config: {
          ...FAST_CONFIG,
          mcpServers: { notes: { command: process.execPath, args: [SERVER], env: { NOTES_TOKEN: TOKEN } } },
          mcpAccess: { builder: { notes: '*' }, qc: { notes: ['crash'] } },
        },
      });
      const result = await handle.done;
      assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');

      // The answer reached the builder: it wrote what the server said into its module.
      const note = repo.git('show', `${result.state.integrationBranch}:src/greeter/mcp-note.txt`);
      assert.match(note, /^notes on greeter: keep its public API small \(authorised by notes-token-7f3a9c1e5b\)$/);

      const seen = model.stats().toolsSeen;
      assert.ok(seen.builder.includes('mcp__notes__lookup') && seen.builder.includes('mcp__notes__crash'), seen.builder.join(', '));
      // QC is listed for crash only, a tool that is not read-only: QC writes nowhere, so it gets nothing.
      assert.deepEqual(seen.qc.filter((t) => t.startsWith('mcp__')), []);
      assert.ok(seen.qc.includes('submit_verdict'), 'QC ran');
      // Architect and scaffold have no entry: nothing.
      assert.deepEqual([...seen.architect, ...seen.scaffold].filter((t) => t.startsWith('mcp__')), []);

      const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
      const calls = journal.filter((e) => e.type === 'tool-call' && e.tool.startsWith('mcp__'));
      assert.deepEqual(calls.map((e) => (e.type === 'tool-call' ? `${e.agentId} ${e.tool}` : '')), ['builder-greeter-0 mcp__notes__lookup', 'builder-greeter-0 mcp__notes__crash']);
      const crash = journal.find((e) => e.type === 'tool-result' && e.tool === 'mcp__notes__crash');
      assert.ok(crash && crash.type === 'tool-result' && crash.isError, JSON.stringify(crash));
      assert.match(crash.output, /MCP server \\?"notes\\?" stopped during the call to crash/);
      assert.match(crash.output, /unavailable for the rest of this run/);
      // The server's env value never reaches the journal.
      const lookup = journal.find((e) => e.type === 'tool-result' && e.tool === 'mcp__notes__lookup');
      assert.ok(lookup && lookup.type === 'tool-result' && !lookup.isError && lookup.output.includes('[redacted]'), JSON.stringify(lookup));
      assert.ok(!JSON.stringify(journal).includes(TOKEN), 'the token is in the journal');
    } finally {
      await model.close();
    }
  });
});

describe('MCP servers that cannot start', function () {
  this.timeout(60_000);
  it('are reported once and their tools left out; the role gets the other servers\' tools', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-mcp-'));
    const sandbox = await openRunSandbox({ enabled: true, allowedDomains: [] }, { repoRoot: root, runsRoot: root });
    const warnings: string[] = [];
    const mcp = openRunMcp(
      {
        broken: { command: '/bin/sh', args: ['-c', 'echo "broken server: no database configured" >&2; exit 1'], env: {} },
        notes: { command: process.execPath, args: [SERVER], env: { NOTES_TOKEN: TOKEN } },
      },
      { builder: { broken: '*', notes: ['lookup'] } },
      { sandbox, cwd: root, warn: (m) => warnings.push(m) },
    );
    const observe = { call: () => undefined, result: () => undefined };
    try {
      const first = await mcp.toolsFor('builder', observe);
      const second = await mcp.toolsFor('builder', observe);
      assert.deepEqual(first.map((t) => t.name), ['mcp__notes__lookup']);
      assert.deepEqual(second.map((t) => t.name), ['mcp__notes__lookup']);
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0]!, /MCP server "broken" could not start: .*broken server: no database configured/);
      const answer = await first[0]!.run({ topic: 'x' }, undefined);
      assert.match(JSON.stringify(answer), /notes on x/);
    } finally {
      await mcp.close();
      await sandbox.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('an MCP call in flight when the run is cancelled', function () {
  this.timeout(60_000);
  it('is cancelled with the run instead of holding the agent until the server answers', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-mcp-'));
    const sandbox = await openRunSandbox({ enabled: true, allowedDomains: [] }, { repoRoot: root, runsRoot: root });
    const run = new AbortController();
    const mcp = openRunMcp(
      { notes: { command: process.execPath, args: [SERVER], env: { NOTES_TOKEN: TOKEN } } },
      { builder: { notes: ['slow'] } },
      { sandbox, cwd: root, warn: () => undefined, signal: run.signal },
    );
    const observe = { call: () => undefined, result: () => undefined };
    try {
      const [slow] = await mcp.toolsFor('builder', observe);
      assert.equal(slow?.name, 'mcp__notes__slow');
      const call = slow!.run({}, undefined);
      setTimeout(() => run.abort('cancelled by the user'), 300);
      // Without the run's signal the call waited the 20 s out and came back with the answer.
      await assert.rejects(Promise.resolve(call), /cancel|abort/i);
    } finally {
      await mcp.close();
      await sandbox.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("an MCP server and the user's ~/.bashrc", function () {
  this.timeout(60_000);
  it('an rc file does not run before the server (outside the sandbox, printing into the protocol)', async () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-mcp-rc-')));
    // The MCP client gives the server HOME from the engine's environment and no SHLVL; the pipe to
    // the server's stdin is a socket: just what makes bash take itself for a remote shell's and read ~/.bashrc.
    const marker = path.join(root, 'rc-ran');
    fs.writeFileSync(path.join(root, '.bashrc'), `echo rc >> '${marker}'\necho "hello from the rc file"\n`);
    const savedHome = process.env.HOME;
    process.env.HOME = root;
    const sandbox = await openRunSandbox({ enabled: true, allowedDomains: [] }, { repoRoot: root, runsRoot: root });
    const warnings: string[] = [];
    const mcp = openRunMcp({ notes: { command: process.execPath, args: [SERVER], env: { NOTES_TOKEN: TOKEN } } }, { builder: { notes: ['lookup'] } }, { sandbox, cwd: root, warn: (m) => warnings.push(m) });
    try {
      const tools = await mcp.toolsFor('builder', { call: () => undefined, result: () => undefined });
      assert.deepEqual(warnings, []);
      assert.deepEqual(tools.map((t) => t.name), ['mcp__notes__lookup']);
      assert.match(JSON.stringify(await tools[0]!.run({ topic: 'y' }, undefined)), /notes on y/);
      assert.ok(!fs.existsSync(marker), 'the rc file ran');
    } finally {
      process.env.HOME = savedHome;
      await mcp.close();
      await sandbox.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
