// Tree models of the VS Code views, fed by a state snapshot and a sequence of engine events.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunState, Usage } from '../../src/core/contracts/schemas';
import type { PipelineEvent } from '../../src/core/events';
import type { ModelChange } from '../../src/extension/models/changes';
import { CostTracker } from '../../src/extension/models/costTracker';
import { describeEvent } from '../../src/extension/models/eventText';
import { costLabel, costSentence } from '../../src/extension/models/format';
import { LocksModel } from '../../src/extension/models/locksModel';
import { appendAudit, historyOf } from '../../src/core/locks/audit';
import { lockHistoryMarkdown } from '../../src/core/locks/history';
import { ModulesModel } from '../../src/extension/models/modulesModel';
import { ROLE_TIER_KEYS, runConfigFromSettings, settingsToConfig, type SettingInspection, type SettingsReader } from '../../src/extension/models/settingsToConfig';
import { agentLimitsFor, CONFIG_FILE, ConfigSchema, defaultConfig, loadConfig, ROLES } from '../../src/core/config';
import { projectRoot } from '../integration/harness';

/** The extension's settings as VS Code reports them: defaults from package.json, `user` set at `level`. */
function settingsReader(user: Record<string, unknown>, level: keyof SettingInspection<unknown> = 'globalValue'): SettingsReader {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8'));
  const properties = pkg.contributes.configuration.properties as Record<string, { default?: unknown }>;
  const defaults = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k.replace(/^buildPipeline\./, ''), v.default]));
  return {
    get: <T>(key: string) => (key in user ? user[key] : defaults[key]) as T | undefined,
    inspect: <T>(key: string) => ({ defaultValue: defaults[key] as T, ...(key in user ? { [level]: user[key] as T } : {}) }),
  };
}
import { StagesModel } from '../../src/extension/models/stagesModel';
import { pendingStages, runStateFixture } from './runStateFixture';

const usage = (input: number, output: number): Usage => ({ input, output, cacheRead: 0, cacheWrite: 0, calls: 1 });

function baseState(runDir: string): RunState {
  return runStateFixture({ runDir, stages: pendingStages(['architect', 'scaffold', 'build', 'assemble']) });
}

const verdict = (v: 'PASS' | 'FAIL-MAJOR') => ({ verdict: v, summary: 's', tests_run: true, tests_passed: v === 'PASS', findings: [] });

