import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { readJournal } from '../../src/core/run/journal';
import { FileMemoryStore } from '../../src/core/memory';
import { listRecords } from '../../src/core/conflicts/resolution';
import { AuditEntrySchema } from '../../src/core/locks/audit';
import { makeCleanRepo, makeRepo, resumePipeline, runPipeline, scriptedGate, type TestRepo } from './harness';
import type { ReceivedRequest } from '../../src/scripted';
import type { QcVerdict } from '../../src/core/contracts/schemas';

/** The first user message of every request an agent sent: where the engine puts its task card and task. */
function tasksOf(requests: ReceivedRequest[], agentCard: RegExp): string[] {
  const first = (r: ReceivedRequest) => {
    const content = r.messages[0]?.content ?? '';
    return typeof content === 'string' ? content : content.map((b) => ('text' in b && typeof b.text === 'string' ? b.text : '')).join('\n');
  };
  return [...new Set(requests.map(first).filter((t) => agentCard.test(t)))];
}

function show(repo: TestRepo, ref: string, file: string): string {
  return execFileSync('git', ['show', `${ref}:${file}`], { cwd: repo.root, encoding: 'utf8' });
}

function agentsStarted(runDir: string, prefix: string): string[] {
  return readJournal(path.join(runDir, 'journal.jsonl')).flatMap((e) => (e.type === 'agent-started' && e.agentId.startsWith(prefix) ? [e.agentId] : []));
}

const ISSUE = 'greeter-name-length-units';

