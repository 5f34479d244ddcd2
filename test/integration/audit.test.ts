// Audit mode (M15) end to end: the scripted model plays planner, workers and coordinators through the
// real SDK over loopback HTTP, on a real git repository whose checkout must not change by a byte.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resumeRun, startAudit } from '../../src/core/engine';
import { readAuditState } from '../../src/core/audit/state';
import { readJournal } from '../../src/core/run/journal';
import type { PipelineEvent } from '../../src/core/events';
import type { ReceivedRequest, ScriptedModelOptions } from '../../src/scripted/types';
import { approveAll, FAST_CONFIG, makeRepo, read, scriptedModel, type TestRepo } from './harness';

const REQUEST = 'Audit the code for security and performance problems';

export function addAuditableCode(repo: TestRepo): void {
  fs.mkdirSync(path.join(repo.root, 'src'), { recursive: true });
  fs.writeFileSync(path.join(repo.root, 'src', 'db.js'), "const password = 'hunter2';\nfunction run(q) {\n  return eval(q);\n}\nmodule.exports = { run, password };\n");
  fs.writeFileSync(path.join(repo.root, 'src', 'io.js'), "const fs = require('fs');\n// TODO: stream instead\nfunction load(f) {\n  return fs.readFileSync(f, 'utf8');\n}\nfunction save(f, d) {\n  fs.writeFileSync(f, d);\n}\nmodule.exports = { load, save };\n");
  repo.git('add', 'src');
  // Only src/: the user's staged file stays staged and uncommitted.
  repo.git('commit', '-q', '-m', 'user: code', '--', 'src');
}

/** Every byte of the user's checkout (outside .git), every ref, and the worktree list. */
export function fingerprint(repo: TestRepo): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(repo.root, p)] = fs.readFileSync(p).toString('base64');
    }
  };
  walk(repo.root);
  out['<refs>'] = repo.git('for-each-ref', '--format=%(refname) %(objectname)');
  out['<worktrees>'] = repo.git('worktree', 'list', '--porcelain');
  out['<status>'] = repo.git('status', '--porcelain=v1', '--untracked-files=all');
  out['<index>'] = repo.git('ls-files', '--stage');
  out['<HEAD>'] = repo.git('symbolic-ref', 'HEAD');
  return out;
}

async function audit(repo: TestRepo, scripted: ScriptedModelOptions, onEvent?: (e: PipelineEvent, cancel: () => void) => void) {
  const handle = await startAudit({ repoRoot: repo.root, description: REQUEST, offline: true, offlineModel: scriptedModel(scripted), gate: approveAll, approver: 'test', config: FAST_CONFIG });
  const events: PipelineEvent[] = [];
  handle.onEvent((e) => {
    events.push(e);
    onEvent?.(e, () => handle.cancel('test kill'));
  });
  return { result: await handle.done, events };
}

