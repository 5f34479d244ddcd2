/**
 * The scripted agents end to end, each driven by the real SDK tool runner with the real agent
 * toolset in a temp folder (a git repository for builders and QC): the architect's contracts pass
 * the engine's validator, builders write code whose tests really pass and commit it, QC grades from
 * what it reads and runs, and every scenario's misbehaviour happens and is reacted to.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import type { BetaMessageParam, BetaToolResultBlockParam } from '@anthropic-ai/sdk/resources/beta';
import type { BuilderOutcome, QcVerdict } from '../../src/core/contracts/schemas';
import { TrainingPairSchema } from '../../src/core/training/pairs';
import { fileTools, reportOutcomeTool, ROLE_TOOLS, submitVerdictTool, type FileToolPolicy, type ResultSlot, type ToolName } from '../../src/core/agents/tools';
import { agentShellEnv } from '../../src/core/agents/env';
import { builderWritablePaths } from '../../src/core/stages/builder';
import { validateContracts, formatProblems } from '../../src/core/contracts/validator';
import { sampleDescription, startScriptedModel, syntheticDescription, type ScriptedModelHandle, type ScriptedModelOptions } from '../../src/scripted';
import { contractSet } from '../../src/scripted/projects/contracts';
import { samplePlan, syntheticPlan, type ProjectPlan } from '../../src/scripted/projects/plan';
import { scaffoldFiles } from '../../src/scripted/projects/scaffold-files';

const CONTRACTS = '.orchestration/contracts';

// ---- harness ---------------------------------------------------------------------------------

interface AgentRun {
  messages: BetaMessageParam[];
  finalText: string;
  toolResults: Array<BetaToolResultBlockParam & { tool: string; input: Record<string, unknown> }>;
}

function tempDir(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-scripted-')));
}

function writeFiles(root: string, files: Map<string, string>, under = ''): void {
  for (const [rel, content] of files) {
    const file = path.join(root, under, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

/** A repository holding a plan's contracts and skeleton, committed, as a builder's worktree would. */
function projectRepo(plan: ProjectPlan, scaffold = true): string {
  const root = tempDir();
  writeFiles(root, contractSet(plan).files, CONTRACTS);
  if (scaffold) writeFiles(root, scaffoldFiles(plan));
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'config', 'user.name', 'test');
  git(root, 'config', 'user.email', 'test@example.invalid');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'contracts and scaffold');
  return root;
}

function nodeTest(cwd: string, ...args: string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, ['--test', ...args], { cwd, encoding: 'utf8', shell: false });
  return { status: r.status, output: r.stdout + r.stderr };
}

const quiet = { call: () => {}, result: () => {} };

/** The engine's own tools (SDK toolset plus write policy, serialized writes and bash cap), as a stage would build them. */
function engineTools(root: string, names: readonly ToolName[] = ROLE_TOOLS.builder, extra: Partial<FileToolPolicy> = {}): BetaRunnableTool[] {
  return fileTools(names, { workdir: root, readOnlyRoots: [], env: agentShellEnv('test-agent'), bashTimeoutMs: 60_000, ...extra }, quiet);
}

function builderTools(root: string, module: string, slot: ResultSlot<BuilderOutcome>): BetaRunnableTool[] {
  return [
    ...engineTools(root, ROLE_TOOLS.builder, { readOnlyRoots: [path.join(root, CONTRACTS)], writable: builderWritablePaths(module, `src/${module}`) }),
    reportOutcomeTool(slot, quiet),
  ];
}

function qcTools(root: string, slot: ResultSlot<QcVerdict>): BetaRunnableTool[] {
  return [...engineTools(root, ROLE_TOOLS.qc, { readOnlyRoots: [root] }), submitVerdictTool(slot, quiet)];
}

/** Every toolset made by a test; their persistent bash shells are closed after each test. */
const openTools: BetaRunnableTool[] = [];

