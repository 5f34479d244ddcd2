// The whole pipeline through the VS Code UI, on the offline demo (the scripted model): Start from the
// palette, approve the blueprint in its notification, watch the trees fill and the builders'
// worktrees come and go as workspace folders, open a QC report (with a hostile payload appended)
// and an ADR, review a module's diff, and check the branches the run left.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { workspaceFileFolders } from './codeServer';
import { makeRepo } from './fixtures';
import { e2eSession } from './session';

const DESCRIPTION = 'Build a CLI tool with a greeter module and a formatter module.';
const HOSTILE = [
  '',
  '## Appended by the e2e test',
  '<script>window.pwned = "script"</script>',
  '<img src=x onerror="window.pwned = \'img\'">',
  '[click me](javascript:window.pwned=1)',
  '',
].join('\n');

/** Installed in the page: notes whether the Stages rows Build and Assemble ever both read "running", and the status bar's text then. */
const BOTH_RUNNING_OBSERVER = `(() => {
  const panes = [...document.querySelectorAll('.split-view-view')];
  const pane = panes.filter((p) => /^\\s*Stages/i.test(p.querySelector('.pane-header')?.textContent ?? '')).at(-1);
  const bar = document.querySelector('.part.statusbar');
  if (!pane || !bar) return false;
  const seen = (window.__bpBothRunning = window.__bpBothRunning ?? { rows: false, statusBar: '' });
  const running = (name) =>
    [...pane.querySelectorAll('.monaco-list-row')].some(
      (r) => (r.querySelector('.label-name')?.textContent ?? '').trim() === name && /^running/.test((r.querySelector('.label-description')?.textContent ?? '').trim()),
    );
  const check = () => {
    if (running('Build') && running('Assemble')) seen.rows = true;
    const text = [...bar.querySelectorAll('.statusbar-item')].map((e) => e.textContent ?? '').find((t) => /Build \\+ Assemble/.test(t));
    if (text) seen.statusBar = text;
  };
  for (const target of [pane, bar]) new MutationObserver(check).observe(target, { subtree: true, childList: true, characterData: true, attributes: true });
  check();
  return true;
})()`;

