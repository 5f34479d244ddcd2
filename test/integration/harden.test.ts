// Stage 5 (harden): the audit fan-out over the integration branch, and the routing of its findings,
// through the scripted model, the real SDK and real git.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJournal } from '../../src/core/run/journal';
import { readAuditState } from '../../src/core/audit/state';
import { FAST_CONFIG, makeRepo, read, resumePipeline, runPipeline, type TestRepo } from './harness';

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
});