describe('extension tree models', () => {
  it('Stages: running, usage, waiting gate and its decision, refreshing only the changed stage', () => {
    const m = new StagesModel();
    m.loadState(baseState('/runs/r'));
    const changes: ModelChange<unknown>[] = [];
    m.onDidChange((c) => changes.push(c));
    const costs = new CostTracker();
    const feed = (e: PipelineEvent, now: number) => m.apply(e, costs.observe(e), now);

    feed({ type: 'stage-started', stage: 'architect' }, 1000);
    assert.equal(changes.at(-1)?.kind, 'nodes', 'a known stage refreshes alone');
    feed({ type: 'agent-started', agentId: 'a1', role: 'architect', model: 'claude-opus-5-5', }, 1100);
    feed({ type: 'agent-usage', agentId: 'a1', role: 'architect', stage: 'architect', usage: usage(1_000_000, 0) }, 1200);
    const architect = m.roots().find((n) => n.kind === 'stage' && n.id === 'architect');
    assert.ok(architect && architect.kind === 'stage');
    assert.equal(architect.status, 'running');
    assert.equal(architect.usage.input, 1_000_000);
    assert.equal(architect.costUsd, 4, 'Opus 5.5 input priced per million tokens');
    assert.equal(costs.totalUsd, 4);

    feed({ type: 'gate-waiting', gate: 'blueprint', summary: 'Blueprint ready: 2 modules, 2 ADRs, 1 locked decisions' }, 2000);
    assert.equal(changes.at(-1)?.kind, 'structure');
    const [first] = m.roots();
    assert.equal(first?.kind, 'gate', 'the waiting gate is shown first');
    assert.equal(architect.gate, 'blueprint', 'and the running stage is marked as waiting');

    feed({ type: 'gate-decided', decision: { gate: 'blueprint', decision: 'approve', by: 'vscode', at: 'now' } }, 2500);
    feed({ type: 'stage-ended', stage: 'architect', status: 'done' }, 3000);
    assert.equal(m.waitingGate, undefined);
    assert.equal(architect.gate, undefined);
    assert.equal(architect.status, 'done');
    assert.equal(architect.endedAt! - architect.startedAt!, 2000);

    feed({ type: 'stage-started', stage: 'harden' }, 4000);
    assert.equal(changes.at(-1)?.kind, 'structure', 'a stage the snapshot did not list is added');
    assert.equal(m.roots().length, 5);
  });

  it('Modules: status, worktree, verdict, fix cycles, merge', () => {
    const m = new ModulesModel();
    m.loadState(baseState('/runs/r'));
    const events: PipelineEvent[] = [
      { type: 'module-status', module: 'parser', status: 'building' },
      { type: 'worktree-added', module: 'parser', path: '/runs/r/worktrees/parser', branch: 'orchestration/x/parser' },
      { type: 'worktree-added', module: 'integration', path: '/runs/r/worktrees/integration', branch: 'orchestration/x/integration' },
      { type: 'module-status', module: 'parser', status: 'qc' },
      { type: 'module-verdict', module: 'parser', verdict: verdict('FAIL-MAJOR'), attempt: 1, reportPath: '/runs/r/qc/parser-build-qc.md' },
      { type: 'module-status', module: 'parser', status: 'fixing' },
      { type: 'module-status', module: 'parser', status: 'qc' },
      { type: 'module-verdict', module: 'parser', verdict: verdict('PASS'), attempt: 2, reportPath: '/runs/r/qc/parser-build-qc.md' },
      { type: 'module-status', module: 'parser', status: 'passed' },
      { type: 'worktree-removed', module: 'parser', path: '/runs/r/worktrees/parser' },
      { type: 'merge', module: 'parser', result: 'clean', tests: 'pass' },
      { type: 'module-status', module: 'parser', status: 'merged' },
    ];
    for (const e of events) m.apply(e);
    assert.deepEqual(m.roots().map((n) => n.name), ['parser'], 'the integration worktree is not a module');
    const parser = m.get('parser')!;
    assert.equal(parser.status, 'merged');
    assert.equal(parser.branch, 'orchestration/x/parser');
    assert.equal(parser.verdict, 'PASS');
    assert.equal(parser.qcAttempts, 2);
    assert.equal(parser.fixCycles, 1);
    assert.equal(parser.worktree, undefined);
    assert.equal(parser.reportPath, '/runs/r/qc/parser-build-qc.md');
    assert.deepEqual(parser.merge, { result: 'clean', tests: 'pass' });
  });

  it('Modules: a module named only by a later event gets the run branch name', () => {
    const m = new ModulesModel();
    m.apply({ type: 'run-started', runId: 'R1', runDir: '/runs/R1', offline: false, description: 'd' });
    m.apply({ type: 'module-status', module: 'store', status: 'building' });
    assert.equal(m.get('store')?.branch, 'orchestration/R1/store');
  });

  it('Locks: decisions and interfaces by level, ADRs linked to decisions, invalid files read as empty', () => {
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-locks-'));
    const contracts = path.join(runDir, 'worktrees', 'integration', '.orchestration', 'contracts');
    fs.mkdirSync(path.join(contracts, 'decisions'), { recursive: true });
    const m = new LocksModel();
    m.reload(runDir);
    assert.equal(m.roots().length, 0);
    assert.equal(m.problem, 'no locks.json yet');
    const entry = (level: string) => ({ locked_by: 'architect', lock_level: level, affects: ['api'], assertion: 'x', locked_at: '2026-11-21' });
    fs.writeFileSync(
      path.join(contracts, 'locks.json'),
      JSON.stringify({ decisions: { 'storage-format': entry('locked'), 'auth-tokens': entry('critical'), naming: entry('unlocked') }, interfaces: { api: entry('locked') } }),
    );
    fs.writeFileSync(path.join(contracts, 'decisions', '001-storage-format.md'), '# Storage format: JSON lines\n\nStatus: Accepted\n');
    fs.writeFileSync(path.join(contracts, 'decisions', 'notes.txt'), 'not an ADR');
    m.reload(runDir);
    const [decisions, interfaces, adrs] = m.roots();
    assert.equal(decisions?.group, 'decisions');
    assert.deepEqual(decisions?.children.map((c) => (c.kind === 'lock' ? `${c.key}:${c.level}` : '')), ['auth-tokens:critical', 'storage-format:locked', 'naming:unlocked']);
    const storage = decisions?.children[1];
    assert.ok(storage?.kind === 'lock' && storage.adr?.title === 'Storage format: JSON lines');
    assert.equal(interfaces?.children.length, 1);
    assert.equal(adrs?.children.length, 1);
    assert.deepEqual(m.counts(), { decisions: 3, interfaces: 1, locked: 3, adrs: 1 });
    fs.writeFileSync(path.join(contracts, 'locks.json'), '{"decisions": {"x": {"lock_level": "maybe"}}}');
    m.reload(runDir);
    assert.equal(m.problem, 'locks.json does not match the schema');
    fs.rmSync(runDir, { recursive: true, force: true });
  });

  it('Locks: the last applied change from the audit trail is on the node; the history lists every attempt, newest first', () => {
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-locks-'));
    const contracts = path.join(runDir, 'worktrees', 'integration', '.orchestration', 'contracts');
    fs.mkdirSync(contracts, { recursive: true });
    const entry = { locked_by: 'architect', lock_level: 'locked', affects: [], assertion: 'x', locked_at: '2026-11-21' };
    fs.writeFileSync(path.join(contracts, 'locks.json'), JSON.stringify({ decisions: { 'storage-format': entry }, interfaces: {} }));
    const base = { kind: 'decision' as const, key: 'storage-format', item: 'decision storage-format', level: 'locked' as const };
    appendAudit(contracts, { ...base, at: '2026-11-22T10:00:00.000Z', who: { role: 'master', name: 'master-1' }, outcome: 'applied', old: 'JSON', new: 'JSON lines', reason: 'conflict store-append' });
    appendAudit(contracts, { ...base, at: '2026-11-22T11:00:00.000Z', who: { role: 'builder', name: 'builder-store-0' }, outcome: 'refused', new: 'CSV', reason: 'faster', refusal: 'builder agents never modify contracts' });
    const m = new LocksModel();
    m.reload(runDir);
    const node = m.roots()[0]?.children[0];
    assert.ok(node?.kind === 'lock');
    assert.equal(node.lastChange?.who.name, 'master-1', 'a refused attempt is not a change');
    const md = lockHistoryMarkdown('decision', 'storage-format', historyOf(contracts, 'decision', 'storage-format'));
    assert.ok(md.indexOf('refused') < md.indexOf('applied'), md);
    assert.match(md, /Refused: builder agents never modify contracts/);
    fs.rmSync(runDir, { recursive: true, force: true });
  });
});