describe('contract conflicts (M13), end to end', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('flex: the master changes the contract, the human approves, ADR + audit + brain notices, the passed module is re-checked, the paused one resumes', async () => {
    const gate = scriptedGate([{ decision: 'approve' }, { decision: 'approve' }]);
    // What a view reloading on "contracts-changed" reads then: the new ADR is on disk already.
    let adrAtChange: boolean | undefined;
    const { result, events } = await runPipeline(repo, {
      scenario: { scenario: 'contract-conflict', target: 'greeter' },
      gate,
      onEvent: (e) => {
        if (e.type === 'contracts-changed' && adrAtChange === undefined) {
          const dir = path.join(repo.root, '.git', 'build-pipeline', 'runs');
          const runDir = path.join(dir, fs.readdirSync(dir)[0]!);
          adrAtChange = fs.existsSync(path.join(runDir, 'worktrees', 'integration', '.orchestration', 'contracts', 'decisions', `003-conflict-${ISSUE}.md`));
        }
      },
    });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.equal(adrAtChange, true, 'contracts-changed came after the resolution was written');
    assert.deepEqual(events.filter((e) => e.type === 'contracts-changed').map((e) => (e as { reason: string }).reason), [`conflict ${ISSUE} resolved (ADR 003-conflict-${ISSUE})`]);
    assert.deepEqual(gate.requests.map((r) => r.gate), ['blueprint', 'conflict']);
    assert.match(gate.requests[1]!.title, /Contract conflict in greeter: the master recommends changing the contract/);
    assert.match(gate.requests[1]!.summary, /Affected modules: greeter, formatter/);
    // The human sees what the change writes and the lock it is under, and the gate opens the proposal in full.
    assert.match(gate.requests[1]!.summary, /Locks touched: interface greeter \[unlocked\]/);
    assert.match(gate.requests[1]!.summary, /Change: interface greeter \[unlocked\]: \d+ lines replaced by \d+ \(interfaces\/greeter\.interface\.md; full text in the proposal\)/);
    const proposal = fs.readFileSync(gate.requests[1]!.openPath!, 'utf8');
    assert.match(proposal, /#### Now[\s\S]*#### Proposed[\s\S]*## Amendment \(conflict [\s\S]*## The builder's report/);
    // Only greeter paused: formatter passed before the master was asked.
    const statuses = events.flatMap((e) => (e.type === 'module-status' ? [`${e.module}:${e.status}`] : []));
    assert.ok(statuses.indexOf('formatter:passed') < statuses.indexOf('greeter:blocked') || statuses.indexOf('formatter:passed') >= 0);
    const integration = result.state.integrationBranch;
    // The contract change went through the lock function: audited as the master with the human's approval.
    const audit = show(repo, integration, '.orchestration/contracts/locks-audit.jsonl').trim().split('\n').map((l) => AuditEntrySchema.parse(JSON.parse(l)));
    assert.deepEqual(audit.map((a) => [a.kind, a.key, a.outcome, a.who.role, a.who.approvedBy]), [
      ['interface', 'greeter', 'applied', 'master', 'test'],
      ['adr', `003-conflict-${ISSUE}`, 'applied', 'master', 'test'],
    ]);
    assert.match(show(repo, integration, '.orchestration/contracts/interfaces/greeter.interface.md'), /## Amendment \(conflict name-length-units\)\nState the limit as 100 Unicode code points/);
    assert.match(show(repo, integration, `.orchestration/contracts/decisions/003-conflict-${ISSUE}.md`), /^# ADR-003: Resolution of the greeter contract conflict/);
    // Both builders were told through their brain files: an engine commit on each module branch; the resumed
    // greeter builder read the notice at spawn (its session summary says so) before rewriting its brain.
    const greeterBranch = `orchestration/${result.state.runId}/greeter`;
    assert.match(repo.git('log', '--format=%s', greeterBranch), /memory\(greeter\): contract notice for 003-conflict-greeter-name-length-units/);
    const greeterSummaries = await new FileMemoryStore(path.join(result.state.runDir, 'memory')).recentSummaries('greeter-builder', 5);
    assert.match(greeterSummaries.at(-1)!.decisions.join('\n'), /contract notices in my brain file: greeter-name-length-units/);
    assert.match(show(repo, `orchestration/${result.state.runId}/formatter`, '.orchestration/brains/formatter-builder.md'), /## Contract notice: conflict greeter-name-length-units \(003-/);
    // formatter, already passed, was graded again against the new contract; greeter resumed with the decision.
    assert.deepEqual(agentsStarted(result.state.runDir, 'qc-formatter'), ['qc-formatter-1', 'qc-formatter-2']);
    assert.deepEqual(agentsStarted(result.state.runDir, 'builder-greeter'), ['builder-greeter-0', 'builder-greeter-0']);
    assert.deepEqual(agentsStarted(result.state.runDir, 'master-'), [`master-greeter-name-length-units-0`]);
    const [record] = listRecords(path.join(result.state.runDir, 'conflicts'));
    assert.equal(record?.status, 'consumed');
    assert.deepEqual(record?.notified, ['greeter', 'formatter']);
    // The replaced interface text is in the archive (L3), searchable.
    const hits = await new FileMemoryStore(path.join(result.state.runDir, 'memory')).search('interface greeter superseded', 5);
    assert.ok(hits.some((h) => h.layer === 'L3' && /superseded interface greeter/.test(h.source)), JSON.stringify(hits));
    assert.equal(result.state.merges.filter((m) => m.status === 'MERGED').length, 2);
  });

  it('adapt: the contract stands, the ADR records it, the builder resumes with the decision as input', async () => {
    const { result } = await runPipeline(repo, { scenario: { scenario: 'contract-conflict-adapt', target: 'greeter' } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const integration = result.state.integrationBranch;
    assert.doesNotMatch(show(repo, integration, '.orchestration/contracts/interfaces/greeter.interface.md'), /Amendment/);
    assert.match(show(repo, integration, `.orchestration/contracts/decisions/003-conflict-${ISSUE}.md`), /greeter keeps its contract; its builder adapts/);
    const greeterBranch = `orchestration/${result.state.runId}/greeter`;
    assert.match(execFileSync('git', ['log', '-p', '--format=%s', greeterBranch, '--', '.orchestration/brains/greeter-builder.md'], { cwd: repo.root, encoding: 'utf8' }), /\+The contract of greeter stands; its builder adapts\./);
    const journal = readJournal(path.join(result.state.runDir, 'journal.jsonl'));
    const resumed = journal.filter((e) => e.type === 'agent-started' && e.agentId === 'builder-greeter-0');
    assert.equal(resumed.length, 2);
    // The resumed builder's summary says it saw its blocked predecessor's summary (L2 across the pause).
    const summaries = await new FileMemoryStore(path.join(result.state.runDir, 'memory')).recentSummaries('greeter-builder', 5);
    assert.equal(summaries.length, 2);
    assert.match(summaries[1]!.decisions[0]!, /1 earlier summaries/);
  });

  it('kill-and-resume at the conflict gate: the run waits (awaiting approval) and resume --yes applies the saved recommendation without asking the master again', async () => {
    const first = await runPipeline(repo, { scenario: { scenario: 'contract-conflict', target: 'greeter' }, gate: scriptedGate([{ decision: 'approve' }, { decision: 'later' }]) });
    assert.equal(first.result.status, 'awaiting-approval');
    assert.equal(first.result.state.waitingGate, 'conflict');
    const byName = Object.fromEntries(first.result.state.modules.map((m) => [m.name, m.status]));
    // Assembly streams from the build: formatter was merged as soon as it passed, before greeter blocked.
    assert.deepEqual(byName, { formatter: 'merged', greeter: 'blocked' });
    assert.equal(listRecords(path.join(first.result.state.runDir, 'conflicts'))[0]?.status, 'evaluated');
    const second = await resumePipeline(repo, first.result.state.runId, scriptedGate([{ decision: 'approve' }]), { scenario: 'contract-conflict', target: 'greeter' });
    assert.equal(second.result.status, 'succeeded', second.result.state.haltReason ?? '');
    assert.equal(agentsStarted(first.result.state.runDir, 'master-').length, 1, 'the master ran once');
    assert.equal(second.result.state.gates.filter((g) => g.gate === 'conflict').length, 1);
  });

  it('the same conflict in a later run, with an earlier run’s resolution in the shipped audit trail: the change is applied again, not taken as done', async () => {
    const clean = makeCleanRepo();
    try {
      // What an earlier run that resolved this conflict and shipped left on main: its audit line.
      const earlier = { at: '2026-11-01T00:00:00.000Z', who: { role: 'master', name: `master-greeter-${ISSUE.replace(/^greeter-/, '')}`, approvedBy: 'alice' }, item: 'interface greeter', kind: 'interface', key: 'greeter', level: 'unlocked', outcome: 'applied', new: 'the earlier text', reason: `conflict ${ISSUE}: the builder cannot honour it as written (${ISSUE.replace(/^greeter-/, '')})` };
      fs.mkdirSync(path.join(clean.root, '.orchestration', 'contracts'), { recursive: true });
      fs.writeFileSync(path.join(clean.root, '.orchestration', 'contracts', 'locks-audit.jsonl'), JSON.stringify(earlier) + '\n');
      clean.git('add', '.orchestration');
      clean.git('commit', '-q', '-m', 'an earlier run, shipped');
      const { result } = await runPipeline(clean, { scenario: { scenario: 'contract-conflict', target: 'greeter' }, gate: scriptedGate([]) });
      assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
      const integration = result.state.integrationBranch;
      assert.match(show(clean, integration, '.orchestration/contracts/interfaces/greeter.interface.md'), /## Amendment \(conflict name-length-units\)/);
      const applied = show(clean, integration, '.orchestration/contracts/locks-audit.jsonl').trim().split('\n').map((l) => AuditEntrySchema.parse(JSON.parse(l))).filter((a) => a.kind === 'interface' && a.key === 'greeter' && a.who.role === 'master');
      assert.equal(applied.length, 2, 'the earlier run’s entry and this run’s');
    } finally {
      clean.cleanup();
    }
  });

  it('request changes at the conflict gate: the master reconsiders with the feedback, then the approval applies', async () => {
    // The feedback names a file by this machine's path; the master's resolution quotes it.
    const gate = scriptedGate([{ decision: 'approve' }, { decision: 'changes', feedback: `name the formatter risk too, as in ${repo.root}/notes.txt` }, { decision: 'approve' }]);
    const { result } = await runPipeline(repo, { scenario: { scenario: 'contract-conflict', target: 'greeter' }, gate });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.deepEqual(agentsStarted(result.state.runDir, 'master-'), ['master-greeter-name-length-units-0', 'master-greeter-name-length-units-1']);
    assert.match(gate.requests[2]!.summary, /The human asked: name the formatter risk too, as in <repo>\/notes\.txt/);
    // The resolution's words go into the contracts, which ship with the code: scrubbed as memory is.
    const integration = result.state.integrationBranch;
    const adr = repo.git('ls-tree', '--name-only', integration, '.orchestration/contracts/decisions/').split('\n').find((f) => f.includes(ISSUE))!;
    const text = show(repo, integration, adr) + show(repo, integration, '.orchestration/contracts/locks-audit.jsonl');
    assert.match(text, /<repo>\/notes\.txt/);
    assert.ok(!text.includes(repo.root), 'no path of this machine in the contracts');
  });

  it('flex that a passed module cannot meet: its re-check against the new contract FAILS, it is rebuilt with the findings on the wire, then passes', async () => {
    const requests: ReceivedRequest[] = [];
    const { result, events } = await runPipeline(repo, { scenario: { scenario: 'contract-conflict-recheck', target: 'greeter', onRequest: (r) => requests.push(r) } });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const integration = result.state.integrationBranch;
    // The approved change amended both interfaces, each through the lock function.
    const audit = show(repo, integration, '.orchestration/contracts/locks-audit.jsonl').trim().split('\n').map((l) => AuditEntrySchema.parse(JSON.parse(l)));
    assert.deepEqual(audit.map((a) => [a.kind, a.key, a.outcome]), [
      ['interface', 'greeter', 'applied'],
      ['interface', 'formatter', 'applied'],
      ['adr', `003-conflict-${ISSUE}`, 'applied'],
    ]);
    // formatter had passed; QC graded it again against the amended contract and failed it.
    const formatterVerdicts = events.flatMap((e) => (e.type === 'module-verdict' && e.module === 'formatter' ? [{ attempt: e.attempt, verdict: e.verdict as QcVerdict }] : []));
    assert.deepEqual(formatterVerdicts.map((v) => [v.attempt, v.verdict.verdict]), [[1, 'PASS'], [2, 'FAIL-MAJOR'], [3, 'PASS']]);
    const recheck = formatterVerdicts[1]!.verdict.findings.filter((f) => f.severity !== 'MINOR');
    assert.ok(recheck.some((f) => /`lengthUnit` required by .*formatter\.interface\.md is not implemented/.test(f.text)), JSON.stringify(recheck));
    // The rebuilt formatter builder's task, as it went over the wire, carried those findings.
    const builderTasks = tasksOf(requests, /role: builder\n[\s\S]*module: formatter\n/);
    assert.equal(builderTasks.length, 2, 'formatter was built, then rebuilt once');
    assert.doesNotMatch(builderTasks[0]!, /<qc-findings>/);
    assert.match(builderTasks[1]!, /QC sent the module back: it failed its re-check against the contracts as changed by a conflict's resolution\./);
    const block = /<qc-findings>([\s\S]*?)<\/qc-findings>/.exec(builderTasks[1]!)?.[1] ?? '';
    for (const f of recheck) assert.ok(block.includes(JSON.stringify(f.text).slice(1, -1)), `finding not carried: ${f.text}`);
    assert.deepEqual(agentsStarted(result.state.runDir, 'qc-formatter'), ['qc-formatter-1', 'qc-formatter-2', 'qc-formatter-3']);
    // The rebuilt code is what was merged: the new function is on the integration branch.
    assert.match(show(repo, integration, 'src/formatter/index.js'), /function lengthUnit\(\) \{\n  return "code points";/);
    assert.equal(result.state.merges.filter((m) => m.status === 'MERGED').length, 2);
  });
});
