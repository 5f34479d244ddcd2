// Resuming a run from a plain single-folder window (not the run workspace Start switches to first).
// Adding a builder's worktree as a workspace folder there would turn the window multi-root, which
// restarts the extension host, and the engine process with it: the run died at its first builder.
// In such a window the worktrees are not added; the run goes on to its end.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeRepo, runDirs, startAtBlueprintGate } from './fixtures';
import { e2eSession } from './session';

describe('e2e: resuming a run in a single-folder window', function () {
  this.timeout(600_000);
  const e2e = e2eSession('resume-in-folder', { repo: () => makeRepo() });

  it('resumed from its restored gate row, runs on through its builders to the end without adding worktree folders (which would restart the host)', async () => {
    const { wb, repo } = e2e;
    // A run waiting at its blueprint gate, started from the CLI without a terminal (exit 3).
    startAtBlueprintGate(repo.root);
    const [runDir] = runDirs(repo.root);
    const folderUrl = wb.page.url();

    // The window, opened again, shows the run from disk with its open gate. The gate row resumes the
    // run, which asks the gate again (the row used to be disabled: no gate was "waiting" in this window).
    await wb.page.reload();
    await wb.ready();
    await wb.showBuildPipeline();
    const gateRow = await wb.waitForTreeRow('Stages', /Gate: Blueprint — waiting for you/, 60_000);
    await wb.screenshot('restored-gate-row');
    await gateRow.click();
    await wb.clickNotification(/Blueprint ready/, 'Approve', 120_000);
    await wb.screenshot('approved');
    const stateFile = path.join(runDir!, 'state.json');
    const deadline = Date.now() + 300_000;
    let state = { status: '', modules: [] as { name: string; status: string }[] };
    while (Date.now() < deadline) {
      state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as typeof state;
      if (!['running', 'awaiting-approval'].includes(state.status) || (state.status === 'awaiting-approval' && state.modules.length > 0)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await wb.screenshot('ended');
    assert.equal(state.status, 'succeeded', JSON.stringify(state.modules));
    assert.deepEqual(state.modules.map((m) => `${m.name}:${m.status}`).sort(), ['formatter:merged', 'greeter:merged']);
    assert.equal(wb.page.url(), folderUrl, 'still the same single-folder window');
  });
});
