// The run workspace Start reloads a single-folder window into (src/extension/workspacePrep.ts), opened
// the way a CI run once saw it come up: with no folders ("No Folder Opened"). VS Code rewrites the
// workspace file from the window's folders, so the file can list none as well; the window still gets
// the repository and the runs folder back, and the start parked for it runs, once.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parkStart } from '../../src/extension/models/runWorkspace';
import { workspaceFileFolders } from './codeServer';
import { makeRepo, runDirs } from './fixtures';
import { e2eSession } from './session';

const DESCRIPTION = 'Build a CLI tool with a greeter module and a formatter module.';

describe('e2e: a run workspace that opens without its folders', function () {
  this.timeout(600_000);
  const e2e = e2eSession('run-workspace', { repo: () => makeRepo() });

  const pipelineDir = () => path.join(e2e.repo.root, '.git', 'build-pipeline');
  const workspaceFile = () => path.join(pipelineDir(), `${path.basename(e2e.repo.root)}.code-workspace`);
  const parkedDir = () => path.join(pipelineDir(), 'pending-starts');
  const runsFolder = () => path.join(pipelineDir(), 'runs');

  /** Opens the run workspace in the window, with its file listing no folders (and a start parked for it, if given). */
  async function openEmptyRunWorkspace(parked?: { description: string; offline: boolean }): Promise<void> {
    const { wb, server } = e2e;
    await wb.page.goto('about:blank'); // a window that has it open would write its own folders into the file
    fs.mkdirSync(runsFolder(), { recursive: true });
    fs.writeFileSync(workspaceFile(), JSON.stringify({ folders: [], settings: {} }, null, 2) + '\n');
    // Parked as Start parks it before the reload.
    if (parked) parkStart(pipelineDir(), { ...parked, repo: e2e.repo.root, workspaceFile: workspaceFile() });
    await wb.page.goto(`${server.url}/?workspace=${encodeURIComponent(workspaceFile())}`);
    await wb.ready();
  }

  /** The folders of the workspace file once VS Code wrote them back (it saves the window's folders there). */
  async function foldersBack(): Promise<string[]> {
    const deadline = Date.now() + 180_000;
    let folders: string[] = [];
    while (Date.now() < deadline && folders.length === 0) {
      await new Promise((r) => setTimeout(r, 500));
      folders = workspaceFileFolders(workspaceFile());
    }
    return folders;
  }

  it('with a start parked for it: the folders come back and the parked start runs to its blueprint gate, once', async () => {
    const { wb, repo } = e2e;
    await openEmptyRunWorkspace({ description: DESCRIPTION, offline: true });
    await wb.screenshot('opened-empty');
    await wb.toast(/Blueprint ready/).waitFor({ timeout: 240_000 });
    await wb.screenshot('parked-start-ran');
    assert.deepEqual((await foldersBack()).slice(0, 2), [repo.root, runsFolder()]);
    assert.equal(runDirs(repo.root).length, 1, 'the parked start ran exactly once');
    assert.deepEqual(fs.readdirSync(parkedDir()), [], 'the parked start was taken (and no claim of it is left)');
  });
});
