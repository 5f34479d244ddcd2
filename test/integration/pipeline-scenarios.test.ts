import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { makeRepo, resumePipeline, runPipeline, snapshotUserTree, read, scriptedGate, type TestRepo } from './harness';
import { readJournal } from '../../src/core/run/journal';
import { syntheticDescription, type ReceivedRequest } from '../../src/scripted';
import type { QcVerdict } from '../../src/core/contracts/schemas';

/** The text of a request's first user message: where the engine puts an agent's task card and task. */
function firstUserText(req: ReceivedRequest): string {
  const content = req.messages[0]?.content ?? '';
  return typeof content === 'string' ? content : content.map((b) => (b['type'] === 'text' ? String(b['text']) : '')).join('\n');
}

/** What the builder of `module` was told at the start of `cycle`, as the scripted model received it. */
function builderTask(requests: ReceivedRequest[], module: string, cycle: number): string {
  const tasks = requests.map(firstUserText).filter((t) => /role: builder/.test(t) && new RegExp(`module: ${module}\\n`).test(t) && new RegExp(`fix_cycle: ${cycle}\\n`).test(t));
  assert.ok(tasks.length > 0, `no request of the ${module} builder in cycle ${cycle}`);
  return tasks[0]!;
}

/** The findings block of a fix-cycle task; a finding counts as carried whether it is raw or JSON-escaped. */
function assertCarries(task: string, texts: string[]): void {
  const block = /<qc-findings>([\s\S]*?)<\/qc-findings>/.exec(task)?.[1];
  assert.ok(block, 'the fix-cycle task has a <qc-findings> block');
  for (const t of texts) assert.ok(block.includes(t) || block.includes(JSON.stringify(t).slice(1, -1)), `finding not carried: ${t.slice(0, 120)}`);
}

function engineBranches(repo: TestRepo): string[] {
  return repo.git('branch', '--list', '--format=%(refname:short)').split('\n').filter((b) => b.startsWith('orchestration/'));
}

function assertNoMergeInProgress(repo: TestRepo): void {
  const gitDir = path.join(repo.root, '.git', 'worktrees');
  if (!fs.existsSync(gitDir)) return;
  for (const wt of fs.readdirSync(gitDir)) assert.ok(!fs.existsSync(path.join(gitDir, wt, 'MERGE_HEAD')), `merge in progress in ${wt}`);
}

