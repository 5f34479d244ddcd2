// Stage 6 (ship) and the second gate: the scripted shipping agent through the real SDK, then the one
// engine merge into the user's branch, on real git repositories.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GateAnswer, GateHandler, GateRequest } from '../../src/core/api';
import { FAST_CONFIG, makeRepo, read, resumePipeline, runPipeline, type TestRepo } from './harness';
import { fingerprint } from './audit.test';

const FULL = { ...FAST_CONFIG, stopAfter: undefined };

/** The harness repository without the user's uncommitted work: a clean checkout of main. */
function cleanRepo(): TestRepo {
  const repo = makeRepo();
  repo.git('reset', '-q', 'staged.txt');
  repo.git('checkout', '--', 'notes.txt');
  fs.rmSync(path.join(repo.root, 'staged.txt'));
  fs.rmSync(path.join(repo.root, 'untracked.txt'));
  return repo;
}

/** Approves the blueprint; at the ship gate plays `ship` in order (then approves). */
function gates(ship: (GateAnswer | ((req: GateRequest) => GateAnswer))[]): GateHandler & { shipRequests: GateRequest[] } {
  const shipRequests: GateRequest[] = [];
  const handler = (async (req: GateRequest) => {
    if (req.gate !== 'ship') return { decision: 'approve' };
    shipRequests.push(req);
    const next = ship.shift() ?? { decision: 'approve' };
    return typeof next === 'function' ? next(req) : next;
  }) as unknown as GateHandler & { shipRequests: GateRequest[] };
  handler.shipRequests = shipRequests;
  return handler;
}

function parents(repo: TestRepo, rev: string): string[] {
  return repo.git('rev-list', '--parents', '-n', '1', rev).split(' ').slice(1);
}

