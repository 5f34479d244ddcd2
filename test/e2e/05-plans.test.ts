// Issue #9 in VS Code: Implement Plan on a small hand-written plan in an existing repository (the calc
// library; the scripted model plays auditor, teammates and reviewers offline). The plan orders a phase
// before one it depends on, so the flow audit says Significant Issues: the gate is answered from its
// row in the Plans tree. A phase of three tasks runs with a team: the Team tree shows the teammates,
// the Tasks tree (buildPipeline.tasks) the task list with claims, and the log channel the mailbox.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { calcRepoFiles } from '../../src/scripted/projects/calc-ops';
import { opTask, writePlan } from '../integration/plan-helpers';
import { makeRepo } from './fixtures';
import { e2eSession } from './session';

describe('e2e: Implement Plan with a team, the plan gate on its tree row, the Team and Tasks trees', function () {
  this.timeout(900_000);
  const e2e = e2eSession('plans', {
    repo: () => {
      const repo = makeRepo({ config: null, files: calcRepoFiles({}) });
      // Written by hand, as a user may; left untracked like a plan Create Plan writes.
      writePlan(
        path.join(repo.root, '.orchestration', 'plans', 'ops'),
        [
          { slug: 'square', depends_on: [2], tasks: [opTask('T1', 'square')] },
          { slug: 'ops', tasks: [opTask('T1', 'multiply'), opTask('T2', 'divide'), opTask('T3', 'power')] },
          { slug: 'docs', depends_on: [1, 2], tasks: [{ id: 'T1', title: 'Document the operations', files: ['docs/ops.md'] }] },
        ],
        'More calc operations',
      );
      return repo;
    },
    viewport: { width: 1400, height: 1400 },
  });

  it('lists the plan; Implement Plan stops at the Significant Issues gate, shown as a row of the Plans tree', async () => {
    const { wb } = e2e;
    await wb.showBuildPipeline();
    for (const pane of ['Stages', 'Modules', 'Locks']) await wb.collapsePane(pane);
    await wb.waitForTreeRow('Plans', /More calc operations/);
    await wb.runCommandAndPick('Build Pipeline: Implement Plan', 'More calc operations');
    await wb.waitForTreeRow('Plans', /Gate: Flow audit: Significant Issues/, 180_000);
    await wb.screenshot('plan-gate');
  });

  it("Approve on the gate's row lets the team implement the plan; Team and Tasks trees show teammates and claims; Reject at the ship gate's row", async () => {
    const { wb } = e2e;
    await wb.clickRowAction('Plans', /Gate: Flow audit/, 'Approve Plan Gate');
    const teamRows = new Set<string>();
    const taskRows = new Set<string>();
    const deadline = Date.now() + 600_000;
    let done = '';
    let shipGate = false;
    while (Date.now() < deadline) {
      for (const r of await wb.treeRows('Team')) teamRows.add(r);
      for (const r of await wb.treeRows('Tasks')) taskRows.add(r);
      // After the last phase the run waits at the ship gate; Reject there keeps main as it was.
      if (!shipGate && (await wb.pane('Plans').locator('.monaco-list-row', { hasText: /Gate: Ship ready/ }).count()) > 0) {
        shipGate = true;
        await wb.clickRowAction('Plans', /Gate: Ship ready/, 'Reject Plan Gate');
      }
      const end = wb.toast(/Build Pipeline: plan (succeeded|failed|halted|cancelled|blocked)/);
      if (await end.isVisible().catch(() => false)) {
        done = await end.innerText();
        break;
      }
      await wb.page.waitForTimeout(500);
    }
    await wb.screenshot('plan-done');
    assert.ok(shipGate, 'the ship gate was shown as a row of the Plans tree');
    assert.match(done, /plan halted: ship gate: rejected/, done || 'no closing notification');
    // Read once more after the end: both trees keep showing the run.
    for (const r of await wb.treeRows('Team')) teamRows.add(r);
    for (const r of await wb.treeRows('Tasks')) taskRows.add(r);
    const team = [...teamRows];
    const tasks = [...taskRows];
    assert.ok(team.some((r) => /builder-\d/.test(r)) && team.some((r) => /validator-\d/.test(r)), team.join('\n'));
    assert.ok(team.some((r) => /Phase 02/.test(r)), team.join('\n'));
    assert.ok(tasks.some((r) => /claimed by builder-\d|done by builder-\d/.test(r)), tasks.join('\n'));
    assert.ok(tasks.some((r) => /done by validator-\d/.test(r)), tasks.join('\n'));
    assert.equal(await wb.pane('Plans').locator('.monaco-list-row', { hasText: /Gate: / }).count(), 0, 'the gate rows are gone once answered');
  });

  it('mailbox traffic is in the log channel; the user branch is untouched, the phases are merged on the integration branch', () => {
    const { server, repo, headBefore } = e2e;
    const log = server.extensionLog() ?? '';
    assert.match(log, /✉ #\d+ \S+ → \S+: /);
    assert.match(log, /plan gate flow-audit: approve \(in VS Code\)/);
    assert.equal(repo.git('rev-parse', 'main'), headBefore);
    const integration = repo.git('branch', '--list', 'orchestration/*/integration', '--format=%(refname:short)').split('\n').filter(Boolean);
    assert.equal(integration.length, 1, integration.join(', '));
    const merges = repo.git('log', '--merges', '--format=%s', integration[0]!);
    assert.equal(merges.split('\n').filter(Boolean).length >= 3, true, merges);
  });

  it('Implement Plan on the halted run asks whether to resume it or start afresh; Start afresh makes a new run and leaves the halted one as it was', async () => {
    const { wb, server, repo } = e2e;
    const integrationBefore = repo.git('branch', '--list', 'orchestration/*/integration', '--format=%(refname:short)').trim();
    await wb.runCommandAndPick('Build Pipeline: Implement Plan', 'More calc operations');
    await wb.pickQuickItem('Start afresh');
    // The new run stops at the same flow-audit gate; the log names the run set aside.
    await wb.waitForTreeRow('Plans', /Gate: Flow audit: Significant Issues/, 180_000);
    const halted = /^orchestration\/(\S+)\/integration$/.exec(integrationBefore)![1]!;
    assert.match(server.extensionLog() ?? '', new RegExp(`Implementing \\S+: run (?!${halted})\\S+ \\(run ${halted} of this plan is left as it was\\)`));
    assert.match(repo.git('branch', '--list', 'orchestration/*/integration', '--format=%(refname:short)'), new RegExp(integrationBefore.replace(/\//g, '\\/')));
    await wb.clickRowAction('Plans', /Gate: Flow audit/, 'Reject Plan Gate');
    await wb.toast(/Build Pipeline: plan halted: flow audit: Significant Issues, rejected/).waitFor({ timeout: 60_000 });
  });
});
