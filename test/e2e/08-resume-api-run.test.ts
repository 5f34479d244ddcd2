// A run made with the Claude API, found in the runs folder its repository's .build-pipeline.json
// names, is offered for resume when the window opens, and resumes only with an API key: never with
// the offline demo model (the suites' settings turn the demo on), which would write demo code into it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeRepo, startAtBlueprintGate } from './fixtures';
import { e2eSession } from './session';

describe('e2e: resuming a run made with the API, from a configured runs folder', function () {
  this.timeout(300_000);
  const runsRoot = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-e2e-runs-')));
  after(() => fs.rmSync(runsRoot, { recursive: true, force: true }));
  const e2e = e2eSession('resume-api-run', { repo: () => makeRepo({ config: { stopAfter: 'assemble', runsDir: runsRoot } }) });

  it('offers the run when the window opens, and asks for an API key instead of resuming it with the demo model', async () => {
    const { wb, repo } = e2e;
    // A run waiting at its blueprint gate, started from the CLI (exit 3), in the configured folder.
    startAtBlueprintGate(repo.root);
    const [runId] = fs.readdirSync(runsRoot);
    const stateFile = path.join(runsRoot, runId!, 'state.json');
    // As if it had been made with the API.
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(stateFile, JSON.stringify({ ...state, offline: false }, null, 2));
    const before = fs.readFileSync(stateFile);

    await wb.page.reload();
    await wb.ready();
    await wb.clickNotification(new RegExp(`run ${runId} .* did not finish`), 'Resume', 60_000);
    await wb.toast(/This run was made with the Claude API, and no API key is stored/).waitFor({ state: 'visible', timeout: 30_000 });
    await wb.screenshot('asks-for-a-key');
    assert.deepEqual(fs.readFileSync(stateFile), before, 'the run was not resumed');
    assert.ok(!fs.existsSync(path.join(runsRoot, runId!, 'lock')), 'no process drives it');
  });

  it('resumed as the demo run it is, its gate comes back after "Open Architecture" fails (the file is gone)', async () => {
    const { wb } = e2e;
    const [runId] = fs.readdirSync(runsRoot);
    const stateFile = path.join(runsRoot, runId!, 'state.json');
    fs.writeFileSync(stateFile, JSON.stringify({ ...(JSON.parse(fs.readFileSync(stateFile, 'utf8')) as object), offline: true }, null, 2));
    await wb.runCommand('Build Pipeline: Resume');
    await wb.toast(/Blueprint ready/).waitFor({ timeout: 60_000 });
    // The gate's file, gone: opening it fails. The failure used to take the gate's notification with it.
    const architecture = path.join(runsRoot, runId!, 'worktrees', 'integration', '.orchestration', 'contracts', 'architecture.md');
    assert.ok(fs.existsSync(architecture), architecture);
    fs.rmSync(architecture);
    await wb.clickNotification(/Blueprint ready/, 'Open Architecture');
    await wb.toast(/could not open .*architecture\.md/).waitFor({ timeout: 30_000 });
    // Back as a notification (in the list: beside the warning and the run's progress it may not be toasted).
    await wb.runCommand('Notifications: Show Notifications');
    await wb.page.locator('.notifications-center .notification-list-item', { hasText: /Blueprint ready/ }).first().waitFor({ timeout: 30_000 });
    await wb.screenshot('gate-back-after-a-failed-open');
  });
});
