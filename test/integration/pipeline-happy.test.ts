import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { makeRepo, runPipeline, snapshotUserTree, read, type TestRepo, type RunOutcome } from './harness';
import type { ReceivedRequest } from '../../src/scripted';

describe('pipeline, happy path (sample project, scripted model, real SDK and git)', function () {
  this.timeout(180_000);
  let repo: TestRepo;
  let run: RunOutcome;
  let userBefore: ReturnType<typeof snapshotUserTree>;
  const requests: ReceivedRequest[] = [];

  before(async () => {
    repo = makeRepo();
    userBefore = snapshotUserTree(repo);
    run = await runPipeline(repo, { scenario: { onRequest: (r) => requests.push(r) } });
  });
  after(() => repo?.cleanup());

  it('succeeds with every module passed and merged', () => {
    assert.equal(run.result.status, 'succeeded', run.result.state.haltReason ?? '');
    assert.deepEqual(
      run.result.state.modules.map((m) => [m.name, m.status, m.verdict]),
      [
        ['formatter', 'merged', 'PASS'],
        ['greeter', 'merged', 'PASS'],
      ],
    );
    assert.deepEqual(run.result.state.stages.map((s) => [s.id, s.status]), [
      ['architect', 'done'],
      ['bootstrap', 'done'],
      ['scaffold', 'done'],
      ['build', 'done'],
      ['assemble', 'done'],
      ['harden', 'skipped'],
      ['curate', 'done'],
      ['ship', 'skipped'],
    ]);
  });

  it("QC is given the builder's summary of its work, marked as the builder's claims (seed: a QC-ready summary)", () => {
    for (const module of ['greeter', 'formatter']) {
      const qc = requests.map((r) => JSON.stringify(r.messages)).find((t) => /role: qc/.test(t) && t.includes(`module: ${module}`));
      assert.ok(qc, `${module}'s QC request`);
      assert.match(qc, /The builder's summary of its work \(its own claims: check them, do not take them as true\):\\n<builder-summary>\\n[^<]{10,}\\n<\/builder-summary>/);
    }
  });

  it('leaves the user working tree, index, HEAD and branch byte-for-byte untouched', () => {
    assert.deepEqual(snapshotUserTree(repo), userBefore);
  });

  it('builds the branch graph: integration from the user HEAD, one --no-ff merge per module in assembly order', () => {
    const s = run.result.state;
    const integration = s.integrationBranch;
    assert.match(integration, /^orchestration\/\d{8}-\d{6}-[0-9a-f]{8}\/integration$/);
    assert.equal(repo.git('merge-base', '--is-ancestor', s.baseCommit, integration), '');
    const merges = repo.git('log', '--first-parent', '--merges', '--format=%s', `${s.baseCommit}..${integration}`).split('\n').reverse();
    assert.deepEqual(merges, ['integrate: merge formatter module', 'integrate: merge greeter module']);
    for (const m of s.modules) {
      assert.equal(m.branch, integration.replace(/integration$/, m.name));
      // Every module branch is fully contained in the integration branch.
      assert.equal(repo.git('merge-base', '--is-ancestor', m.branch, integration), '');
    }
    // The contracts commit and the scaffold commit are on the integration branch's first-parent line.
    const firstParent = repo.git('log', '--first-parent', '--format=%H', integration).split('\n');
    assert.ok(firstParent.includes(s.contractsCommit!));
    assert.ok(firstParent.includes(s.scaffoldCommit!));
  });

  it('builders committed as themselves, and only inside their module folders', () => {
    const s = run.result.state;
    for (const m of s.modules) {
      // The builder's commits only: its training pairs were cut to those that keep the rules before the engine committed its work.
      const commits = repo.git('log', '--format=%an|%s', `${m.baseCommit}..${m.branch}`, '--no-merges').split('\n');
      assert.ok(commits.every((c) => c.startsWith(`builder-${m.name}|`)), commits.join(','));
      const files = repo.git('diff', '--name-only', `${m.baseCommit}..${m.branch}`).split('\n');
      for (const f of files) assert.ok(f.startsWith(`src/${m.name}/`) || f.startsWith('.orchestration/brains/') || f.startsWith('.orchestration/training/'), f);
    }
  });

  it('commits the stack from the contracts: the toolchain in modules.json, a .gitignore for it and the lockfile install wrote', () => {
    const integration = run.result.state.integrationBranch;
    const manifest = JSON.parse(repo.git('show', `${integration}:.orchestration/contracts/modules.json`));
    assert.equal(manifest.toolchain.test, 'node --test {module_dir}/*.test.js');
    assert.deepEqual(manifest.modules.map((m: { path: string }) => m.path), ['src/formatter', 'src/greeter']);
    const files = repo.git('ls-tree', '-r', '--name-only', integration).split('\n');
    assert.ok(files.includes('package-lock.json'), 'install ran and its lockfile was committed');
    assert.match(repo.git('show', `${integration}:.gitignore`), /^node_modules\/$/m);
    assert.ok(!files.some((f) => f.startsWith('node_modules/')));
    assert.ok(run.events.some((e) => e.type === 'log' && /^install `npm install --no-audit --no-fund` exited 0/.test(e.message)));
  });

  it('writes QC reports, the run state, the journal and the assembly report into the run directory', () => {
    const dir = run.result.state.runDir;
    for (const m of ['formatter', 'greeter']) {
      const report = read(path.join(dir, 'qc', `${m}-build-qc.md`));
      assert.match(report, new RegExp(`^# QC Report: ${m}\\n## Verdict: PASS`));
      assert.match(report, /<!-- DONE -->/);
    }
    const state = JSON.parse(read(path.join(dir, 'state.json')));
    assert.equal(state.status, 'succeeded');
    const journal = read(path.join(dir, 'journal.jsonl')).trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(journal.some((e) => e.type === 'tool-call' && e.tool === 'write'));
    assert.ok(journal.some((e) => e.type === 'tool-result' && e.tool === 'submit_verdict'));
    assert.match(read(path.join(dir, 'builds', 'assembly-report.md')), /\| greeter \| .* \| clean \| pass \| MERGED \|/);
    // The run directory lives under the repository's .git (never committed, never in the user's tree).
    assert.equal(dir, path.join(repo.root, '.git', 'build-pipeline', 'runs', run.result.state.runId));
    const underGit = path.relative(path.join(repo.root, '.git'), fs.realpathSync(dir));
    assert.ok(underGit !== '' && !underGit.startsWith('..') && !path.isAbsolute(underGit), `run dir ${dir} is not under .git`);
  });

  it('the integration branch holds working code whose tests pass', () => {
    const wt = fs.mkdtempSync(path.join(repo.root, '..', 'bp-check-'));
    try {
      repo.git('worktree', 'add', '-q', '--detach', wt, run.result.state.integrationBranch);
      const out = execFileSync(process.execPath, ['--test', '--test-reporter=tap'], { cwd: wt, encoding: 'utf8' });
      assert.match(out, /# fail 0/);
      assert.match(out, /# pass [1-9]/);
      assert.ok(fs.existsSync(path.join(wt, '.orchestration/contracts/architecture.md')));
    } finally {
      repo.git('worktree', 'remove', '--force', wt);
    }
  });

  it('accounts tokens per agent, module, stage and run, including cache reads from the shared prefix', () => {
    const s = run.result.state;
    // The whole prompt sits under cache breakpoints (shared prefix and the growing conversation), so
    // uncached input can be 0: what must be there is input in some form.
    assert.ok(s.usage.input + s.usage.cacheRead + s.usage.cacheWrite > 0 && s.usage.output > 0 && s.usage.calls > 0);
    for (const m of s.modules) assert.ok(m.usage.calls > 0, m.name);
    const stageCalls = s.stages.reduce((n, st) => n + st.usage.calls, 0);
    assert.equal(stageCalls, s.usage.calls);
    assert.ok(s.usage.cacheRead > 0, 'later turns read the cached prefix');
    const perAgent = run.events.filter((e) => e.type === 'agent-usage');
    assert.equal(perAgent.length, s.usage.calls);
    const agents = Object.keys(s.agentUsage).sort();
    assert.deepEqual(agents, ['architect-1', 'builder-formatter-0', 'builder-greeter-0', 'curate-1', 'qc-formatter-1', 'qc-greeter-1', 'scaffold-0', 'training-bootstrap-1-0']);
    assert.equal(Object.values(s.agentUsage).reduce((n, u) => n + u.input + u.output + u.cacheRead + u.cacheWrite, 0), s.usage.input + s.usage.output + s.usage.cacheRead + s.usage.cacheWrite);
    // Parallel builders share the cached prefix (role prompt + contracts): the second builder's first call reads it.
    const firstOfGreeter = perAgent.find((e) => e.type === 'agent-usage' && e.agentId === 'builder-greeter-0');
    assert.ok(firstOfGreeter && firstOfGreeter.type === 'agent-usage' && firstOfGreeter.usage.cacheRead > 0, JSON.stringify(firstOfGreeter));
  });

  it('the run report gives dollars per agent, module and stage and the cache share of input tokens per role', () => {
    const dir = run.result.state.runDir;
    const report = JSON.parse(read(path.join(dir, 'report.json'))) as { costUsd: number; cost: { byAgent: Record<string, number>; byModule: Record<string, number>; byStage: Record<string, number> }; cacheShareByRole: Record<string, number | null> };
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    assert.ok(report.costUsd > 0);
    assert.ok(Math.abs(sum(report.cost.byAgent) - report.costUsd) < 1e-9, 'agents add up to the run');
    assert.ok(Math.abs(sum(report.cost.byStage) - report.costUsd) < 1e-9, 'stages add up to the run');
    assert.deepEqual(Object.keys(report.cost.byModule).sort(), ['formatter', 'greeter']);
    for (const role of ['architect', 'scaffold', 'builder', 'qc']) assert.ok((report.cacheShareByRole[role] ?? 0) > 0, role);
    // Builders re-read their growing conversation from cache: most of their input is cache reads.
    assert.ok(report.cacheShareByRole['builder']! > 0.5, String(report.cacheShareByRole['builder']));
    const md = read(path.join(dir, 'report.md'));
    assert.match(md, /## Cache share of input tokens, per role[\s\S]*\| builder \| \d+% \|/);
    assert.match(md, /\| greeter \| \$\d+\.\d{4} \|/);
  });

  it('removes the passed modules\' worktrees and keeps no stray worktree or merge state', () => {
    const list = repo.git('worktree', 'list', '--porcelain');
    const worktrees = list.split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice(9));
    assert.deepEqual(worktrees.map((w) => path.basename(w)).sort(), [path.basename(repo.root), 'integration'].sort());
    const integrationWt = worktrees.find((w) => w.endsWith('integration'))!;
    assert.equal(execFileSync('git', ['status', '--porcelain'], { cwd: integrationWt, encoding: 'utf8' }).trim(), '');
    assert.ok(!fs.existsSync(path.join(repo.root, '.git', 'worktrees', 'integration', 'MERGE_HEAD')));
  });
});