async function runAgent(client: Anthropic, tools: BetaRunnableTool[], messages: BetaMessageParam[], maxIterations?: number): Promise<AgentRun> {
  openTools.push(...tools);
  const runner = client.beta.messages.toolRunner({
    model: 'claude-sonnet-5-5',
    max_tokens: 16_000,
    thread: false,
    stream: true,
    ...(maxIterations ? { max_iterations: maxIterations } : {}),
    system: [{ type: 'text', text: 'You are an agent of the build pipeline.', cache_control: { type: 'ephemeral' } }],
    messages,
    tools,
  });
  for await (const stream of runner) await stream.finalMessage();
  const history = runner.params.messages as BetaMessageParam[];
  const uses = new Map<string, { name: string; input: Record<string, unknown> }>();
  const toolResults: AgentRun['toolResults'] = [];
  for (const m of history) {
    if (typeof m.content === 'string') continue;
    for (const b of m.content ?? []) {
      if (b.type === 'tool_use') uses.set(b.id, { name: b.name, input: b.input as Record<string, unknown> });
      if (b.type === 'tool_result') toolResults.push({ ...b, tool: uses.get(b.tool_use_id)?.name ?? '?', input: uses.get(b.tool_use_id)?.input ?? {} });
    }
  }
  const last = history.at(-1);
  const finalText = last?.role === 'assistant' && typeof last.content !== 'string' ? last.content.map((b) => (b.type === 'text' ? b.text : '')).join('') : '';
  return { messages: history, finalText, toolResults };
}