describe('extension helpers', () => {
  it('settings map onto the engine config: only what the user set, and only usable values', () => {
    const config = settingsToConfig(
      settingsReader({
        'models.opus': 'o', 'models.haiku': '  ',
        'roleTiers.builder': 'haiku', 'roleTiers.qc': 'bogus',
        'waveLimits.opus': 2, 'waveLimits.sonnet': 0,
        moduleTestCommand: '  npm test -- {module}  ',
      }),
    );
    assert.deepEqual(config, { tierModels: { opus: 'o' }, roleTiers: { builder: 'haiku' }, waveLimits: { opus: 2 }, moduleTestCommand: 'npm test -- {module}' });
  });

  it('settings left at their defaults override nothing; a budget of 0 set on purpose does', () => {
    assert.deepEqual(settingsToConfig(settingsReader({})), {});
    // Set to the same value as the default is still set: the user said so.
    assert.deepEqual(settingsToConfig(settingsReader({ 'roleTiers.architect': 'opus', budgetUsd: 0 })), { roleTiers: { architect: 'opus' }, budgetUsd: 0 });
    // Workspace and folder settings count as set, like user settings.
    assert.deepEqual(settingsToConfig(settingsReader({ 'waveLimits.haiku': 3 }, 'workspaceFolderValue')), { waveLimits: { haiku: 3 } });
  });

  it('buildPipeline.planReview: off set in VS Code turns the plan review off over the file; left at its default it changes nothing', () => {
    assert.deepEqual(settingsToConfig(settingsReader({ planReview: false })), { planReview: false });
    assert.deepEqual(settingsToConfig(settingsReader({ planReview: 'no' })), {}, 'not a boolean: left to the file');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-settings-'));
    try {
      assert.equal(loadConfig(dir).planReview, true, 'on by default');
      fs.writeFileSync(path.join(dir, CONFIG_FILE), JSON.stringify({ planReview: false }));
      assert.equal(loadConfig(dir, settingsToConfig(settingsReader({}))).planReview, false, "the file's off stays off");
      assert.equal(loadConfig(dir, settingsToConfig(settingsReader({ planReview: true }))).planReview, true);
      fs.writeFileSync(path.join(dir, CONFIG_FILE), JSON.stringify({ planReview: 'off' }));
      assert.throws(() => loadConfig(dir), /planReview: .*expected boolean/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("MCP servers a repository's .build-pipeline.json names reach a VS Code run only with the machine-scoped opt-in, and the log says so", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-settings-'));
    try {
      const servers = { tracker: { type: 'http', url: 'https://tracker.example/mcp', headers: {} }, docs: { command: 'docs-mcp', args: [], env: {} } };
      fs.writeFileSync(path.join(dir, CONFIG_FILE), JSON.stringify({ mcpServers: servers, planReview: false }));
      fs.mkdirSync(path.join(dir, '.vscode'));
      fs.writeFileSync(path.join(dir, '.vscode', 'mcp.json'), JSON.stringify({ servers: { local: { command: 'local-mcp' } } }));
      const warnings: string[] = [];
      const closed = loadConfig(dir, runConfigFromSettings(settingsReader({}), dir, (m) => warnings.push(m)));
      assert.deepEqual(closed.mcpServers, {}, 'no server of the repository without the opt-in');
      assert.equal(closed.planReview, false, "the file's other settings still count");
      assert.deepEqual(warnings, ['MCP servers in .build-pipeline.json left out ("tracker", "docs"): allow the workspace\'s servers with the setting buildPipeline.mcp.useWorkspaceServers']);
      assert.equal(closed.sandbox.enabled, true);
      const open = loadConfig(dir, runConfigFromSettings(settingsReader({ 'mcp.useWorkspaceServers': true }), dir, (m) => warnings.push(m)));
      assert.deepEqual(Object.keys(open.mcpServers).sort(), ['docs', 'local', 'tracker']);
      // The CLI passes no such override: the file decides there, as it decides sandbox.enabled.
      assert.deepEqual(Object.keys(loadConfig(dir).mcpServers).sort(), ['docs', 'tracker']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('.build-pipeline.json keeps every entry the user did not set in VS Code', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-settings-'));
    try {
      fs.writeFileSync(
        path.join(dir, CONFIG_FILE),
        JSON.stringify({ roleTiers: { architect: 'sonnet', qc: 'haiku' }, waveLimits: { opus: 2, sonnet: 3 }, budgetUsd: 5, integrationTestCommand: 'npm test' }),
      );
      const config = loadConfig(dir, settingsToConfig(settingsReader({ 'roleTiers.qc': 'opus', 'waveLimits.sonnet': 6 })));
      assert.deepEqual(config.roleTiers, {
        architect: 'sonnet', scaffold: 'opus', qc: 'opus', master: 'opus', training: 'sonnet',
        auditPlanner: 'opus', auditWorker: 'sonnet', auditCoordinator: 'sonnet', shipper: 'sonnet',
      });
      assert.deepEqual(config.waveLimits, { opus: 2, sonnet: 6, haiku: 12 });
      assert.equal(config.budgetUsd, 5);
      assert.equal(config.integrationTestCommand, 'npm test');
      assert.deepEqual(config.tierModels, defaultConfig().tierModels);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every role the engine gives a tier or limits of its own has a VS Code setting with the engine default (issue #7)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8'));
    const properties = pkg.contributes.configuration.properties as Record<string, { default?: unknown; enum?: unknown[]; properties?: Record<string, unknown> }>;
    const defaults = defaultConfig().roleTiers as Record<string, string | undefined>;
    assert.ok(ROLE_TIER_KEYS.length >= 10, ROLE_TIER_KEYS.join(', '));
    for (const role of ROLE_TIER_KEYS) {
      const setting = properties[`buildPipeline.roleTiers.${role}`];
      assert.ok(setting, `package.json declares no buildPipeline.roleTiers.${role}`);
      assert.equal(setting.default ?? undefined, defaults[role], `default of buildPipeline.roleTiers.${role}`);
      assert.ok(setting.enum?.includes('haiku'), `buildPipeline.roleTiers.${role} offers the tiers`);
    }
    const limitRoles = Object.keys(properties['buildPipeline.roleLimits']?.properties ?? {}).sort();
    assert.deepEqual(limitRoles, [...ROLES].sort());
  });

  it('the audit, shipping and training roles reach the engine config from their settings', () => {
    const config = settingsToConfig(
      settingsReader({
        'roleTiers.auditPlanner': 'sonnet', 'roleTiers.auditWorker': 'haiku', 'roleTiers.auditCoordinator': 'haiku',
        'roleTiers.shipper': 'opus', 'roleTiers.training': 'haiku',
        roleLimits: { 'audit-worker': { maxTurns: 30 }, shipper: { maxTokens: 8000 }, training: { thinkingBudget: 2048 } },
      }),
    );
    assert.deepEqual(config.roleTiers, { training: 'haiku', auditPlanner: 'sonnet', auditWorker: 'haiku', auditCoordinator: 'haiku', shipper: 'opus' });
    const engine = ConfigSchema.parse(config);
    assert.equal(engine.roleTiers.auditWorker, 'haiku');
    assert.equal(engine.roleTiers.architect, 'opus', 'roles not set keep their default');
    assert.equal(agentLimitsFor(engine, 'audit-worker', 'haiku').maxTurns, 30);
    assert.equal(agentLimitsFor(engine, 'shipper', 'opus').maxTokens, 8000);
    assert.equal(agentLimitsFor(engine, 'training', 'haiku').thinkingBudget, 2048);
  });

  it('one tier model set in VS Code keeps the other tiers at their defaults (it made the config invalid before)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-settings-'));
    try {
      const config = loadConfig(dir, settingsToConfig(settingsReader({ 'models.haiku': 'claude-custom-haiku' })));
      assert.deepEqual(config.tierModels, { ...defaultConfig().tierModels, haiku: 'claude-custom-haiku' });
      fs.writeFileSync(path.join(dir, CONFIG_FILE), JSON.stringify({ tierModels: { sonnet: 'claude-file-sonnet' } }));
      assert.deepEqual(loadConfig(dir).tierModels, { ...defaultConfig().tierModels, sonnet: 'claude-file-sonnet' });
      assert.throws(() => loadConfig(dir, { tierModels: { opus: '' } }), /tierModels\.opus/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('offline, cost labels say the figure is at API prices and nothing was charged', () => {
    assert.equal(costLabel(0.4213, true), '≈$0.42 at API prices');
    assert.equal(costLabel(0.4213, false), '≈$0.42');
    assert.equal(costSentence(0.4213, true), 'estimated cost at API prices: $0.42 (the scripted model charged nothing)');
    assert.equal(costSentence(0.4213, false), 'estimated cost ≈$0.42');
  });

  it('agent limits and context settings reach the engine config only where the user set them, and validate', () => {
    const values: Record<string, unknown> = {
      roleLimits: { architect: { maxTokens: 64_000, thinkingBudget: 0 }, builder: { maxTurns: 300, bogus: 1 }, qc: {} },
      tierLimits: { haiku: { maxTokens: 8000 } },
      maxAgentTurns: 90,
      toolResultMaxChars: 20_000,
    };
    const config = settingsToConfig(settingsReader(values));
    assert.deepEqual(config.roleLimits, { architect: { maxTokens: 64_000, thinkingBudget: 0 }, builder: { maxTurns: 300 } });
    assert.deepEqual(config.tierLimits, { haiku: { maxTokens: 8000 } });
    assert.equal(config.maxAgentTurns, 90);
    assert.equal(config.maxTokens, undefined);
    assert.equal(config.contextWindowTokens, undefined);
    const engine = ConfigSchema.parse(config);
    assert.deepEqual(agentLimitsFor(engine, 'architect', 'opus'), { maxTokens: 64_000, maxTurns: 90, thinkingBudget: 0 });
    assert.deepEqual(agentLimitsFor(engine, 'qc', 'haiku'), { maxTokens: 8000, maxTurns: 90, thinkingBudget: 0 });
    const none = settingsToConfig(settingsReader({}));
    assert.equal(none.roleLimits, undefined);
    assert.equal(none.toolResultMaxChars, undefined);
  });

  it('events read as human words in the log', () => {
    assert.deepEqual(describeEvent({ type: 'stage-ended', stage: 'architect', status: 'failed', detail: 'bad' }), {
      level: 'error',
      text: 'Architect stage failed: bad',
    });
    assert.equal(describeEvent({ type: 'tool-call', agentId: 'b1', tool: 'write', input: 'x' }).level, 'trace');
    assert.match(describeEvent({ type: 'merge', module: 'm', result: 'conflict', tests: 'not-run' }).text, /conflict/);
  });
});
