// Issue #7 in VS Code: a full Audit from the palette (the scripted model plays planner, workers and
// coordinators offline) ending in its report panel, with the repository unchanged; then a whole
// pipeline run on a repository whose config does not stop after assembly, up to the ship gate, whose
// notification's Approve merges the integration branch into main (--no-ff, main's old head kept).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeRepo, runDirs } from './fixtures';
import { e2eSession } from './session';

describe('e2e: Audit from the palette, and the ship gate approved in its notification', function () {
  this.timeout(900_000);
  // No `.build-pipeline.json`: the run goes on through harden and ship (the UI suite's repo stops after assemble).
  // No code either: existing code would make the engine run its install and tests on the base commit first.
  const e2e = e2eSession('audit-ship', { repo: () => makeRepo({ config: null }) });

  it('Audit runs to its end and shows the report; nothing in the repository changes', async () => {
    const { wb, repo, headBefore } = e2e;
    const statusBefore = repo.git('status', '--porcelain=v1', '--untracked-files=all');
    await wb.showBuildPipeline();
    await wb.runCommand('Build Pipeline: Audit');
    await wb.answerInput('Audit the project for security and error handling');
    await wb.toast(/Build Pipeline audit finished/).waitFor({ timeout: 480_000 });
    const frame = await wb.webviewFrame('audit', 60_000);
    const text = await frame.locator('#content').innerText();
    assert.match(text, /domain/i, text.slice(0, 500));
    await wb.screenshot('audit-report');
    const runDir = runDirs(repo.root).at(-1)!;
    const state = JSON.parse(fs.readFileSync(path.join(runDir, 'state.json'), 'utf8')) as { mode?: string; status: string };
    assert.deepEqual([state.mode, state.status], ['audit', 'succeeded']);
    assert.ok(fs.readdirSync(path.join(runDir, 'workers')).some((f) => f.endsWith('.md')), 'no worker file');
    assert.ok(fs.readdirSync(path.join(runDir, 'synthesis')).some((f) => f.endsWith('.md')), 'no synthesis');
    assert.equal(repo.git('rev-parse', 'HEAD'), headBefore);
    assert.equal(repo.git('status', '--porcelain=v1', '--untracked-files=all'), statusBefore);
  });

  it('a build run goes through harden to the ship gate; Approve in the notification merges into main', async () => {
    const { wb, repo, headBefore } = e2e;
    await wb.runCommand('Build Pipeline: Start');
    await wb.answerInput('Build a CLI tool with a greeter module and a formatter module.');
    // The window reloads here (single folder → multi-root workspace) before the run starts.
    await wb.clickNotification(/Blueprint ready/, 'Approve', 180_000);
    await wb.showBuildPipeline();
    let shipApproved = false;
    const deadline = Date.now() + 600_000;
    let finished = false;
    while (Date.now() < deadline) {
      if (await wb.toast(/Build Pipeline finished/).isVisible().catch(() => false)) {
        finished = true;
        break;
      }
      const failed = wb.toast(/Build Pipeline (halted|run failed|cancelled)/);
      if (await failed.isVisible().catch(() => false)) assert.fail(await failed.innerText());
      const ship = wb.toast(/Ship ready/);
      if (!shipApproved && (await ship.isVisible().catch(() => false))) {
        assert.match(await ship.innerText(), /merge orchestration\/.*\/integration into main/);
        await wb.screenshot('ship-gate');
        await ship.locator('.monaco-button', { hasText: 'Approve' }).first().click();
        shipApproved = true;
        continue;
      }
      // Any other gate on the way (the scripted model asks none on this project) would be approved as well.
      const gate = wb.page.locator('.notification-toast', { hasText: /ready/i }).filter({ hasNotText: /Ship ready/ }).filter({ has: wb.page.locator('.monaco-button', { hasText: 'Approve' }) });
      if (await gate.count()) await gate.first().locator('.monaco-button', { hasText: 'Approve' }).first().click().catch(() => undefined);
      await wb.page.waitForTimeout(500);
    }
    await wb.screenshot('shipped');
    assert.ok(shipApproved, 'the ship gate never showed its notification');
    assert.ok(finished, 'no "Build Pipeline finished" notification');
    const runDir = runDirs(repo.root).at(-1)!;
    const run = path.basename(runDir);
    const state = JSON.parse(fs.readFileSync(path.join(runDir, 'state.json'), 'utf8')) as { gates: { gate?: string; decision: string; by: string }[] };
    assert.ok(state.gates.some((g) => g.gate === 'ship' && g.decision === 'approve' && g.by === 'vscode'), JSON.stringify(state.gates));
    // main moved forward by a merge of the integration branch; its old head is still in its history.
    const main = repo.git('rev-parse', 'main');
    assert.notEqual(main, headBefore);
    repo.git('merge-base', '--is-ancestor', headBefore, 'main');
    const merges = repo.git('log', '--merges', '--format=%s', `${headBefore}..main`);
    assert.match(merges, new RegExp(`orchestration/${run}/integration`), merges);
    assert.match(repo.git('ls-tree', '-r', '--name-only', 'main'), /formatter/, 'the built modules are on main');
  });
});