function resultText(r: BetaToolResultBlockParam): string {
  return typeof r.content === 'string' ? r.content : (r.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('');
}

function card(fields: Record<string, string | number>): string {
  return ['<task-card>', ...Object.entries(fields).map(([k, v]) => `${k}: ${v}`), '</task-card>'].join('\n');
}

function architectTask(description: string): BetaMessageParam[] {
  return [{ role: 'user', content: `${card({ role: 'architect', project: description, contracts_dir: CONTRACTS })}\n\n<project-description>\n${description}\n</project-description>` }];
}

function builderTask(project: string, module: string, extra: Record<string, string | number> = {}, findings?: string): BetaMessageParam[] {
  const text = card({ role: 'builder', project, module, module_dir: `src/${module}`, fix_cycle: findings ? 1 : 0, test_command: `node --test src/${module}/*.test.js`, ...extra });
  return [{ role: 'user', content: `${text}\n\nImplement the module.${findings ? `\n<qc-findings>\n${findings}\n</qc-findings>` : ''}` }];
}

function qcTask(project: string, module: string, testCommand = `node --test src/${module}/*.test.js`): BetaMessageParam[] {
  return [{ role: 'user', content: `${card({ role: 'qc', project, module, module_dir: `src/${module}`, test_command: testCommand, attempt: 1 })}\n\nGrade the module.` }];
}

// ---- tests -----------------------------------------------------------------------------------

describe('scripted agents (real SDK tool runner, real agent toolset)', function () {
  this.timeout(20_000);
  let model: ScriptedModelHandle | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await model?.close();
    model = undefined;
    for (const t of openTools.splice(0)) await t.close?.();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  async function client(opts: ScriptedModelOptions = {}): Promise<Anthropic> {
    model = await startScriptedModel(opts);
    return new Anthropic({ apiKey: 'test', baseURL: model.url, maxRetries: 2 });
  }

  function track(dir: string): string {
    dirs.push(dir);
    return dir;
  }

  /** Runs a builder, then commits what it left, standing in for the engine (which commits builders' work). */
  async function build(c: Anthropic, root: string, project: string, module: string, findings?: string): Promise<{ run: AgentRun; outcome?: BuilderOutcome; ownCommits: number }> {
    const slot: { value?: BuilderOutcome } = {};
    const before = git(root, 'rev-parse', 'HEAD');
    const run = await runAgent(c, builderTools(root, module, slot), builderTask(project, module, {}, findings));
    const ownCommits = Number(git(root, 'rev-list', '--count', `${before}..HEAD`));
    git(root, 'add', '-A');
    if (git(root, 'status', '--porcelain') !== '') git(root, 'commit', '-q', '-m', `engine: ${module}`);
    return { run, outcome: slot.value, ownCommits };
  }

  async function grade(c: Anthropic, root: string, project: string, module: string, testCommand?: string): Promise<{ run: AgentRun; verdict?: QcVerdict }> {
    const slot: { value?: QcVerdict } = {};
    const run = await runAgent(c, qcTools(root, slot), qcTask(project, module, testCommand));
    return { run, verdict: slot.value };
  }

  it('architect (sample): writes contracts the engine validator accepts, in two write turns', async () => {
    const c = await client();
    const root = track(tempDir());
    const run = await runAgent(c, engineTools(root), architectTask(sampleDescription));
    const dir = path.join(root, CONTRACTS);
    const validation = await validateContracts(dir);
    assert.ok(validation.ok, formatProblems(validation.problems));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'modules.json'), 'utf8')) as { project: string; modules: Array<{ name: string }> };
    assert.equal(manifest.project, 'greeter-cli');
    assert.deepEqual(manifest.modules.map((m) => m.name), ['formatter', 'greeter']);
    const locks = JSON.parse(fs.readFileSync(path.join(dir, 'locks.json'), 'utf8')) as { decisions: Record<string, { lock_level: string; category?: string }> };
    assert.equal(locks.decisions['002-input-validation']?.lock_level, 'critical');
    assert.equal(locks.decisions['002-input-validation']?.category, 'security');
    assert.equal(fs.readFileSync(path.join(dir, 'architecture.md'), 'utf8').trimEnd().split('\n').at(-1), '<!-- DONE -->');
    assert.equal(run.finalText, 'Done. 2 modules, 2 ADRs, 2 locked decisions.');
    assert.deepEqual(run.toolResults.filter((r) => r.is_error).map(resultText), []);
    assert.equal(run.messages.filter((m) => m.role === 'assistant').length, 3);
  });

  it('architect (synthetic 8 diamond): one root, sqrt-wide layers depending on the whole previous layer, one sink', async () => {
    const c = await client();
    const root = track(tempDir());
    await runAgent(c, engineTools(root), architectTask(syntheticDescription(8, 'diamond')));
    const validation = await validateContracts(path.join(root, CONTRACTS));
    assert.ok(validation.ok, formatProblems(validation.problems));
    const manifest = JSON.parse(fs.readFileSync(path.join(root, CONTRACTS, 'modules.json'), 'utf8')) as { modules: Array<{ name: string; depends_on: string[]; builder_model: string }> };
    const deps = Object.fromEntries(manifest.modules.map((m) => [m.name, m.depends_on]));
    assert.equal(manifest.modules.length, 8);
    assert.deepEqual(deps['mod-01'], []);
    for (const m of ['mod-02', 'mod-03', 'mod-04']) assert.deepEqual(deps[m], ['mod-01']);
    for (const m of ['mod-05', 'mod-06', 'mod-07']) assert.deepEqual(deps[m], ['mod-02', 'mod-03', 'mod-04']);
    assert.deepEqual(deps['mod-08'], ['mod-05', 'mod-06', 'mod-07']);
    assert.ok(manifest.modules.every((m) => m.builder_model === 'sonnet'));
  });

  it('architect (synthetic 40 wide): contracts too big for one reply span more turns and still validate', async () => {
    const c = await client();
    const root = track(tempDir());
    const run = await runAgent(c, engineTools(root), architectTask(syntheticDescription(40, 'wide')));
    const validation = await validateContracts(path.join(root, CONTRACTS));
    assert.ok(validation.ok, formatProblems(validation.problems));
    assert.ok(run.messages.filter((m) => m.role === 'assistant').length > 3);
    assert.equal(run.finalText, 'Done. 40 modules, 4 ADRs, 3 locked decisions.');
  });

  it('an agent run rides through 429 and 529 replies (the SDK retries them)', async () => {
    const c = await client({ faultSchedule: ['529', 'ok', '429', 'ok'], retryAfterSeconds: 0.01 });
    const root = track(tempDir());
    const run = await runAgent(c, engineTools(root), architectTask(sampleDescription));
    assert.equal(run.finalText, 'Done. 2 modules, 2 ADRs, 2 locked decisions.');
    assert.deepEqual(model!.stats().faults, { '429': 1, '500': 0, '529': 1, cut: 0 });
    assert.equal(model!.stats().byRole.architect, 5);
  });

  it('architect (invalid-contracts): bad first round, repaired when validation problems come back', async () => {
    const c = await client({ scenario: 'invalid-contracts' });
    const root = track(tempDir());
    const tools = engineTools(root);
    const first = await runAgent(c, tools, architectTask(sampleDescription));
    const dir = path.join(root, CONTRACTS);
    const bad = await validateContracts(dir);
    assert.ok(!bad.ok);
    const problems = formatProblems(bad.problems);
    assert.match(problems, /Greeter Module/);
    assert.match(problems, /cycle/i);
    await runAgent(c, tools, [...first.messages, { role: 'user', content: `Fix these.\n<validation-problems>\n${problems}\n</validation-problems>` }]);
    const good = await validateContracts(dir);
    assert.ok(good.ok, formatProblems(good.problems));
  });

  it('architect (hostile-names): never repairs the names', async () => {
    const c = await client({ scenario: 'hostile-names' });
    const root = track(tempDir());
    const tools = engineTools(root);
    let messages = architectTask(sampleDescription);
    for (let round = 0; round < 2; round++) {
      const run = await runAgent(c, tools, messages);
      const v = await validateContracts(path.join(root, CONTRACTS));
      assert.ok(!v.ok);
      assert.match(formatProblems(v.problems), /\.\.\/\.\.\/etc|rm -rf/);
      messages = [...run.messages, { role: 'user', content: `<validation-problems>\n${formatProblems(v.problems)}\n</validation-problems>` }];
    }
    assert.ok(!fs.existsSync(path.join(root, 'etc')) && !fs.existsSync(path.join(root, '.orchestration', 'etc.interface.md')));
  });

  it('scaffold: reads modules.json and writes a skeleton whose test command is green', async () => {
    const c = await client();
    const root = track(tempDir());
    writeFiles(root, contractSet(samplePlan()).files, CONTRACTS);
    const run = await runAgent(c, engineTools(root, ROLE_TOOLS.builder, { readOnlyRoots: [path.join(root, CONTRACTS)] }), [
      { role: 'user', content: card({ role: 'scaffold', project: 'greeter-cli', contracts_dir: CONTRACTS, test_command: 'node --test' }) },
    ]);
    assert.equal(run.finalText, 'Done. Scaffolded 2 modules.');
    assert.equal(run.toolResults[0]?.tool, 'read');
    for (const f of ['package.json', 'README.md', 'src/shared/types.js', 'src/formatter/index.js', 'src/greeter/index.js']) assert.ok(fs.existsSync(path.join(root, f)), f);
    assert.equal(nodeTest(root).status, 0);
    const stub = spawnSync(process.execPath, ['-e', "require('./src/greeter').greet('x')"], { cwd: root, encoding: 'utf8' });
    assert.match(stub.stderr, /not implemented: greeter/);
  });

  it('builders (sample): code, tests that pass, brain file, training pairs, no commit of its own, report done', async () => {
    const c = await client();
    const root = track(projectRepo(samplePlan()));
    for (const module of ['formatter', 'greeter']) {
      const { run, outcome, ownCommits } = await build(c, root, 'greeter-cli', module);
      assert.equal(outcome?.status, 'done', run.finalText);
      assert.match(run.finalText, new RegExp(`^Done\\. ${module} implements`));
      assert.ok(run.toolResults.every((r) => !r.is_error), JSON.stringify(run.toolResults.filter((r) => r.is_error)));
      // The prompt says the engine commits: the builder leaves its work uncommitted, inside its paths.
      assert.equal(ownCommits, 0);
      const changed = git(root, 'show', '--name-only', '--format=', 'HEAD').split('\n');
      assert.ok(changed.every((f) => f.startsWith(`src/${module}/`) || f.startsWith('.orchestration/')), changed.join(','));
      const brain = fs.readFileSync(path.join(root, `.orchestration/brains/${module}-builder.md`), 'utf8');
      for (const section of ['Last Updated', 'Current State', 'Key Decisions Made', 'Dependencies Used', 'Known Issues', 'Next Steps']) assert.match(brain, new RegExp(`## ${section}`));
      const pairs = fs.readFileSync(path.join(root, `.orchestration/training/${module}-session-pairs.jsonl`), 'utf8').trim().split('\n');
      assert.equal(pairs.length, 8, "five good pairs and three careless ones");
      for (const line of pairs) TrainingPairSchema.parse(JSON.parse(line));
    }
    // With both modules in one tree the greeter's integration test runs for real (nothing skipped).
    const all = nodeTest(root);
    assert.equal(all.status, 0, all.output);
    assert.match(all.output, /skipped 0/);
  });

  it('builders (synthetic chain): each module\'s tests pass alone, and the chained values check out together', async () => {
    const c = await client();
    const plan = syntheticPlan(3, 'chain');
    const root = track(projectRepo(plan));
    for (const m of plan.modules) {
      const { outcome, run } = await build(c, root, plan.name, m.name);
      assert.equal(outcome?.status, 'done', run.finalText);
    }
    const all = nodeTest(root);
    assert.equal(all.status, 0, all.output);
    assert.match(all.output, /skipped 0/);
  });

  it('outside-write: three refused writes come back is_error, nothing lands, and the builder carries on', async () => {
    const c = await client({ scenario: 'outside-write' });
    const root = track(projectRepo(samplePlan()));
    const manifestBefore = fs.readFileSync(path.join(root, CONTRACTS, 'modules.json'), 'utf8');
    const { run, outcome } = await build(c, root, 'greeter-cli', 'greeter');
    const firstTurn = run.toolResults.slice(0, 3);
    assert.deepEqual(firstTurn.map((r) => r.is_error), [true, true, true]);
    assert.match(resultText(firstTurn[0]!), /outside the session's working directory/);
    assert.match(resultText(firstTurn[1]!), /read-only/);
    assert.match(resultText(firstTurn[2]!), /may change/);
    const narration = run.messages[3];
    assert.ok(narration?.role === 'assistant' && JSON.stringify(narration.content).includes('refused'), 'the next turn acknowledges the refusals');
    assert.equal(outcome?.status, 'done');
    assert.ok(!fs.existsSync(path.join(path.dirname(root), 'outside.txt')));
    assert.ok(!fs.existsSync(path.join(root, 'src/formatter/hack.js')));
    assert.equal(fs.readFileSync(path.join(root, CONTRACTS, 'modules.json'), 'utf8'), manifestBefore);
  });

  it('qc-major-then-pass: QC finds the missing validation in the code, the fix cycle edits it in, QC passes', async () => {
    const c = await client({ scenario: 'qc-major-then-pass' });
    const root = track(projectRepo(samplePlan()));
    await build(c, root, 'greeter-cli', 'greeter');
    const first = await grade(c, root, 'greeter-cli', 'greeter');
    assert.equal(first.verdict?.verdict, 'FAIL-MAJOR', first.run.finalText);
    const finding = first.verdict!.findings.find((f) => f.severity === 'MAJOR')!;
    assert.equal(finding.file, 'src/greeter/index.js');
    assert.match(finding.text, /name must be a non-empty string/);
    const code = fs.readFileSync(path.join(root, 'src/greeter/index.js'), 'utf8').split('\n');
    assert.match(code[finding.line! - 1]!, /function greet/);
    assert.match(first.run.finalText, /^FAIL-MAJOR\./);

    const fix = await build(c, root, 'greeter-cli', 'greeter', JSON.stringify(first.verdict!.findings.filter((f) => f.severity !== 'MINOR'), null, 2));
    assert.equal(fix.outcome?.status, 'done');
    assert.ok(fix.run.toolResults.some((r) => r.tool === 'edit' && !r.is_error), 'the fix edits the code');
    const second = await grade(c, root, 'greeter-cli', 'greeter');
    assert.equal(second.verdict?.verdict, 'PASS', JSON.stringify(second.verdict));
    assert.match(second.run.finalText, /^PASS\./);
  });

  it('qc-critical: a hardcoded credential is found by grep and fails the module critically', async () => {
    const c = await client({ scenario: 'qc-critical', target: 'formatter' });
    const root = track(projectRepo(samplePlan()));
    await build(c, root, 'greeter-cli', 'formatter');
    const { verdict } = await grade(c, root, 'greeter-cli', 'formatter');
    assert.equal(verdict?.verdict, 'FAIL-CRITICAL');
    const finding = verdict!.findings.find((f) => f.severity === 'CRITICAL')!;
    assert.equal(finding.file, 'src/formatter/index.js');
    const code = fs.readFileSync(path.join(root, 'src/formatter/index.js'), 'utf8').split('\n');
    assert.match(code[finding.line! - 1]!, /API_TOKEN = "sk-live-/);
    assert.equal(verdict!.tests_passed, true);
  });

  it('bad-verdict: the schema-breaking verdict is refused, then resubmitted valid', async () => {
    const c = await client({ scenario: 'bad-verdict' });
    const root = track(projectRepo(samplePlan()));
    await build(c, root, 'greeter-cli', 'greeter');
    const { run, verdict } = await grade(c, root, 'greeter-cli', 'greeter');
    const submissions = run.toolResults.filter((r) => r.tool === 'submit_verdict');
    assert.deepEqual(submissions.map((r) => r.is_error === true), [true, false]);
    assert.equal(submissions[0]!.input['verdict'], 'MAYBE');
    assert.equal(verdict?.verdict, 'PASS');
  });

  it('contract-conflict: writes the conflict report and reports blocked without building', async () => {
    const c = await client({ scenario: 'contract-conflict' });
    const root = track(projectRepo(samplePlan()));
    const slot: { value?: BuilderOutcome } = {};
    const run = await runAgent(c, builderTools(root, 'greeter', slot), builderTask('greeter-cli', 'greeter', { conflict_file: '.orchestration/conflicts/greeter-<issue>.md' }));
    assert.equal(slot.value?.status, 'blocked');
    const issue = slot.value!.conflict_issue!;
    assert.match(issue, /^[a-z][a-z0-9-]+$/);
    const report = fs.readFileSync(path.join(root, `.orchestration/conflicts/greeter-${issue}.md`), 'utf8');
    assert.match(report, /## Proposed change/);
    assert.match(run.finalText, /^BLOCKED\. Contract conflict:/);
    assert.match(fs.readFileSync(path.join(root, 'src/greeter/index.js'), 'utf8'), /not implemented/);
  });

  it('merge-conflict: every builder also commits src/registry.js through bash', async () => {
    const c = await client({ scenario: 'merge-conflict' });
    const root = track(projectRepo(samplePlan()));
    const before = git(root, 'rev-parse', 'HEAD');
    const { outcome, ownCommits } = await build(c, root, 'greeter-cli', 'formatter');
    assert.equal(outcome?.status, 'done');
    assert.equal(ownCommits, 1, 'this misbehaving builder commits on its own');
    assert.match(git(root, 'diff', '--name-only', `${before}..HEAD`), /^src\/registry\.js$/m);
    assert.match(fs.readFileSync(path.join(root, 'src/registry.js'), 'utf8'), /owner: 'formatter'/);
  });

  it('failing tests: the builder reads the output, fixes once, then reports blocked', async () => {
    const c = await client();
    const root = track(projectRepo(samplePlan()));
    const slot: { value?: BuilderOutcome } = {};
    const run = await runAgent(c, builderTools(root, 'formatter', slot), builderTask('greeter-cli', 'formatter', { test_command: 'node --test src/formatter/*.test.js && exit 3' }));
    const testRuns = run.toolResults.filter((r) => r.tool === 'bash' && String(r.input['command']).startsWith('node --test'));
    assert.deepEqual(testRuns.map((r) => r.is_error), [true, true]);
    assert.equal(slot.value?.status, 'blocked');
    assert.equal(slot.value?.conflict_issue, 'tests-fail');
    assert.match(run.finalText, /^BLOCKED\./);
  });

  it('a test command that names the folder (Node runs its index.js, not the tests) is noticed by builder and QC', async () => {
    const c = await client();
    const root = track(projectRepo(samplePlan()));
    const slot: { value?: BuilderOutcome } = {};
    const run = await runAgent(c, builderTools(root, 'formatter', slot), builderTask('greeter-cli', 'formatter', { test_command: 'node --test src/formatter' }));
    const commands = run.toolResults.filter((r) => r.tool === 'bash').map((r) => String(r.input['command']));
    assert.deepEqual(commands.slice(0, 2), ['node --test src/formatter', 'node --test src/formatter/*.test.js']);
    assert.equal(slot.value?.status, 'done');
    assert.match(slot.value!.summary, /6 passed, 0 failed/);
    const { verdict } = await grade(c, root, 'greeter-cli', 'formatter', 'node --test src/formatter');
    assert.equal(verdict?.verdict, 'PASS');
    assert.ok(verdict!.tests_run && verdict!.tests_passed);
    assert.ok(verdict!.findings.some((f) => f.severity === 'MINOR' && /runs src\/formatter\/index\.js as the test file/.test(f.text)));
  });

  it('trivial-conflict: each builder adds its own require line to src/index.js and keeps the others', async () => {
    const c = await client({ scenario: 'trivial-conflict' });
    const root = track(projectRepo(samplePlan()));
    for (const module of ['formatter', 'greeter']) assert.equal((await build(c, root, 'greeter-cli', module)).outcome?.status, 'done');
    assert.equal(fs.readFileSync(path.join(root, 'src/index.js'), 'utf8'), "const formatter = require('./formatter');\nconst greeter = require('./greeter');\n");
  });

  it('is stateless: an agent cut off mid-way and resumed from its history finishes the same work', async () => {
    const c = await client();
    const root = track(projectRepo(samplePlan()));
    const slot: { value?: BuilderOutcome } = {};
    const tools = builderTools(root, 'formatter', slot);
    const partial = await runAgent(c, tools, builderTask('greeter-cli', 'formatter'), 3);
    const reported = () => slot.value;
    assert.equal(reported(), undefined);
    const resumed = await runAgent(c, tools, partial.messages);
    assert.equal(reported()?.status, 'done', resumed.finalText);
    assert.equal(nodeTest(root, 'src/formatter/index.test.js').status, 0);
  });
});
