// Stage 5 (harden): the audit fan-out over the integration branch, and the routing of its findings,
// through the scripted model, the real SDK and real git.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJournal } from '../../src/core/run/journal';
import { readAuditState } from '../../src/core/audit/state';
import type { GateRequest } from '../../src/core/api';
import type { ReceivedRequest } from '../../src/scripted';
import { FAST_CONFIG, makeRepo, read, resumePipeline, runPipeline, type TestRepo } from './harness';
import { answerReader, makePipe } from './pipes';

/** Everything a request carried in its messages, as one string: what the agent was told on the wire. */
function wire(req: ReceivedRequest): string {
  return JSON.stringify(req.messages);
}

const THROUGH_HARDEN = { ...FAST_CONFIG, stopAfter: 'harden' as const };

describe('Stage 5 harden (scripted model, real git)', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeRepo()));
  afterEach(() => repo.cleanup());

  it('a CRITICAL finding halts the run with the report', async () => {
    const { result } = await runPipeline(repo, { scenario: { scenario: 'harden-critical' }, config: THROUGH_HARDEN });
    assert.equal(result.status, 'halted');
    assert.match(result.state.haltReason ?? '', /Harden: harden found 1 CRITICAL finding\(s\): src\/greeter\/index\.js:1 Greeting text reaches a shell unescaped/);
    const state = readAuditState(path.join(result.state.runDir, 'audit.json'));
    assert.deepEqual(state.plan!.domains.map((d) => d.name).slice(0, 4), ['security', 'performance', 'edge-cases', 'compliance']);
    assert.match(read(path.join(result.state.runDir, 'audit-report.md')), /#### CRITICAL/);
    assert.match(read(path.join(result.state.runDir, 'harden.md')), /\| security \| 1 \| 0 \| 0 \|/);
    assert.equal(result.state.stages.find((s) => s.id === 'ship')!.status, 'pending');
  });

  it('a MAJOR becomes a fix cycle for the owning module, merged again with green tests; MINOR to the backlog; unowned to the human', async () => {
    const { result } = await runPipeline(repo, { scenario: { scenario: 'harden-findings' }, config: THROUGH_HARDEN });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const runDir = result.state.runDir;
    const greeter = result.state.modules.find((m) => m.name === 'greeter')!;
    assert.equal(greeter.status, 'merged');
    assert.equal(greeter.fixCycles, 1);
    const journal = readJournal(path.join(runDir, 'journal.jsonl'));
    assert.ok(journal.some((e) => e.type === 'agent-started' && e.agentId === 'builder-greeter-1'), 'the builder ran a fix cycle');
    assert.ok(journal.some((e) => e.type === 'agent-started' && e.agentId === 'qc-greeter-2'), 'QC graded it again');
    const merges = result.state.merges.filter((m) => m.module === 'greeter');
    assert.equal(merges.length, 2, 'merged once by assembly and once after the harden fix');
    assert.ok(merges.every((m) => m.tests === 'pass'));
    assert.equal(result.state.modules.find((m) => m.name === 'formatter')!.fixCycles, 0, 'MINOR never starts a fix cycle');
    assert.match(read(path.join(runDir, 'qc', 'backlog.md')), /\[harden\/performance\] src\/formatter\/index\.js:1 Style table rebuilt/);
    const summary = read(path.join(runDir, 'harden.md'));
    assert.match(summary, /Fix cycles caused by harden: 1 \(greeter\)/);
    assert.match(summary, /MAJOR LICENSE — No licence file in the repository \(compliance-1\)/);
    assert.match(summary, /Bytes the top level received from the fan-out: \d+/);
    // The run report: harden findings by domain and severity, fix cycles it caused, bytes the top level got.
    const report = JSON.parse(read(path.join(runDir, 'report.json')));
    assert.deepEqual(report.audit.findings.security, { CRITICAL: 0, MAJOR: 1, MINOR: 0 });
    assert.deepEqual(report.audit.findings.performance, { CRITICAL: 0, MAJOR: 0, MINOR: 1 });
    assert.equal(report.audit.hardenFixCycles, 1);
    assert.ok(report.audit.topLevelBytes > 0);
    assert.equal(report.shipped, null);
    assert.match(read(path.join(runDir, 'report.md')), /Fix cycles caused by harden: 1/);
    const stage = result.state.stages.find((s) => s.id === 'harden')!;
    assert.match(stage.detail ?? '', /0 critical, 2 major, 1 minor; 1 fix cycle\(s\); 1 for the human/);
  });

  it('killed inside the fan-out, it resumes without rerunning finished workers and fixes once', async () => {
    let cancelRun: () => void = () => undefined;
    let cancelled = false;
    const killed = runPipeline(repo, { scenario: { scenario: 'harden-findings' }, config: THROUGH_HARDEN, onStart: (cancel) => (cancelRun = cancel) });
    // Cancel once two harden workers have finished: watch the fan-out's state file.
    const runsDir = path.join(repo.root, '.git', 'build-pipeline', 'runs');
    const poll = setInterval(() => {
      try {
        const id = fs.readdirSync(runsDir)[0];
        const file = id && path.join(runsDir, id, 'audit.json');
        if (!cancelled && file && fs.existsSync(file) && readAuditState(file).workers.filter((w) => w.status === 'done').length >= 2) {
          cancelled = true;
          cancelRun();
        }
      } catch {
        // replaced atomically between reads; the next tick reads it again
      }
    }, 10);
    const first = await killed.finally(() => clearInterval(poll));
    assert.equal(first.result.status, 'cancelled', first.result.state.haltReason ?? '');
    const runDir = first.result.state.runDir;
    const doneBefore = readAuditState(path.join(runDir, 'audit.json')).workers.filter((w) => w.status === 'done').map((w) => w.id);
    const resumed = await resumePipeline(repo, first.result.state.runId, undefined, { scenario: 'harden-findings' }, THROUGH_HARDEN);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    const after = readAuditState(path.join(runDir, 'audit.json'));
    assert.ok(doneBefore.length >= 2 && doneBefore.length < after.workers.length, `finished before the kill: ${doneBefore.join(', ')}`);
    const journal = readJournal(path.join(runDir, 'journal.jsonl'));
    for (const id of doneBefore) assert.equal(journal.filter((e) => e.type === 'agent-started' && e.agentId === `audit-worker-${id}`).length, 1, `${id} ran once`);
    assert.equal(resumed.result.state.modules.find((m) => m.name === 'greeter')!.fixCycles, 1, 'one fix cycle across the kill');
    assert.match(read(path.join(runDir, 'harden.md')), /Fix cycles caused by harden: 1 \(greeter\)/);
  });

  it('stopped inside its fix cycle, the resume finishes that cycle instead of counting a second one', async () => {
    // One fix cycle allowed: counted twice, the resumed round would find none left and leave the finding open.
    const config = { ...THROUGH_HARDEN, fixCycles: 1 };
    let cancelRun: () => void = () => undefined;
    const first = await runPipeline(repo, {
      scenario: { scenario: 'harden-findings' },
      config,
      onStart: (cancel) => (cancelRun = cancel),
      onEvent: (e) => {
        if (e.type === 'agent-started' && e.agentId === 'builder-greeter-1') cancelRun();
      },
    });
    assert.equal(first.result.status, 'cancelled', first.result.state.haltReason ?? '');
    const stopped = first.result.state.modules.find((m) => m.name === 'greeter')!;
    assert.equal(stopped.fixCycles, 1, 'the round was counted when it began');
    assert.equal(stopped.refixUnfinished, 'harden');

    const resumed = await resumePipeline(repo, first.result.state.runId, undefined, { scenario: 'harden-findings' }, config);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    const greeter = resumed.result.state.modules.find((m) => m.name === 'greeter')!;
    assert.equal(greeter.status, 'merged');
    assert.equal(greeter.fixCycles, 1, 'one fix cycle across the stop');
    assert.equal(greeter.refixUnfinished, undefined);
    assert.deepEqual(resumed.result.state.merges.filter((m) => m.module === 'greeter').map((m) => `${m.tests}/${m.status}`), ['pass/MERGED', 'pass/MERGED'], 'merged again after the fix');
    const summary = read(path.join(resumed.result.state.runDir, 'harden.md'));
    assert.match(summary, /Fix cycles caused by harden: 1 \(greeter\)/);
    assert.match(summary, /MAJOR findings left open \(the module could not be fixed\)\n\nNone\./);
  });

  it('stopped while the re-merge\'s tests run, the merge is rolled back, no failed merge is recorded, and the resume merges it under the same cycle (also after a kill left the re-merge behind)', async () => {
    // From the moment the fix round's QC ends, the integration test command reads a pipe first: the
    // open for writing below returns once the re-merge's tests are under way, and the stop lands then.
    const fifo = makePipe(path.join(repo.root, '..', `${path.basename(repo.root)}-remerge-tests.fifo`));
    const armed = `${fifo}.armed`;
    const config = { ...THROUGH_HARDEN, fixCycles: 1, integrationTestCommand: `if [ -e ${armed} ]; then cat ${fifo} > /dev/null; fi; node --test` };
    let cancel: () => void = () => undefined;
    const running = runPipeline(repo, {
      scenario: { scenario: 'harden-findings' },
      config,
      onStart: (c) => (cancel = c),
      onEvent: (e) => {
        if (e.type === 'agent-ended' && e.agentId === 'qc-greeter-2') fs.writeFileSync(armed, '');
      },
    });
    try {
      await answerReader(fifo, () => cancel());
      const first = await running;
      assert.equal(first.result.status, 'cancelled', first.result.state.haltReason ?? '');
      assert.deepEqual(first.result.state.merges.filter((m) => m.module === 'greeter').map((m) => `${m.tests}/${m.status}`), ['pass/MERGED'], 'no FAILED merge for tests the stop killed');
      const tip = repo.git('log', '-1', '--format=%s', first.result.state.integrationBranch);
      assert.doesNotMatch(tip, /merge greeter again/, 'the untested re-merge was rolled back');
      assert.equal(first.result.state.modules.find((m) => m.name === 'greeter')!.fixCycles, 1);
    } finally {
      fs.rmSync(fifo, { force: true });
      fs.rmSync(armed, { force: true });
    }
    const state = (await running).result.state;
    // What a kill (not a stop) between the re-merge and its tests' result leaves: the re-merge on the
    // integration branch, recorded nowhere. The resume must not build on it untested.
    const integrationTree = path.join(state.runDir, 'worktrees', 'integration');
    const branch = state.modules.find((m) => m.name === 'greeter')!.branch;
    repo.git('-C', integrationTree, '-c', 'user.name=engine', '-c', 'user.email=engine@x.invalid', 'merge', '--no-ff', '-q', '-m', 'harden: merge greeter again after its fix cycle', branch);
    const resumed = await resumePipeline(repo, state.runId, undefined, { scenario: 'harden-findings' }, { ...config, integrationTestCommand: undefined });
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    const greeter = resumed.result.state.modules.find((m) => m.name === 'greeter')!;
    assert.equal(greeter.fixCycles, 1, 'one fix cycle across the stop');
    assert.deepEqual(resumed.result.state.merges.filter((m) => m.module === 'greeter').map((m) => `${m.tests}/${m.status}`), ['pass/MERGED', 'pass/MERGED']);
    assert.ok(resumed.events.some((e) => e.type === 'log' && /found a re-merge of greeter whose tests never ended/.test(e.message)));
    const remerges = repo.git('log', '--first-parent', '--format=%s', resumed.result.state.integrationBranch).split('\n').filter((l) => l === 'harden: merge greeter again after its fix cycle');
    assert.equal(remerges.length, 1, 'the untested re-merge was rolled back and made once more, tested');
  });

  it('a re-merge that turns the integration tests red is rolled back and starts another fix cycle, merged green after it', async () => {
    const requests: ReceivedRequest[] = [];
    const { result } = await runPipeline(repo, { scenario: { scenario: 'harden-remerge-red', onRequest: (r) => requests.push(r) }, config: THROUGH_HARDEN });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const greeter = result.state.modules.find((m) => m.name === 'greeter')!;
    assert.equal(greeter.status, 'merged');
    assert.equal(greeter.fixCycles, 2, 'the red re-merge cost one more fix cycle');
    const merges = result.state.merges.filter((m) => m.module === 'greeter').map((m) => `${m.tests}/${m.status}`);
    assert.deepEqual(merges, ['pass/MERGED', 'fail/FAILED', 'pass/MERGED'], 'assembly, the red re-merge (rolled back), the green one');
    // The second cycle's builder was told, on the wire, that its re-merge broke the integration tests.
    const second = requests.map(wire).find((t) => /role: builder/.test(t) && /Fix cycle 2/.test(t));
    assert.ok(second, 'a builder request for fix cycle 2');
    const first = requests.map(wire).find((t) => /role: builder/.test(t) && /Fix cycle 1/.test(t));
    assert.match(first ?? '', /## Fix cycle 1\\nThe audit of the assembled project \(harden\) sent the module back/);
    assert.match(second, /## Fix cycle 2\\nYour fixed module was merged into the integration branch again, and that merge failed/);
    assert.match(second, /the integration tests \(`node --test`\) failed; the merge was rolled back/);
    assert.match(second, /exposes its public API to the rest of the project/);
    // What is on the integration branch is the corrected wiring test, and it is green there.
    const wiring = repo.git('show', `${result.state.integrationBranch}:src/greeter/wiring/wiring.test.js`);
    assert.match(wiring, /Object\.keys\(mod\)\.length > 0/);
    assert.match(read(path.join(result.state.runDir, 'harden.md')), /Fix cycles caused by harden: 2 \(greeter\)/);
    assert.match(read(path.join(result.state.runDir, 'harden.md')), /MAJOR findings left open \(the module could not be fixed\)\n\nNone\./);
  });

  it('stopped in the round after a red re-merge, the resume gives that round\'s builder the re-merge\'s findings, not harden\'s', async () => {
    let cancelRun: () => void = () => undefined;
    const first = await runPipeline(repo, {
      scenario: { scenario: 'harden-remerge-red' },
      config: THROUGH_HARDEN,
      onStart: (cancel) => (cancelRun = cancel),
      onEvent: (e) => {
        if (e.type === 'agent-started' && e.agentId === 'builder-greeter-2') cancelRun();
      },
    });
    assert.equal(first.result.status, 'cancelled', first.result.state.haltReason ?? '');
    const stopped = first.result.state.modules.find((m) => m.name === 'greeter')!;
    assert.equal(stopped.fixCycles, 2);
    assert.equal(stopped.refixRemerge?.cause, 'harden');
    assert.match(stopped.refixRemerge?.findings[0]?.text ?? '', /the integration tests .* failed; the merge was rolled back/);

    const requests: ReceivedRequest[] = [];
    const resumed = await resumePipeline(repo, first.result.state.runId, undefined, { scenario: 'harden-remerge-red', onRequest: (r) => requests.push(r) }, THROUGH_HARDEN);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    const builder = requests.map(wire).find((t) => /role: builder/.test(t) && /Fix cycle 2/.test(t));
    assert.ok(builder, 'the resumed round\'s builder request');
    assert.match(builder, /## Fix cycle 2\\nYour fixed module was merged into the integration branch again, and that merge failed/);
    assert.match(builder, /the integration tests \(`node --test`\) failed; the merge was rolled back/);
    const greeter = resumed.result.state.modules.find((m) => m.name === 'greeter')!;
    assert.equal(greeter.fixCycles, 2, 'the resumed round was not counted again');
    assert.equal(greeter.refixRemerge, undefined, 'forgotten once merged');
    assert.deepEqual(resumed.result.state.merges.filter((m) => m.module === 'greeter').map((m) => `${m.tests}/${m.status}`), ['pass/MERGED', 'fail/FAILED', 'pass/MERGED']);
  });

  it('a module out of fix cycles is reported (harden.md, the ship gate) and harden goes on; the finding stays open', async () => {
    const shipGate: GateRequest[] = [];
    const gate = async (req: GateRequest) => {
      if (req.gate !== 'ship') return { decision: 'approve' as const };
      shipGate.push(req);
      return { decision: 'later' as const };
    };
    const { result } = await runPipeline(repo, { scenario: { scenario: 'harden-remerge-red' }, gate, config: { ...FAST_CONFIG, stopAfter: undefined, fixCycles: 1 } });
    assert.equal(result.status, 'awaiting-approval', result.state.haltReason ?? '');
    assert.equal(result.state.stages.find((s) => s.id === 'harden')!.status, 'done');
    assert.match(result.state.stages.find((s) => s.id === 'harden')!.detail ?? '', /MAJOR findings left open in greeter/);
    const greeter = result.state.modules.find((m) => m.name === 'greeter')!;
    assert.equal(greeter.fixCycles, 1);
    assert.equal(greeter.status, 'merged', 'the integration branch keeps its last good merge');
    assert.deepEqual(result.state.merges.filter((m) => m.module === 'greeter').map((m) => m.status), ['MERGED', 'FAILED']);
    assert.equal(repo.git('ls-tree', '-r', '--name-only', result.state.integrationBranch, '--', 'src/greeter/wiring'), '', 'the red re-merge was rolled back');
    const summary = read(path.join(result.state.runDir, 'harden.md'));
    assert.match(summary, /## For the human: MAJOR findings left open \(the module could not be fixed\)\n\n- greeter: greeter has no fix cycles left \(1 of 1 used\)\n {2}- MAJOR src\/greeter\/index\.js:1 — Name length is not bounded \(security-1\)/);
    assert.equal(shipGate.length, 1, 'harden did not halt: the run reached the ship gate');
    assert.match(shipGate[0]!.summary, /Harden: 0 critical, 2 major, 1 minor; left open for you: greeter \(greeter has no fix cycles left \(1 of 1 used\)\)/);
    assert.match(read(shipGate[0]!.openPath!), /MAJOR findings left open for you \(see harden\.md\):\n- greeter: greeter has no fix cycles left/);
    const report = JSON.parse(read(path.join(result.state.runDir, 'report.json')));
    assert.deepEqual(report.audit.hardenOpen, [{ module: 'greeter', reason: 'greeter has no fix cycles left (1 of 1 used)' }]);
    assert.match(read(path.join(result.state.runDir, 'report.md')), /MAJOR findings harden left open \(see harden\.md\):\n- greeter: greeter has no fix cycles left/);
  });
});
