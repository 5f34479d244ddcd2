// The run workspace Start reloads the window into, and the start parked across that reload
// (src/extension/models/runWorkspace.ts): which workspace file is ours, which folders an empty one gets
// back, and which extension host takes a parked start (exactly one, only the reloaded window's).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  PARKED_MAX_AGE_MS,
  dropParkedStart,
  foldersInWorkspaceJson,
  ownRunWorkspace,
  parkStart,
  parseParkedStart,
  peekParkedStart,
  refillCandidates,
  runWorkspaceFiles,
  runWorkspaceFolders,
  runWorkspaceJson,
  takeParkedStart,
} from '../../src/extension/models/runWorkspace';

describe('run workspace: which workspace file is ours', () => {
  it('recognises the file Start writes, and gives the parked start and runs folder beside it', () => {
    const files = runWorkspaceFiles('/home/u/proj/.git', '/home/u/proj');
    assert.equal(files.workspaceFile, '/home/u/proj/.git/build-pipeline/proj.code-workspace');
    assert.deepEqual(ownRunWorkspace(files.workspaceFile), files);
  });

  it('leaves any other workspace alone', () => {
    for (const f of [undefined, '', 'relative/build-pipeline/x.code-workspace', '/home/u/proj/proj.code-workspace', '/home/u/build-pipeline/x.json', '/home/u/build-pipeline-x/x.code-workspace']) {
      assert.equal(ownRunWorkspace(f), undefined, String(f));
    }
  });
});

describe('run workspace: the folders an empty one gets back', () => {
  const ws = runWorkspaceFiles('/r/.git', '/r');
  const everything = () => true;

  it('reads absolute folders from the file, skipping malformed entries', () => {
    const text = JSON.stringify({ folders: [{ path: '/r', name: 'r' }, { path: 'rel' }, { uri: 'file:///x' }, null, 7, { path: '/r/.git/build-pipeline/runs' }] });
    assert.deepEqual(foldersInWorkspaceJson(text), [{ path: '/r', name: 'r' }, { path: '/r/.git/build-pipeline/runs' }]);
    for (const bad of [undefined, '', '{', 'null', '[]', '{"folders": {}}']) assert.deepEqual(foldersInWorkspaceJson(bad), [], String(bad));
  });

  it('the folders the file lists come first, when they exist', () => {
    const text = runWorkspaceJson(runWorkspaceFolders('/r', ws.runsRoot));
    assert.deepEqual(refillCandidates(ws, text, '/elsewhere', everything), { folders: runWorkspaceFolders('/r', ws.runsRoot), from: 'file' });
  });

  it('a file with no folders (VS Code rewrote it from an empty window): the parked start names the repository', () => {
    const text = runWorkspaceJson([]);
    assert.deepEqual(refillCandidates(ws, text, '/r', everything), { folders: runWorkspaceFolders('/r', ws.runsRoot), from: 'parked start' });
  });

  it('nothing parked either: the repository the file location implies (<repo>/.git/build-pipeline)', () => {
    assert.deepEqual(refillCandidates(ws, undefined, undefined, everything), { folders: runWorkspaceFolders('/r', ws.runsRoot), from: 'location' });
  });

  it('folders that no longer exist are not put back; outside a .git folder nothing is implied', () => {
    const gone = (p: string) => p !== '/r';
    const text = runWorkspaceJson(runWorkspaceFolders('/r', ws.runsRoot));
    assert.deepEqual(refillCandidates(ws, text, undefined, gone)?.from, 'file', 'the runs folder is still there');
    assert.equal(refillCandidates(ws, runWorkspaceJson([{ path: '/r' }]), '/r', gone), undefined);
    const bare = ownRunWorkspace('/srv/proj.git/build-pipeline/proj.code-workspace')!;
    assert.equal(refillCandidates(bare, undefined, 'relative/repo', everything), undefined);
  });
});

describe('run workspace: the start parked across the reload', () => {
  let dir: string;
  let file: string;
  const start = { repo: '/r', workspaceFile: '/r/.git/build-pipeline/r.code-workspace', description: 'Build a greeter', offline: true };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-parked-'));
    file = path.join(dir, 'build-pipeline', 'pending-start.json');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is taken once, by a host that accepts it; a second take finds nothing', () => {
    const parked = parkStart(file, start);
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
    assert.equal(takeParkedStart(file, (p) => p.workspaceFile === '/other.code-workspace'), undefined, 'another window leaves it');
    assert.deepEqual(peekParkedStart(file), parked, 'still there for its own window');
    assert.deepEqual(takeParkedStart(file, (p) => p.workspaceFile === start.workspaceFile && p.repo === '/r'), parked);
    assert.equal(takeParkedStart(file, () => true), undefined);
    assert.equal(fs.existsSync(file), false);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), [], 'no claim file left behind');
  });

  it('a newer Start replaces it; the old host (by id) no longer takes or drops it', () => {
    const first = parkStart(file, start);
    const second = parkStart(file, { ...start, description: 'Build a formatter' });
    assert.notEqual(first.id, second.id);
    assert.equal(takeParkedStart(file, (p) => p.id === first.id), undefined);
    dropParkedStart(file, first.id);
    assert.equal(peekParkedStart(file)?.description, 'Build a formatter');
    dropParkedStart(file, second.id);
    assert.equal(peekParkedStart(file), undefined);
  });

  it('a stale or malformed parked start is never run, and is removed', () => {
    const now = Date.now();
    parkStart(file, start, now - PARKED_MAX_AGE_MS - 1);
    assert.equal(takeParkedStart(file, () => true, now), undefined);
    assert.equal(fs.existsSync(file), false);
    fs.writeFileSync(file, '{"repo": "/r", "description": "x"'); // cut short
    assert.equal(peekParkedStart(file), undefined);
    assert.equal(fs.existsSync(file), false);
  });

  it('a parked start whose id is not a plain token is refused: its claim file name never leaves the folder', () => {
    // As if written by someone else: an id with a path in it, and the folder the claim's name would step through.
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ ...start, id: 'x/../../outside', at: Date.now() }));
    fs.mkdirSync(`${file}.${process.pid}.x`);
    assert.equal(takeParkedStart(file, () => true), undefined);
    assert.equal(fs.existsSync(file), false, 'removed as malformed');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['build-pipeline'], 'nothing moved outside its folder');
  });

  it('parsing takes only well-formed input (the file is untrusted)', () => {
    const now = 1_000_000_000;
    const ok = { id: 'a', repo: '/r', workspaceFile: '/r/.git/build-pipeline/r.code-workspace', description: 'Build it', offline: true, at: now };
    assert.deepEqual(parseParkedStart(JSON.stringify(ok), now), ok);
    assert.equal(parseParkedStart(JSON.stringify({ ...ok, offline: 'yes' }), now)?.offline, false);
    for (const bad of [
      { ...ok, id: 1 },
      { ...ok, id: '' },
      { ...ok, id: '../x' },
      { ...ok, id: 'a/b' },
      { ...ok, repo: 'relative' },
      { ...ok, workspaceFile: undefined },
      { ...ok, description: '  ' },
      { ...ok, at: 'now' },
      { ...ok, at: now + PARKED_MAX_AGE_MS + 1 },
      { ...ok, at: now - PARKED_MAX_AGE_MS - 1 },
    ]) {
      assert.equal(parseParkedStart(JSON.stringify(bad), now), undefined, JSON.stringify(bad));
    }
    for (const text of ['', 'null', '[]', '"x"', '{']) assert.equal(parseParkedStart(text, now), undefined, text);
  });
});