describe('Stage 6 ship and the ship gate (scripted model, real git)', function () {
  this.timeout(240_000);
  let repo: TestRepo;
  afterEach(() => repo.cleanup());

  it('approved on a clean tree: one --no-ff merge commit on main, history intact, the checkout follows', async () => {
    repo = cleanRepo();
    const oldHead = repo.git('rev-parse', 'main');
    const gate = gates([]);
    const { result } = await runPipeline(repo, { gate, config: FULL });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const req = gate.shipRequests[0]!;
    assert.match(req.title, /merge orchestration\/.*\/integration into main/);
    assert.match(req.summary, /formatter PASS, greeter PASS/);
    assert.match(req.summary, /Tests: pass/);
    assert.match(read(req.openPath!), /## Changes against main/);

    const main = repo.git('rev-parse', 'main');
    const [first, second] = parents(repo, main);
    assert.equal(first, oldHead, 'the old head is the first parent');
    // The shipped commit is the integration branch as it was at the gate; Stage 7 (curate) commits the
    // run's final memory on the integration branch afterwards, so the branch may have moved on since.
    repo.git('merge-base', '--is-ancestor', second!, result.state.integrationBranch);
    assert.equal(repo.git('rev-list', '--count', `${second}..${result.state.integrationBranch}`, '--', ':!.orchestration'), '0', 'only memory was committed after the ship');
    assert.equal(result.state.shipped?.commit, main);
    const report = JSON.parse(read(path.join(result.state.runDir, 'report.json')));
    assert.deepEqual(report.shipped, { branch: 'main', commit: main });
    assert.match(read(path.join(result.state.runDir, 'report.md')), /\| shipped \| into main as [0-9a-f]{12} \|/);
    assert.equal(repo.git('status', '--porcelain', '--untracked-files=all'), '', 'the checkout moved with the branch, nothing left over');
    assert.match(read(path.join(repo.root, 'CHANGELOG.md')), /## \[0\.2\.0\]/);
    assert.match(read(path.join(repo.root, 'README.md')), /## greeter-cli\n\nBuilt by Build Pipeline/);
    assert.equal(JSON.parse(read(path.join(repo.root, 'package.json'))).version, '0.2.0');
    assert.ok(fs.existsSync(path.join(repo.root, 'src', 'greeter', 'index.js')));
  });

  it('on a dirty tree: stops at the gate naming the files, changes nothing, and ships after the tree is clean', async () => {
    repo = makeRepo();
    const before = fingerprint(repo);
    const { result } = await runPipeline(repo, { gate: gates([]), config: FULL });
    assert.equal(result.status, 'awaiting-approval', result.state.haltReason ?? '');
    for (const f of ['notes.txt', 'staged.txt', 'untracked.txt']) assert.match(result.state.haltReason ?? '', new RegExp(f.replace('.', '\\.')));
    const after = fingerprint(repo);
    // Only the engine's own refs may differ: every user file, the index, HEAD and main are byte-identical.
    for (const key of Object.keys(before).filter((k) => k !== '<refs>' && k !== '<worktrees>')) assert.equal(after[key], before[key], key);
    const mainRef = (refs: string) => refs.split('\n').find((l) => l.startsWith('refs/heads/main '));
    assert.equal(mainRef(after['<refs>']!), mainRef(before['<refs>']!));
    assert.equal(result.state.stages.find((s) => s.id === 'ship')!.status, 'waiting');

    repo.git('stash', 'push', '-q', '--include-untracked');
    const resumed = await resumePipeline(repo, result.state.runId, gates([]), {}, FULL);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    assert.equal(parents(repo, 'main').length, 2);
    const journal = read(path.join(result.state.runDir, 'journal.jsonl'));
    assert.equal((journal.match(/"agentId":"shipper-/g) ?? []).length > 0, true);
    assert.equal(resumed.events.filter((e) => e.type === 'agent-started' && e.role === 'shipper').length, 0, 'the release was not prepared twice');
  });

  it('base moved since the start: merged when clean and green; a conflicting move stops at the gate with a report', async () => {
    repo = cleanRepo();
    const userCommit = (file: string, content: string) => () => {
      fs.writeFileSync(path.join(repo.root, file), content);
      repo.git('add', file);
      repo.git('commit', '-q', '-m', `user: ${file}`);
      return { decision: 'approve' } as GateAnswer;
    };
    const { result } = await runPipeline(repo, { gate: gates([userCommit('later.txt', 'user work after the start\n')]), config: FULL });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    const [first] = parents(repo, 'main');
    assert.equal(repo.git('log', '-1', '--format=%s', first!), 'user: later.txt');
    assert.ok(fs.existsSync(path.join(repo.root, 'later.txt')));

    const other = cleanRepo();
    try {
      const conflicting = () => {
        fs.writeFileSync(path.join(other.root, 'CHANGELOG.md'), '# Changelog\n\nmy own entry\n');
        other.git('add', 'CHANGELOG.md');
        other.git('commit', '-q', '-m', 'user: changelog');
        return { decision: 'approve' } as GateAnswer;
      };
      const moved = other.git('rev-parse', 'HEAD');
      const r2 = await runPipeline(other, { gate: gates([conflicting]), config: FULL });
      assert.equal(r2.result.status, 'awaiting-approval', r2.result.state.haltReason ?? '');
      assert.match(r2.result.state.haltReason ?? '', /conflicts in CHANGELOG\.md/);
      assert.match(read(path.join(r2.result.state.runDir, 'conflicts', 'ship-merge.md')), /CHANGELOG\.md/);
      assert.notEqual(other.git('rev-parse', 'main'), moved, 'the user commit is there');
      assert.equal(parents(other, 'main').length, 1, 'no merge landed');
      assert.equal(other.git('status', '--porcelain'), '');
    } finally {
      other.cleanup();
    }
  });

  it('request changes sends the feedback to the shipping agent; reject leaves main alone and the integration branch for the user', async () => {
    repo = cleanRepo();
    const { result } = await runPipeline(repo, { gate: gates([{ decision: 'changes', feedback: 'Mention the MIT licence' }]), config: FULL });
    assert.equal(result.status, 'succeeded', result.state.haltReason ?? '');
    assert.match(read(path.join(repo.root, 'CHANGELOG.md')), /Mention the MIT licence/);
    assert.deepEqual(result.state.gates.filter((g) => g.gate === 'ship').map((g) => g.decision), ['changes', 'approve']);

    const other = cleanRepo();
    try {
      const head = other.git('rev-parse', 'main');
      const r2 = await runPipeline(other, { gate: gates([{ decision: 'reject', reason: 'not now' }]), config: FULL });
      assert.equal(r2.result.status, 'halted');
      assert.match(r2.result.state.haltReason ?? '', /rejected at the ship gate: not now/);
      assert.equal(other.git('rev-parse', 'main'), head);
      assert.ok(other.git('rev-parse', '--verify', r2.result.state.integrationBranch));
    } finally {
      other.cleanup();
    }
  });

  it('stopped at the gate (decide later) and resumed: merges exactly once', async () => {
    repo = cleanRepo();
    const { result } = await runPipeline(repo, { gate: gates([{ decision: 'later' }]), config: FULL });
    assert.equal(result.status, 'awaiting-approval');
    const head = repo.git('rev-parse', 'main');
    const resumed = await resumePipeline(repo, result.state.runId, gates([]), {}, FULL);
    assert.equal(resumed.result.status, 'succeeded', resumed.result.state.haltReason ?? '');
    assert.deepEqual(parents(repo, 'main')[0], head);
    assert.equal(repo.git('rev-list', '--first-parent', '--count', `${head}..main`), '1', 'one merge commit on main, made once');
  });
});