describe('e2e: a full offline-demo run driven through the UI', function () {
  this.timeout(600_000);
  const e2e = e2eSession('pipeline', { repo: () => makeRepo() });
  const seenFolders = new Set<string>();
  let poll: NodeJS.Timeout | undefined;

  before(() => {
    poll = setInterval(() => workspaceFileFolders(workspaceFile()).forEach((p) => seenFolders.add(p)), 100);
  });

  after(() => clearInterval(poll));

  /** The workspace the extension switches the window to before the run. */
  const workspaceFile = () => path.join(e2e.repo.root, '.git', 'build-pipeline', `${path.basename(e2e.repo.root)}.code-workspace`);

  const runDir = () => {
    const runs = path.join(e2e.repo.root, '.git', 'build-pipeline', 'runs');
    const ids = fs.readdirSync(runs).filter((n) => fs.existsSync(path.join(runs, n, 'state.json')));
    assert.equal(ids.length, 1, `expected one run, found ${ids.join(', ')}`);
    return path.join(runs, ids[0]!);
  };

  it('starts from the palette and stops at the blueprint gate with a notification', async () => {
    const { wb, repo } = e2e;
    await wb.showBuildPipeline();
    await wb.runCommand('Build Pipeline: Start');
    await wb.answerInput(DESCRIPTION);
    await wb.screenshot('description-entered');
    // The window reloads here: single folder → multi-root workspace, before the run starts.
    await wb.toast(/Blueprint ready/).waitFor({ timeout: 90_000 }).catch(async (e: unknown) => {
      console.log('no blueprint gate; page', wb.page.url(), 'title', await wb.page.title(), 'build-pipeline dir', fs.readdirSync(path.join(repo.root, '.git', 'build-pipeline')));
      throw e;
    });
    await wb.showBuildPipeline();
    await wb.waitForTreeRow('Stages', /waiting for you/);
    await wb.screenshot('blueprint-gate');
  });

  it('shows the locked decisions and ADRs before approval', async () => {
    const { wb } = e2e;
    await wb.waitForTreeRow('Locks', /Decisions/);
    const rows = await wb.treeRows('Locks');
    assert.ok(rows.some((r) => /locked|critical/.test(r)), rows.join('\n'));
  });

  it('Request Changes asks for feedback and the architect reruns to a new blueprint gate', async () => {
    const { wb } = e2e;
    await wb.clickNotification(/Blueprint ready/, 'Request Changes');
    await wb.answerInput('Name the formatter styles in the interface, please.');
    await wb.page.waitForTimeout(500);
    await wb.toast(/Blueprint ready/).waitFor({ timeout: 60_000 });
    const state = JSON.parse(fs.readFileSync(path.join(runDir(), 'state.json'), 'utf8')) as { gates: { decision: string; feedback?: string; by: string }[] };
    assert.deepEqual(state.gates.map((g) => [g.decision, g.by]), [['changes', 'vscode']]);
    assert.match(state.gates[0]?.feedback ?? '', /formatter styles/);
    await wb.screenshot('blueprint-after-changes');
  });

  it('a closed window leaves the gate open; reopening offers Resume, which asks the gate again', async () => {
    const { wb } = e2e;
    const url = wb.page.url();
    await wb.page.goto('about:blank');
    // The extension host notices the window went away and answers the open gate "later".
    const stateFile = path.join(runDir(), 'state.json');
    const deadline = Date.now() + 60_000;
    let status = '';
    while (Date.now() < deadline) {
      status = (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { status: string }).status;
      if (status === 'awaiting-approval') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(status, 'awaiting-approval');
    await wb.page.goto(url);
    await wb.ready();
    await wb.clickNotification(/did not finish/, 'Resume', 60_000);
    await wb.toast(/Blueprint ready/).waitFor({ timeout: 60_000 });
    await wb.screenshot('resumed-at-gate');
  });

  it('approving in the notification lets the run build, QC and assemble', async () => {
    const { wb } = e2e;
    await wb.clickNotification(/Blueprint ready/, 'Approve');
    await wb.showBuildPipeline(); // after the reopen the side bar shows the Explorer
    assert.equal(await wb.page.evaluate(BOTH_RUNNING_OBSERVER), true, 'no Stages pane to observe');
    await wb.waitForTreeRow('Modules', /formatter/, 120_000);
    await wb.screenshot('building');
    // Approve any later gate the engine asks for, until the run announces its end.
    const deadline = Date.now() + 300_000;
    let finished = false;
    while (Date.now() < deadline) {
      if (await wb.toast(/Build Pipeline finished/).isVisible().catch(() => false)) {
        finished = true;
        break;
      }
      const failed = wb.toast(/Build Pipeline (halted|run failed|cancelled)/);
      if (await failed.isVisible().catch(() => false)) assert.fail(await failed.innerText());
      const gate = wb.page.locator('.notification-toast', { hasText: /ready/i }).filter({ has: wb.page.locator('.monaco-button', { hasText: 'Approve' }) });
      if (await gate.count()) await gate.first().locator('.monaco-button', { hasText: 'Approve' }).first().click().catch(() => undefined);
      await wb.page.waitForTimeout(500);
    }
    assert.ok(finished, 'no "Build Pipeline finished" notification');
    await wb.screenshot('finished');
    // Offline, the closing message says the dollars are what the API would charge, not what was charged.
    assert.match(await wb.toast(/Build Pipeline finished/).first().innerText(), /estimated cost at API prices: (\$\d+\.\d\d|<\$0\.01) \(the scripted model charged nothing\)/);
    assert.match(await wb.page.locator('.pane-header', { hasText: /Stages/i }).first().innerText(), /demo \(scripted model\).*succeeded/s);
    const modules = await wb.treeRows('Modules');
    assert.ok(modules.filter((r) => /merged/.test(r)).length >= 2, modules.join('\n'));
    // Assembly streams into the build: both stages ran at once, and the window showed both.
    const both = (await wb.page.evaluate('window.__bpBothRunning')) as { rows: boolean; statusBar: string };
    assert.equal(both.rows, true, 'the Stages rows Build and Assemble never both showed running');
    assert.match(both.statusBar, /Build Pipeline \(demo\): Build \+ Assemble/);
  });

  it("showed each builder's worktree as a workspace folder while it worked, and removed it after", () => {
    const { repo } = e2e;
    const worktrees = [...seenFolders].filter((p) => /\/worktrees\/(formatter|greeter)$/.test(p));
    assert.ok(worktrees.length >= 2, `worktree folders seen: ${[...seenFolders].join(', ') || 'none'}`);
    const now = workspaceFileFolders(workspaceFile());
    assert.ok(!now.some((p) => /\/worktrees\/(formatter|greeter)$/.test(p)), `still open: ${now.join(', ')}`);
    assert.equal(now[0], repo.root, 'the repository stays the first folder');
  });

  it('opens a QC report panel; a hostile payload in the report does not run', async () => {
    const { wb } = e2e;
    const report = path.join(runDir(), 'qc', 'formatter-build-qc.md');
    assert.ok(fs.existsSync(report), report);
    fs.appendFileSync(report, HOSTILE);
    await wb.showBuildPipeline();
    await (await wb.waitForTreeRow('Modules', /formatter/)).click();
    const frame = await wb.webviewFrame('qc');
    const text = await frame.locator('#content').innerText();
    assert.match(text, /formatter/i);
    assert.match(text, /<script>window.pwned/, 'the script tag is shown as text');
    assert.equal(await frame.locator('#content script, #content img, #content [onerror]').count(), 0);
    assert.equal(await frame.evaluate('typeof window.pwned'), 'undefined');
    assert.match(await frame.locator('#badges').innerText(), /PASS/);
    await wb.screenshot('qc-report');
  });

  it('opens an ADR panel from the Locks view', async () => {
    const { wb } = e2e;
    await wb.showBuildPipeline();
    const adrGroup = await wb.waitForTreeRow('Locks', /ADRs/);
    assert.ok(adrGroup);
    const adrRow = wb.pane('Locks').locator('.monaco-list-row', { hasText: /^\s*0*\d+ / }).first();
    await adrRow.click();
    const frame = await wb.webviewFrame('adr');
    assert.ok((await frame.locator('#content').innerText()).length > 20);
    await wb.screenshot('adr');
  });

  it("reviews a module's diff in the multi-file diff editor", async () => {
    const { wb } = e2e;
    await wb.runCommandAndPick('Build Pipeline: Review Module Diff', 'greeter');
    await wb.page.locator('.tab', { hasText: /greeter/ }).first().waitFor({ timeout: 30_000 });
    await wb.page.waitForTimeout(1500);
    await wb.screenshot('module-diff');
  });

  it('left the integration and module branches, and the user branch untouched', () => {
    const { repo, headBefore } = e2e;
    const branches = repo.git('branch', '--list', '--format=%(refname:short)').split('\n');
    const run = path.basename(runDir());
    for (const b of ['integration', 'formatter', 'greeter']) assert.ok(branches.includes(`orchestration/${run}/${b}`), branches.join(', '));
    assert.equal(repo.git('rev-parse', 'main'), headBefore);
    const merges = repo.git('log', '--merges', '--format=%s', `orchestration/${run}/integration`);
    assert.match(merges, /formatter/);
    assert.match(merges, /greeter/);
  });
});