describe('audit mode (scripted model, real SDK, real git)', function () {
  this.timeout(180_000);
  let repo: TestRepo;
  beforeEach(() => {
    repo = makeRepo();
    addAuditableCode(repo);
  });
  afterEach(() => repo.cleanup());

  it('fans out, lists the failed and the unfinished worker as gaps, reports none of their findings, and changes nothing in the repository', async () => {
    const before = fingerprint(repo);
    const requests: ReceivedRequest[] = [];
    const { result } = await audit(repo, { scenario: 'audit-faults', onRequest: (r) => requests.push(r) });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.equal(result.state.mode, 'audit');
    assert.deepEqual(fingerprint(repo), before, 'the user tree, index, refs and worktree list are byte-identical');

    const runDir = result.state.runDir;
    const state = readAuditState(path.join(runDir, 'audit.json'));
    assert.deepEqual(state.plan!.domains.map((d) => d.name), ['security', 'performance', 'correctness']);
    assert.equal(state.workers.length, 9);
    const status = Object.fromEntries(state.workers.map((w) => [w.id, w.status]));
    assert.equal(status['security-2'], 'missing');
    assert.equal(status['security-3'], 'unfinished');
    assert.equal(state.workers.filter((w) => w.status === 'done').length, 7);
    assert.ok(!fs.existsSync(path.join(runDir, 'workers', 'security-2.md')));
    assert.doesNotMatch(read(path.join(runDir, 'workers', 'security-3.md')), /<!-- DONE -->/);
    assert.match(read(path.join(runDir, 'workers', 'security-1.md')), /<!-- DONE -->\s*$/);

    const synthesis = read(path.join(runDir, 'synthesis', 'security.md'));
    assert.match(synthesis, /security-2: missing/);
    assert.match(synthesis, /security-3: unfinished/);
    assert.doesNotMatch(synthesis, /\(security-3\)|\(security-2\)/, 'no finding taken from them');
    const coordinator = state.coordinators.find((c) => c.domain === 'security')!;
    assert.deepEqual(coordinator.missing, ['security-2']);
    assert.deepEqual(coordinator.unfinished, ['security-3']);
    // The coordinator is told the engine's classification; it cannot see "never submitted" in a file.
    const cards = requests.map((r) => JSON.stringify(r.messages[0]?.content ?? '')).filter((t) => t.includes('role: audit-coordinator\\ndomain: security\\n'));
    assert.ok(cards.length > 0, 'a request of the security coordinator');
    assert.match(cards[0]!, /\\nmissing: security-2\\nunfinished: security-3\\n/);

    const report = read(path.join(runDir, 'audit-report.md'));
    assert.doesNotMatch(report, /\(security-2\)|\(security-3\)/);
    assert.match(report, /\[src\/db\.js:1\]\(src\/db\.js#L1\) — \*\*Hard-coded credential\*\* \(security-1\)/);
    // The eval on line 3 fell to security-2, which failed: nobody invents it.
    assert.doesNotMatch(report, /Code execution from data|db\.js:3/);
    assert.doesNotMatch(report, /#### CRITICAL/);
    assert.match(report, /security-2: missing/);
    const bytes = state.coordinators.reduce((n, c) => n + Buffer.byteLength(c.summary ?? ''), 0);
    assert.equal(state.topLevelBytes, bytes);
    assert.ok(bytes > 0 && bytes < 4096, `top level got ${bytes} bytes`);
    assert.match(report, new RegExp(`received \\*\\*${bytes} bytes\\*\\*`));
    // The unfinished worker's own findings exist in its file but never reached the structured results.
    assert.deepEqual(state.workers.find((w) => w.id === 'security-3')!.findings, []);
    assert.deepEqual(fs.readdirSync(path.join(runDir, 'worktrees', '.audit')), [], 'throwaway trees removed');
  });

  it('a killed audit resumes without rerunning finished workers and ends with the same findings', async () => {
    const before = fingerprint(repo);
    let done = 0;
    const first = await audit(repo, {}, (e, cancel) => {
      if (e.type === 'audit-worker' && e.status === 'done' && ++done === 2) cancel();
    });
    assert.equal(first.result.status, 'cancelled', first.result.state.haltReason ?? '');
    const runDir = first.result.state.runDir;
    const finished = readAuditState(path.join(runDir, 'audit.json')).workers.filter((w) => w.status === 'done').map((w) => w.id);
    assert.ok(finished.length >= 2 && finished.length < 9, `finished before the kill: ${finished.join(', ')}`);

    const handle = await resumeRun({ repoRoot: repo.root, runId: first.result.state.runId, offline: true, offlineModel: scriptedModel(), gate: approveAll, approver: 'test', config: FAST_CONFIG });
    const resumed = await handle.done;
    assert.equal(resumed.status, 'succeeded', resumed.state.haltReason ?? '');
    const journal = readJournal(path.join(runDir, 'journal.jsonl'));
    for (const id of finished) {
      const starts = journal.filter((e) => e.type === 'agent-started' && e.agentId === `audit-worker-${id}`).length;
      assert.equal(starts, 1, `${id} ran once`);
    }
    assert.equal(journal.filter((e) => e.type === 'agent-started' && e.agentId.startsWith('audit-planner')).length, 1, 'planned once');
    const state = readAuditState(path.join(runDir, 'audit.json'));
    assert.equal(state.workers.filter((w) => w.status === 'done').length, 9);
    assert.match(read(path.join(runDir, 'audit-report.md')), /Code execution from data/);
    assert.deepEqual(fingerprint(repo), before);
  });
});