describe('pipeline, unhappy paths (scripted scenarios)', function () {
  this.timeout(180_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('QC FAIL-MAJOR sends the findings back for a fix cycle, then PASS', async () => {
    const requests: ReceivedRequest[] = [];
    const { result, events } = await runPipeline(repo, { scenario: { scenario: 'qc-major-then-pass', onRequest: (r) => requests.push(r) } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const greeter = result.state.modules.find((m) => m.name === 'greeter')!;
    assert.equal(greeter.firstQcVerdict, 'FAIL-MAJOR');
    assert.equal(greeter.verdict, 'PASS');
    assert.equal(greeter.fixCycles, 1);
    const verdicts = events.filter((e) => e.type === 'module-verdict' && e.module === 'greeter').map((e) => (e.type === 'module-verdict' ? e.verdict.verdict : ''));
    assert.deepEqual(verdicts, ['FAIL-MAJOR', 'PASS']);
    const qcDir = path.join(result.state.runDir, 'qc');
    assert.match(read(path.join(qcDir, 'greeter-build-qc.attempt-1.md')), /## Verdict: FAIL-MAJOR/);
    assert.match(read(path.join(qcDir, 'greeter-build-qc.md')), /## Verdict: PASS/);
    // The run report counts the first attempts: formatter passed at once, greeter did not.
    const report = JSON.parse(read(path.join(result.state.runDir, 'report.json')));
    assert.equal(report.firstAttemptPassRate, 0.5);
    assert.equal(report.fixCyclesUsed, 1);
    assert.equal(report.merged, 2);
    assert.equal(result.summary.firstAttemptPassRate, 0.5);
    assert.match(read(path.join(result.state.runDir, 'report.md')), /first-attempt QC pass rate \| 50% \(1\/2\)/);
    // The fix-cycle builder's task, as it went over the wire, carried every non-MINOR finding of the failed QC.
    const failed = events.find((e) => e.type === 'module-verdict' && e.module === 'greeter' && e.attempt === 1);
    const verdict = (failed as { verdict: QcVerdict } | undefined)!.verdict;
    const major = verdict.findings.filter((f) => f.severity !== 'MINOR');
    assert.ok(major.length > 0, 'the failed QC had findings to send back');
    assertCarries(builderTask(requests, 'greeter', 1), major.map((f) => f.text));
    assert.match(builderTask(requests, 'greeter', 1), /## Fix cycle 1\nQC sent the module back: it failed its review\./);
    // The first build had none to carry: the block is the fix cycle's, not boilerplate.
    assert.doesNotMatch(builderTask(requests, 'greeter', 0), /<qc-findings>/);
  });

  it('QC FAIL-CRITICAL halts the pipeline, cancels what is in flight and leaves the repository consistent', async () => {
    const before = snapshotUserTree(repo);
    const { result } = await runPipeline(repo, { scenario: { scenario: 'qc-critical', target: 'formatter' } });
    assert.equal(result.status, 'cancelled');
    assert.match(result.state.haltReason ?? '', /FAIL-CRITICAL in module formatter/);
    const formatter = result.state.modules.find((m) => m.name === 'formatter')!;
    assert.equal(formatter.verdict, 'FAIL-CRITICAL');
    const greeter = result.state.modules.find((m) => m.name === 'greeter')!;
    assert.equal(greeter.status, 'cancelled');
    assert.equal(result.state.stages.find((s) => s.id === 'assemble')!.status, 'pending');
    assert.match(read(path.join(result.state.runDir, 'qc', 'formatter-build-qc.md')), /## Verdict: FAIL-CRITICAL/);
    assertNoMergeInProgress(repo);
    // No half-made worktree: every registered worktree exists and every worktree folder is registered.
    const registered = repo.git('worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice(9));
    for (const w of registered) assert.ok(fs.existsSync(w), w);
    const wtDir = path.join(result.state.runDir, 'worktrees');
    for (const d of fs.readdirSync(wtDir)) assert.ok(registered.includes(path.join(wtDir, d)), `unregistered folder ${d}`);
    assert.deepEqual(snapshotUserTree(repo), before);
  });

  it('a builder writing outside its folder is refused, told so, and nothing appears outside', async () => {
    const { result } = await runPipeline(repo, { scenario: { scenario: 'outside-write' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
    const refused = journal.filter((e) => e.type === 'tool-result' && e.isError && e.agentId.startsWith('builder-greeter'));
    assert.ok(refused.length >= 3, `refusals seen: ${refused.length}`);
    assert.ok(refused.some((e) => e.type === 'tool-result' && /outside/.test(e.output)));
    assert.ok(refused.some((e) => e.type === 'tool-result' && /read-only/.test(e.output)));
    assert.ok(refused.some((e) => e.type === 'tool-result' && /may change/.test(e.output)));
    // Nothing outside the worktree, nothing in the contracts, nothing in the other module's folder.
    const worktrees = path.join(result.state.runDir, 'worktrees');
    assert.ok(!fs.existsSync(path.join(worktrees, 'outside.txt')));
    assert.ok(!fs.existsSync(path.join(result.state.runDir, 'outside.txt')));
    const integration = result.state.integrationBranch;
    const contractsAtEnd = repo.git('diff', '--name-only', `${result.state.contractsCommit}..${integration}`, '--', '.orchestration/contracts');
    assert.equal(contractsAtEnd, '');
    const files = repo.git('ls-tree', '-r', '--name-only', integration).split('\n');
    assert.ok(!files.some((f) => f.endsWith('hack.js')), 'no file planted in another module');
  });

  it('an invalid modules.json is fed back and repaired on the second round', async () => {
    const { result, events } = await runPipeline(repo, { scenario: { scenario: 'invalid-contracts' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const warn = events.find((e) => e.type === 'log' && e.level === 'warn' && /contracts invalid/.test(e.message));
    assert.ok(warn && warn.type === 'log' && /Greeter Module/.test(warn.message) && /cycle/i.test(warn.message), JSON.stringify(warn));
  });

  it('hostile module names are never repaired: bounded rounds, then a clear failure and no branch or folder made from them', async () => {
    const before = snapshotUserTree(repo);
    const { result } = await runPipeline(repo, { scenario: { scenario: 'hostile-names' } });
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason ?? '', /still invalid after 3 rounds/);
    assert.match(result.state.haltReason ?? '', /\.\.\/\.\.\/etc|rm -rf/);
    assert.deepEqual(engineBranches(repo), [result.state.integrationBranch]);
    assert.deepEqual(fs.readdirSync(path.join(result.state.runDir, 'worktrees')), ['integration']);
    assert.deepEqual(snapshotUserTree(repo), before);
  });

  it('a contract conflict pauses only that module and writes the conflict report (resolution rejected at the gate)', async () => {
    const gate = scriptedGate([{ decision: 'approve' }, { decision: 'reject', reason: 'not now' }]);
    const { result } = await runPipeline(repo, { scenario: { scenario: 'contract-conflict', target: 'greeter' }, gate });
    assert.equal(result.status, 'halted');
    assert.deepEqual(gate.requests.map((r) => r.gate), ['blueprint', 'conflict']);
    const byName = Object.fromEntries(result.state.modules.map((m) => [m.name, m]));
    // Assembly streams from the build: formatter, before greeter in assembly_order, was merged once it passed.
    assert.equal(byName.formatter!.status, 'merged');
    assert.equal(byName.greeter!.status, 'blocked');
    const files = fs.readdirSync(path.join(result.state.runDir, 'conflicts'));
    // The builder's report, and the master's proposal as the gate opened it.
    const conflicts = files.filter((f) => f.endsWith('.md') && !f.endsWith('.proposal.md'));
    assert.equal(conflicts.length, 1);
    assert.deepEqual(files.filter((f) => f.endsWith('.proposal.md')), [conflicts[0]!.replace(/\.md$/, '.proposal.md')]);
    assert.match(conflicts[0]!, /^greeter-[a-z0-9-]+\.md$/);
    assert.ok(read(path.join(result.state.runDir, 'conflicts', conflicts[0]!)).length > 20);
    assert.match(result.state.haltReason ?? '', /contract conflict greeter-[a-z0-9-]+: the resolution was rejected \(not now\)/);
  });

  // Siblings in the DAG (mod-02 and mod-03 both depend only on mod-01) do not contain each other's
  // branches, so their clashing edits of a shared file meet for the first time at assembly.
  const siblings = syntheticDescription(3, 'wide');

  for (const sandboxed of [true, false]) {
  it(`a builder that commits on its own with a stray file: ${sandboxed ? 'the sandbox refuses the commit' : 'unsandboxed, its commit is undone'}, only its module is committed, nothing stray lands (merge-conflict scenario)`, async () => {
    // Before the engine owned commits, every builder's own commit put src/registry.js on its branch and
    // the siblings' versions met as a merge conflict at assembly; now it never reaches a branch.
    const config = sandboxed ? {} : { sandbox: { enabled: false, allowedDomains: [] } };
    const { result, events } = await runPipeline(repo, { description: siblings, scenario: { scenario: 'merge-conflict' }, config });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const integration = result.state.integrationBranch;
    assert.ok(!repo.git('ls-tree', '-r', '--name-only', integration).split('\n').includes('src/registry.js'), 'the stray file is not on the integration branch');
    assertNoMergeInProgress(repo);
    for (const m of result.state.modules) {
      const files = repo.git('diff', '--name-only', `${m.baseCommit}..${m.branch}`).split('\n');
      assert.ok(files.every((f) => f.startsWith(`src/${m.name}/`) || f.startsWith('.orchestration/brains/') || f.startsWith('.orchestration/training/')), `${m.name}: ${files.join(', ')}`);
      // The one commit on the module branch is the engine's commit of the builder's work (its session
      // pairs already cut to those that keep the quality rules); the builder's own commit is gone.
      const subjects = repo.git('log', '--no-merges', '--format=%s', `${m.baseCommit}..${m.branch}`).split('\n');
      assert.deepEqual(subjects, [`build(${m.name}): implement per contract`]);
    }
    // Reported: in the journal (containment event), in QC's prompt (the scope note) and in the QC report.
    const notes = events.filter((e) => e.type === 'containment' && e.module === 'mod-03').map((e) => (e.type === 'containment' ? e.detail : ''));
    const ownCommit = (n: string) => /1 commit\(s\) of its own/.test(n);
    assert.ok(notes.some((n) => ownCommit(n) !== sandboxed && /src\/registry\.js/.test(n)), notes.join('\n'));
    // The builder did try (the scripted one commits only once unless the first try failed for another reason).
    assert.ok(events.some((e) => e.type === 'tool-call' && e.agentId.startsWith('builder-mod-03') && e.tool === 'bash' && / commit /.test(e.input)));
    const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
    assert.ok(journal.some((e) => e.type === 'containment' && /left out of the commit/.test(e.detail) && /src\/registry\.js/.test(e.detail)));
    const qcTask = journal.find((e) => e.type === 'agent-started' && e.agentId === 'qc-mod-03-1');
    assert.ok(qcTask, 'QC ran');
    assert.match(read(path.join(result.state.runDir, 'qc', 'mod-03-build-qc.md')), /Left out of the module's commit[\s\S]*src\/registry\.js/);
  });
  }

  it('an edit every builder makes outside its module (trivial-conflict scenario) never reaches a branch, so assembly meets no conflict', async () => {
    const { result } = await runPipeline(repo, { description: siblings, scenario: { scenario: 'trivial-conflict' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.deepEqual(result.state.merges.map((m) => m.merge), ['clean', 'clean', 'clean']);
    assert.ok(!repo.git('ls-tree', '-r', '--name-only', result.state.integrationBranch).split('\n').includes('src/index.js'));
  });

  it('a builder that needs a package modules.json does not list reports blocked (the contract-conflict path) and installs nothing', async () => {
    // The conflict goes to the master and the human (M13); rejected at the gate, the module stays blocked.
    const gate = scriptedGate([{ decision: 'approve' }, { decision: 'reject', reason: 'no new packages' }]);
    const { result } = await runPipeline(repo, { scenario: { scenario: 'needs-dependency', target: 'greeter' }, gate });
    assert.equal(result.status, 'halted');
    assert.deepEqual(gate.requests.map((r) => r.gate), ['blueprint', 'conflict']);
    const byName = Object.fromEntries(result.state.modules.map((m) => [m.name, m]));
    // Assembly streams from the build: formatter, before greeter in assembly_order, was merged once it passed.
    assert.equal(byName.formatter!.status, 'merged');
    assert.equal(byName.greeter!.status, 'blocked');
    const report = read(path.join(result.state.runDir, 'conflicts', 'greeter-needs-string-width.md'));
    assert.match(report, /## Proposed change[\s\S]*dependencies/);
    const pkg = JSON.parse(repo.git('show', `${byName.greeter!.branch}:package.json`)) as { dependencies?: Record<string, string> };
    assert.deepEqual(pkg.dependencies ?? {}, {});
  });

  it('a builder that runs npm install leaves node_modules, a lockfile and an edited package.json: none is committed, all is reported', async () => {
    const { result, events } = await runPipeline(repo, { scenario: { scenario: 'npm-install', target: 'greeter' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const integration = result.state.integrationBranch;
    const files = repo.git('ls-tree', '-r', '--name-only', integration).split('\n');
    assert.ok(!files.some((f) => f.startsWith('node_modules/') || f.startsWith('.scratch/')), files.join(','));
    const pkg = JSON.parse(repo.git('show', `${integration}:package.json`)) as { dependencies?: Record<string, string> };
    assert.deepEqual(pkg.dependencies ?? {}, {}, 'the manifest on the branch is the scaffold\'s, not the one npm rewrote');
    const greeter = result.state.modules.find((m) => m.name === 'greeter')!;
    const changed = repo.git('diff', '--name-only', `${greeter.baseCommit}..${greeter.branch}`).split('\n');
    assert.ok(changed.every((f) => f.startsWith('src/greeter/') || f.startsWith('.orchestration/')), changed.join(','));
    const note = events.find((e) => e.type === 'containment' && e.module === 'greeter');
    assert.ok(note && note.type === 'containment', 'the engine reported what it left out');
    assert.match(note.detail, /package\.json/);
    assert.match(note.detail, /\.scratch\//);
    assert.match(note.detail, /ignored files it created were not committed: node_modules\//);
    assert.match(read(path.join(result.state.runDir, 'qc', 'greeter-build-qc.md')), /Left out of the module's commit[\s\S]*package\.json/);
    // The integration worktree holds nothing uncommitted after assembly.
    const wt = path.join(result.state.runDir, 'worktrees', 'integration');
    assert.equal(execFileSync('git', ['status', '--porcelain'], { cwd: wt, encoding: 'utf8' }).trim(), '');
  });

  it('red integration tests after a merge roll it back and send the module to its builder, then the merge is retried', async () => {
    const requests: ReceivedRequest[] = [];
    const { result, events } = await runPipeline(repo, { scenario: { scenario: 'integration-red', target: 'greeter', onRequest: (r) => requests.push(r) } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const greeter = result.state.modules.find((m) => m.name === 'greeter')!;
    assert.equal(greeter.status, 'merged');
    assert.equal(greeter.fixCycles, 1);
    const merges = events.filter((e) => e.type === 'merge' && e.module === 'greeter').map((e) => (e.type === 'merge' ? e.tests : ''));
    assert.deepEqual(merges, ['fail', 'pass']);
    // The failure report is on disk, the rolled-back merge left no trace, and exactly one merge per module landed.
    assert.match(read(path.join(result.state.runDir, 'qc', 'integration-greeter-qc.md')), /wiring/);
    const landed = repo.git('log', '--first-parent', '--merges', '--format=%s', result.state.integrationBranch).split('\n').reverse();
    assert.deepEqual(landed, ['integrate: merge formatter module', 'integrate: merge greeter module']);
    // The fix-cycle builder got the integration failure as its findings: the command, the rollback and the failing test's output.
    const task = builderTask(requests, 'greeter', 1);
    assertCarries(task, ['the merge was rolled back']);
    // Told who sent it back: assembly, against the merged code (not QC, which had passed it).
    assert.match(task, /## Fix cycle 1\nAssembly sent the module back: after it was merged into the integration branch the project's tests failed/);
    assert.doesNotMatch(task, /QC sent the module back/);
    assert.match(/<qc-findings>([\s\S]*?)<\/qc-findings>/.exec(task)![1]!, /wiring/);
    const wiring = repo.git('show', `${result.state.integrationBranch}:src/greeter/wiring/wiring.test.js`);
    assert.match(wiring, /Object\.keys\(mod\)\.length > 0/);
  });

  it('a QC verdict that breaks the schema is refused and resubmitted', async () => {
    const { result } = await runPipeline(repo, { scenario: { scenario: 'bad-verdict' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
    assert.ok(journal.some((e) => e.type === 'tool-result' && e.tool === 'submit_verdict' && e.isError));
  });

  it('blueprint gate: a run stopped while the architect revised for requested changes revises with them on resume', async () => {
    let cancel: () => void = () => undefined;
    let architects = 0;
    const first = await runPipeline(repo, {
      gate: scriptedGate([{ decision: 'changes', feedback: 'Please name the style option "tone".' }]),
      onStart: (c) => (cancel = c),
      onEvent: (e) => {
        if (e.type === 'agent-started' && e.role === 'architect' && ++architects === 2) cancel();
      },
    });
    assert.equal(first.result.status, 'cancelled');
    const gate = scriptedGate([{ decision: 'approve' }]);
    const second = await resumePipeline(repo, first.result.state.runId, gate);
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
    const architecture = repo.git('show', `${second.result.state.integrationBranch}:.orchestration/contracts/architecture.md`);
    assert.match(architecture, /## Revised at the blueprint gate\n- Please name the style option "tone"\./);
    assert.equal(gate.requests.length, 1);
  });

  it('blueprint gate: request changes reruns the architect with the feedback; reject halts', async () => {
    const gate = scriptedGate([{ decision: 'changes', feedback: 'Please name the style option "tone".' }, { decision: 'reject', reason: 'not today' }]);
    const { result } = await runPipeline(repo, { gate });
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason ?? '', /rejected at the blueprint gate: not today/);
    assert.equal(gate.requests.length, 2);
    assert.match(gate.requests[0]!.title, /^Blueprint ready: 2 modules, \d+ ADRs, \d+ locked decisions$/);
    assert.equal(result.state.stages.find((s) => s.id === 'architect')!.attempts, 2);
    assert.deepEqual(result.state.gates.map((g) => g.decision), ['changes', 'reject']);
    const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
    assert.ok(journal.filter((e) => e.type === 'agent-started' && e.role === 'architect').length === 2);
  });
});
