import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readPlan, splitHeader } from '../../src/core/plans/parse';
import { checkPlanFlow, findCycles, phaseOrder, repoFilesAt } from '../../src/core/plans/checks';
import { checkPlanFolder, createPlan, slugOf } from '../../src/core/plans/create';
import { openModelSession } from '../../src/core/plans/session';
import { defaultConfig } from '../../src/core/config';
import { calcPlanDescription } from '../../src/scripted/projects/calc-ops';
import { startScriptedModel } from '../../src/scripted';
import { makeCalcRepo, opTask, writePlan } from './plan-helpers';
import type { TestRepo } from './harness';

describe('plan folders: format, parser and validator (T1)', function () {
  this.timeout(60_000);
  let repo: TestRepo;
  beforeEach(() => (repo = makeCalcRepo()));
  afterEach(() => repo.cleanup());
  const planDir = () => path.join(repo.root, '.orchestration', 'plans', 'p');

  it('reads a hand-written plan: phases, headers, tasks, a stable hash; no problems', async () => {
    writePlan(planDir(), [
      { slug: 'multiply', references: ['src/math.js'], tasks: [opTask('T1', 'multiply')] },
      { slug: 'docs', depends_on: [1], references: ['src/ops/multiply.js', 'README.md'] },
    ]);
    const { plan, problems } = await checkPlanFolder(planDir(), repo.root);
    assert.deepEqual(problems, []);
    assert.equal(plan!.phases.length, 2);
    assert.deepEqual(plan!.phases.map((p) => [p.number, p.slug, p.header.depends_on]), [[1, 'multiply', []], [2, 'docs', [1]]]);
    assert.equal(plan!.phases[0]!.header.tasks[0]!.files[0], 'src/ops/multiply.js');
    assert.equal(readPlan(planDir()).plan!.hash, plan!.hash);
    fs.appendFileSync(path.join(planDir(), 'phase-02-docs.md'), 'one more line\n');
    assert.notEqual(readPlan(planDir()).plan!.hash, plan!.hash);
  });

  it('refuses a phase over 15 KB, sub-phase numbering, gaps, a header that is not JSON, and a header against the schema', () => {
    writePlan(planDir(), [{ slug: 'one' }, { slug: 'two', body: 'x'.repeat(16 * 1024) }, { slug: 'three' }]);
    fs.writeFileSync(path.join(planDir(), 'phase-01a-extra.md'), '---\n{}\n---\n');
    fs.writeFileSync(path.join(planDir(), 'phase-03-three.md'), '---\n{ phase: 3 }\n---\nbody');
    fs.writeFileSync(path.join(planDir(), 'phase-05-five.md'), `---\n${JSON.stringify({ phase: 5, title: 'bad', tasks: [{ id: 't-1', title: 'x' }], extra: 1 })}\n---\n`);
    const { problems } = readPlan(planDir());
    const text = problems.map((p) => `${p.kind} ${p.file} ${p.message}`).join('\n');
    assert.match(text, /size phase-02-two\.md is \d+ bytes; a phase document is at most 15360/);
    assert.match(text, /numbering phase-01a-extra\.md is not named phase-NN-slug\.md/);
    assert.match(text, /format phase-03-three\.md its header is not valid JSON/);
    assert.match(text, /numbering phase-05-five\.md phase numbers must run 01, 02, … without gaps/);
    assert.match(text, /format phase-05-five\.md header tasks\.0\.id: task id must be/);
    assert.match(text, /format phase-05-five\.md header \(root\): Unrecognized key/);
    assert.match(text, /format plan\.md its phase table does not list phase-05-five\.md/);
  });

  it('refuses a plan.md without its sections, a missing plan.md, a path that escapes the repository, and task dependency errors', () => {
    writePlan(planDir(), [{ slug: 'one', references: ['../outside.js'], tasks: [{ id: 'T1', title: 'first', depends_on: ['T9'] }, { id: 'T1', title: 'again' }] }]);
    fs.writeFileSync(path.join(planDir(), 'plan.md'), '# Only a title\n\nphase-01-one.md\n');
    const text = readPlan(planDir()).problems.map((p) => `${p.kind} ${p.file} ${p.message}`).join('\n');
    assert.match(text, /format plan\.md has no "## Summary" section/);
    assert.match(text, /format plan\.md has no "## Success metrics" section/);
    assert.match(text, /references\.0: path "\.\.\/outside\.js" contains a '\.\.' segment/);
    fs.writeFileSync(path.join(planDir(), 'phase-01-one.md'), `---\n${JSON.stringify({ phase: 1, title: 'one', tasks: [{ id: 'T1', title: 'first', depends_on: ['T9'] }, { id: 'T1', title: 'again' }] })}\n---\n`);
    const again = readPlan(planDir()).problems.map((p) => `${p.kind} ${p.message}`).join('\n');
    assert.match(again, /task task id T1 is used twice/);
    assert.match(again, /task task T1 depends on T9, which is not a task of this phase/);
    // The ids of the engine's own fix tasks are not a plan's: F0 was taken for the pre-phase fix, a second P2 failed the phase.
    fs.writeFileSync(path.join(planDir(), 'phase-01-one.md'), `---\n${JSON.stringify({ phase: 1, title: 'one', tasks: [{ id: 'F0', title: 'first' }, { id: 'P2', title: 'second' }, { id: 'P2X', title: 'third' }] })}\n---\n`);
    const reserved = readPlan(planDir()).problems.map((p) => `${p.kind} ${p.message}`).join('\n');
    assert.match(reserved, /tasks\.0\.id: task ids F0 and P1, P2, … are the engine's own fix tasks/);
    assert.match(reserved, /tasks\.1\.id: task ids F0 and P1, P2, …/);
    assert.doesNotMatch(reserved, /tasks\.2\.id/);
    fs.rmSync(path.join(planDir(), 'plan.md'));
    assert.deepEqual(readPlan(planDir()).problems, [{ kind: 'format', file: 'plan.md', message: 'is missing' }]);
  });

  it('flow checks: a cycle, a wrong order, a missing phase and a stale reference; order and cycles computed', async () => {
    writePlan(planDir(), [
      { slug: 'a', depends_on: [3] },
      { slug: 'b', depends_on: [1, 7], references: ['src/gone.js'] },
      { slug: 'c', depends_on: [2] },
      { slug: 'd', depends_on: [5] },
      { slug: 'e' },
    ]);
    const { plan } = readPlan(planDir());
    assert.deepEqual(findCycles(plan!.phases), [[1, 2, 3]]);
    const flow = checkPlanFlow(plan!, await repoFilesAt(repo.root)).map((p) => `${p.kind}: ${p.file}: ${p.message}`);
    assert.ok(flow.includes('cycle: phase-01-a.md: phases 01 → 02 → 03 depend on each other in a cycle; no order can satisfy them'), flow.join('\n'));
    assert.ok(flow.includes('missing-phase: phase-02-b.md: depends on phase 07, which does not exist'));
    assert.ok(flow.includes('order: phase-04-d.md: phase 04 is ordered before phase 05, which it depends on'));
    assert.ok(flow.some((f) => f.startsWith('missing-file: phase-02-b.md: cites src/gone.js')));
    assert.ok(!flow.some((f) => f.startsWith('order: phase-01')), 'a cycle is reported once, as a cycle');
    assert.throws(() => phaseOrder(plan!.phases), /cannot be ordered/);
    const acyclic = readPlan(writePlan(path.join(repo.root, 'other'), [{ slug: 'x', depends_on: [2] }, { slug: 'y' }])).plan!;
    assert.deepEqual(phaseOrder(acyclic.phases).map((p) => p.number), [2, 1]);
  });

  it('splits headers, and makes slugs that are safe folder names', () => {
    assert.deepEqual(splitHeader('---\n{"a":1}\n---\nbody'), { header: '{"a":1}', body: 'body' });
    assert.equal(splitHeader('no header'), null);
    assert.equal(slugOf('Add multiply, divide & power!'), 'add-multiply-divide-power');
    assert.equal(slugOf('../../etc/passwd'), 'etc-passwd');
    assert.equal(slugOf('???'), 'plan');
  });

  it('the planning agent (scripted model, real SDK) writes a valid 3-phase plan grounded in real files, and nothing else in the tree', async () => {
    const session = await openModelSession({ config: { ...defaultConfig(), retryBaseDelayMs: 5 }, offline: true, offlineModel: () => startScriptedModel({}) });
    try {
      const result = await createPlan(session, repo.root, calcPlanDescription);
      assert.deepEqual(result.problems, []);
      assert.equal(result.dir, path.join(repo.root, '.orchestration', 'plans', 'add-multiply-divide-and-power-operations'));
      assert.deepEqual(result.plan!.phases.map((p) => p.file), ['phase-01-multiply-and-divide.md', 'phase-02-power.md', 'phase-03-readme-and-changelog.md']);
      assert.deepEqual(result.plan!.phases[0]!.header.references, ['src/math.js', 'README.md']);
      assert.equal(result.plan!.phases[0]!.header.tasks.length, 3);
      // The plan folder is the only thing the command added to the working tree.
      const status = repo.git('status', '--porcelain=v1', '--untracked-files=all').split('\n').map((l) => l.slice(3));
      assert.deepEqual(status.sort(), ['.orchestration/plans/add-multiply-divide-and-power-operations/phase-01-multiply-and-divide.md', '.orchestration/plans/add-multiply-divide-and-power-operations/phase-02-power.md', '.orchestration/plans/add-multiply-divide-and-power-operations/phase-03-readme-and-changelog.md', '.orchestration/plans/add-multiply-divide-and-power-operations/plan.md'].sort());
      // A second plan for the same description gets its own folder; the first is never overwritten.
      const second = await createPlan(session, repo.root, calcPlanDescription);
      assert.equal(path.basename(second.dir), 'add-multiply-divide-and-power-operations-2');
    } finally {
      await session.close();
    }
  });
});
