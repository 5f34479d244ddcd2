import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditFile, readStoredAudit, runFlowAudit } from '../../src/core/plans/audit';
import { readPlan } from '../../src/core/plans/parse';
import { openModelSession, type ModelSession } from '../../src/core/plans/session';
import { defaultConfig } from '../../src/core/config';
import { startScriptedModel } from '../../src/scripted';
import { makeCalcRepo, opTask, writePlan, type PhaseDraft } from './plan-helpers';
import type { TestRepo } from './harness';

describe('flow audit (T2): deterministic checks, an auditing agent with a bounded context, a stored verdict', function () {
  this.timeout(60_000);
  let repo: TestRepo;
  let session: ModelSession;
  let agentCalls: number;
  beforeEach(async () => {
    repo = makeCalcRepo();
    session = await openModelSession({ config: { ...defaultConfig(), retryBaseDelayMs: 5 }, offline: true, offlineModel: () => startScriptedModel({}) });
    agentCalls = 0;
    session.onEvent((e) => {
      if (e.type === 'agent-started' && e.role === 'plan-auditor') agentCalls++;
    });
  });
  afterEach(async () => {
    await session.close();
    repo.cleanup();
  });
  const dir = () => path.join(repo.root, '.orchestration', 'plans', 'p');
  const good: PhaseDraft[] = [
    { slug: 'multiply', references: ['src/math.js'], tasks: [opTask('T1', 'multiply')] },
    { slug: 'divide', depends_on: [1], references: ['src/ops/multiply.js'], tasks: [opTask('T1', 'divide')] },
    { slug: 'docs', depends_on: [1, 2], references: ['README.md'] },
  ];
  const audit = () => runFlowAudit(session, readPlan(dir()).plan!, repo.root);

  it('a sound 3-phase plan is Ready; the verdict is stored with the plan hash and reused while the plan is unchanged', async () => {
    writePlan(dir(), good);
    const first = await audit();
    assert.equal(first.audit.verdict, 'Ready');
    assert.equal(first.reused, false);
    assert.equal(first.audit.agentVerdict, 'Ready');
    assert.equal(first.audit.trigger, 'first audit of this plan');
    assert.ok(first.audit.contextBytes > 0 && first.audit.contextBytes <= 8 * 1024, `auditor context ${first.audit.contextBytes} bytes`);
    const stored = readStoredAudit(await auditFile(repo.root, dir()))!;
    assert.equal(stored.planHash, readPlan(dir()).plan!.hash);
    assert.ok(stored.planDir.startsWith(repo.root) && (await auditFile(repo.root, dir())).includes(`${path.sep}.git${path.sep}`), 'kept in .git, not in the tree');
    const again = await audit();
    assert.equal(again.reused, true);
    assert.equal(agentCalls, 1, 'an unchanged plan is not audited twice');
  });

  it('a plan changed since its last audit is audited again, and says why', async () => {
    writePlan(dir(), good);
    await audit();
    fs.appendFileSync(path.join(dir(), 'phase-03-docs.md'), '\nTODO: decide where the docs go.\n');
    const changed = await audit();
    assert.equal(changed.reused, false);
    assert.match(changed.audit.trigger, /^the plan changed since its last audit/);
    assert.equal(changed.audit.verdict, 'Significant Issues');
    assert.deepEqual(changed.audit.reasons, ['auditor: phase-03-docs.md leaves an open question (TODO/TBD) that an implementer would have to guess.']);
    assert.equal(agentCalls, 2);
  });

  it('a dependency cycle is Major Restructuring Needed, found by code alone (no model call)', async () => {
    writePlan(dir(), [{ slug: 'a', depends_on: [3] }, { slug: 'b', depends_on: [1] }, { slug: 'c', depends_on: [2] }]);
    const r = await audit();
    assert.equal(r.audit.verdict, 'Major Restructuring Needed');
    assert.deepEqual(r.audit.reasons, ['phase-01-a.md: phases 01 → 02 → 03 depend on each other in a cycle; no order can satisfy them']);
    assert.equal(r.audit.agentVerdict, undefined);
    assert.equal(agentCalls, 0);
  });

  it('a phase ordered before the phase it depends on is Significant Issues (a person decides)', async () => {
    writePlan(dir(), [{ slug: 'a', depends_on: [2] }, { slug: 'b' }, { slug: 'c', depends_on: [1] }]);
    const r = await audit();
    assert.equal(r.audit.verdict, 'Significant Issues');
    assert.deepEqual(r.audit.reasons, ['phase-01-a.md: phase 01 is ordered before phase 02, which it depends on']);
  });

  it('a stale reference (a cited file that no longer exists) is Significant Issues', async () => {
    writePlan(dir(), good);
    repo.git('rm', '-q', 'src/math.js');
    repo.git('commit', '-q', '-m', 'user: move math');
    const r = await audit();
    assert.equal(r.audit.verdict, 'Significant Issues');
    assert.match(r.audit.reasons[0]!, /^phase-01-multiply\.md: cites src\/math\.js, which exists neither in the repository/);
  });
});
