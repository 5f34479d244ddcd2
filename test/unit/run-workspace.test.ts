// The run workspace Start reloads the window into, and the start parked across that reload
// (src/extension/models/runWorkspace.ts): which workspace file is ours, which folders an empty one gets
// back, and which extension host takes a parked start (exactly one, only a window of its run workspace;
// several windows of one repository park at once without losing a start).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  LEGACY_PARKED_FILE,
  PARKED_MAX_AGE_MS,
  PARKED_STARTS_DIR,
  dropParkedStart,
  foldersInWorkspaceJson,
  ownRunWorkspace,
  parkStart,
  parkedStarts,
  parseParkedStart,
  refillCandidates,
  runWorkspaceFiles,
  runWorkspaceFolders,
  runWorkspaceJson,
  runWorkspaceUpdate,
  takeParkedStart,
  type ParkedStart,
} from '../../src/extension/models/runWorkspace';

/** A git-directory check that knows exactly these. */
const gitDirs = (...dirs: string[]) => (dir: string) => dirs.includes(dir);

describe('run workspace: which workspace file is ours', () => {
  it('recognises the file Start writes, and gives the parked start and runs folder beside it', () => {
    const files = runWorkspaceFiles('/home/u/proj/.git', '/home/u/proj');
    assert.equal(files.workspaceFile, '/home/u/proj/.git/build-pipeline/proj.code-workspace');
    assert.deepEqual(ownRunWorkspace(files.workspaceFile, gitDirs('/home/u/proj/.git')), files);
  });

  it('gives each linked worktree its own file, even two with the same folder name, and the main checkout the plain name', () => {
    const common = '/home/u/proj/.git';
    const main = runWorkspaceFiles(common, '/home/u/proj');
    const a = runWorkspaceFiles(common, '/home/u/wt-a/proj');
    const b = runWorkspaceFiles(common, '/home/u/wt-b/proj');
    assert.match(a.workspaceFile, /^\/home\/u\/proj\/\.git\/build-pipeline\/proj-[0-9a-f]{8}\.code-workspace$/);
    assert.match(b.workspaceFile, /^\/home\/u\/proj\/\.git\/build-pipeline\/proj-[0-9a-f]{8}\.code-workspace$/);
    assert.equal(new Set([main.workspaceFile, a.workspaceFile, b.workspaceFile]).size, 3);
    assert.equal(runWorkspaceFiles(common, '/home/u/wt-a/proj/').workspaceFile, a.workspaceFile, 'the same checkout, however written, keeps its file');
    assert.equal(a.runsRoot, main.runsRoot, 'the runs folder is the repository\'s, shared');
    for (const f of [a, b]) assert.deepEqual(ownRunWorkspace(f.workspaceFile, gitDirs(common)), f);
  });

  it('knows the main checkout named through a symlink', () => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-rws-')));
    try {
      fs.mkdirSync(path.join(dir, 'proj', '.git'), { recursive: true });
      fs.symlinkSync(path.join(dir, 'proj'), path.join(dir, 'alias'));
      const files = runWorkspaceFiles(path.join(dir, 'proj', '.git'), path.join(dir, 'alias'));
      assert.equal(path.basename(files.workspaceFile), 'alias.code-workspace', 'the name the window uses, no hash');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves any other workspace alone', () => {
    for (const f of [undefined, '', 'relative/build-pipeline/x.code-workspace', '/home/u/proj/proj.code-workspace', '/home/u/build-pipeline/x.json', '/home/u/build-pipeline-x/x.code-workspace']) {
      assert.equal(ownRunWorkspace(f, () => true), undefined, String(f));
    }
  });

  it('leaves alone a workspace file in a folder named build-pipeline that is not in a git directory (a checkout of that name)', () => {
    assert.equal(ownRunWorkspace('/home/u/code/build-pipeline/dev.code-workspace', gitDirs('/home/u/code/build-pipeline/.git')), undefined);
    assert.ok(ownRunWorkspace('/srv/proj.git/build-pipeline/proj.code-workspace', gitDirs('/srv/proj.git')), 'a bare repository is a git directory');
  });
});

describe('run workspace: the file written before a switch', () => {
  const file = '/r/.git/build-pipeline/r.code-workspace';
  const required = runWorkspaceFolders('/r', '/r/.git/build-pipeline/runs');

  it('is written afresh when there is none, or it is not a JSON object', () => {
    for (const existing of [undefined, '', '// comments\n{ "folders": [] ', '[]', 'null']) {
      assert.equal(runWorkspaceUpdate(existing, required, file), runWorkspaceJson(required), JSON.stringify(existing));
    }
  });

  it('is left alone when it starts with the repository and lists the runs folder, whatever else the user put in it', () => {
    const mine = JSON.stringify({ folders: [...required, { path: '/r/.git/build-pipeline/runs/x/worktrees/a', name: 'a' }], settings: { 'editor.tabSize': 8 }, extensions: { recommendations: ['x.y'] } });
    assert.equal(runWorkspaceUpdate(mine, required, file), undefined);
    // VS Code writes the folders relative to the file: the same folders.
    const relative = JSON.stringify({ folders: [{ path: '../..' }, { path: 'runs' }], settings: {} });
    assert.equal(runWorkspaceUpdate(relative, required, file), undefined);
  });

  it('gets the missing folders first and keeps its other folders, settings and keys', () => {
    const mine = JSON.stringify({ folders: [{ path: '/elsewhere', name: 'notes' }, { path: '/r' }], settings: { 'editor.tabSize': 8 }, launch: { configurations: [] } });
    const next = JSON.parse(runWorkspaceUpdate(mine, required, file)!) as { folders: { path: string }[]; settings: unknown; launch: unknown };
    assert.deepEqual(next.folders.map((f) => f.path), ['/r', '/r/.git/build-pipeline/runs', '/elsewhere']);
    assert.deepEqual(next.settings, { 'editor.tabSize': 8 });
    assert.deepEqual(next.launch, { configurations: [] });
  });

  it('puts the repository back in first place (the extension takes the first folder for it), each folder once', () => {
    const moved = JSON.stringify({ folders: [{ path: 'runs' }, { path: '../..' }, { path: '/elsewhere' }] });
    const next = JSON.parse(runWorkspaceUpdate(moved, required, file)!) as { folders: { path: string }[] };
    assert.deepEqual(next.folders.map((f) => f.path), ['/r', '/r/.git/build-pipeline/runs', '/elsewhere']);
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
    const bare = ownRunWorkspace('/srv/proj.git/build-pipeline/proj.code-workspace', gitDirs('/srv/proj.git'))!;
    assert.equal(refillCandidates(bare, undefined, 'relative/repo', everything), undefined);
  });
});

describe('run workspace: the start parked across the reload', () => {
  let dir: string;
  /** `<git common dir>/build-pipeline`, as runWorkspaceFiles names it */
  let pipelineDir: string;
  let parkedDir: string;
  const start = { repo: '/r', workspaceFile: '/r/.git/build-pipeline/r.code-workspace', description: 'Build a greeter', offline: true };
  const forMain = (p: ParkedStart) => p.workspaceFile === start.workspaceFile && p.repo === '/r';
  const writeLegacy = (value: unknown) => {
    fs.mkdirSync(pipelineDir, { recursive: true });
    fs.writeFileSync(path.join(pipelineDir, LEGACY_PARKED_FILE), typeof value === 'string' ? value : JSON.stringify(value), { mode: 0o600 });
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-parked-'));
    pipelineDir = path.join(dir, 'build-pipeline');
    parkedDir = path.join(pipelineDir, PARKED_STARTS_DIR);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is taken once, by a host that accepts it; a second take finds nothing', () => {
    const parked = parkStart(pipelineDir, start);
    assert.deepEqual(fs.readdirSync(parkedDir), [`${parked.id}.json`]);
    assert.equal((fs.statSync(path.join(parkedDir, `${parked.id}.json`)).mode & 0o777).toString(8), '600');
    assert.equal(takeParkedStart(pipelineDir, (p) => p.workspaceFile === '/other.code-workspace'), undefined, 'another window leaves it');
    assert.deepEqual(parkedStarts(pipelineDir), [parked], 'still there for its own window');
    assert.deepEqual(takeParkedStart(pipelineDir, forMain), parked);
    assert.equal(takeParkedStart(pipelineDir, () => true), undefined);
    assert.deepEqual(fs.readdirSync(parkedDir), [], 'no claim file left behind');
  });

  it('the main checkout and a linked worktree park at once (one git common dir): both starts survive, each is taken once, by its own window', () => {
    const worktree = { ...start, repo: '/r-wt', workspaceFile: '/r/.git/build-pipeline/r-wt.code-workspace', description: 'Build a formatter' };
    const forWorktree = (p: ParkedStart) => p.workspaceFile === worktree.workspaceFile && p.repo === '/r-wt';
    const main = parkStart(pipelineDir, start);
    const linked = parkStart(pipelineDir, worktree);
    assert.deepEqual(new Set(parkedStarts(pipelineDir)), new Set([main, linked]), 'the second park did not replace the first');
    assert.deepEqual(takeParkedStart(pipelineDir, forWorktree), linked, "the worktree's window takes its own, though the main one is older");
    assert.equal(takeParkedStart(pipelineDir, forWorktree), undefined, 'and only once');
    assert.deepEqual(parkedStarts(pipelineDir), [main], "the main checkout's start is still there");
    assert.deepEqual(takeParkedStart(pipelineDir, forMain), main);
    assert.equal(takeParkedStart(pipelineDir, forMain), undefined);
  });

  it('two windows on one folder park for one run workspace: each window that comes up takes one, oldest first; the old host by id finds its own gone', () => {
    const now = Date.now();
    const second = parkStart(pipelineDir, { ...start, description: 'Build a formatter' }, now - 1_000);
    const first = parkStart(pipelineDir, start, now - 2_000);
    assert.deepEqual(takeParkedStart(pipelineDir, forMain, now), first);
    assert.deepEqual(takeParkedStart(pipelineDir, forMain, now), second);
    assert.equal(takeParkedStart(pipelineDir, forMain, now), undefined);
    assert.equal(takeParkedStart(pipelineDir, (p) => p.id === first.id, now), undefined);
  });

  it('two hosts race for one start: the one whose claim comes second gets nothing, so it runs once', () => {
    const parked = parkStart(pipelineDir, start);
    // The first host has looked at the start and accepted it; before its claim, a second host takes it.
    let second: ParkedStart | undefined;
    const first = takeParkedStart(pipelineDir, (p) => {
      second ??= takeParkedStart(pipelineDir, forMain);
      return forMain(p);
    });
    assert.deepEqual(second, parked);
    assert.equal(first, undefined);
    assert.deepEqual(fs.readdirSync(parkedDir), []);
  });

  it('a start another host has claimed but not yet read is not taken again', () => {
    const parked = parkStart(pipelineDir, start);
    const claimed = path.join(parkedDir, `${parked.id}.json.99999.0e7c2a9e-claim.claimed`);
    fs.renameSync(path.join(parkedDir, `${parked.id}.json`), claimed); // the claiming host's rename
    assert.equal(takeParkedStart(pipelineDir, () => true), undefined);
    assert.deepEqual(parkedStarts(pipelineDir), []);
    assert.ok(fs.existsSync(claimed), 'a fresh claim is left to its host');
  });

  it('drop removes only the start with its id, once, also when a take races it', () => {
    const a = parkStart(pipelineDir, start);
    const b = parkStart(pipelineDir, { ...start, description: 'Build a formatter' });
    assert.equal(dropParkedStart(pipelineDir, a.id), true);
    assert.equal(dropParkedStart(pipelineDir, a.id), false);
    assert.deepEqual(parkedStarts(pipelineDir), [b]);
    let dropped: boolean | undefined;
    const taken = takeParkedStart(pipelineDir, () => {
      dropped ??= dropParkedStart(pipelineDir, b.id);
      return true;
    });
    assert.equal(dropped, true);
    assert.equal(taken, undefined, 'dropped before the take could claim it');
    assert.deepEqual(fs.readdirSync(parkedDir), []);
  });

  it('stale and malformed parked starts are never taken and are removed; a good one beside them is taken; nothing crashes', () => {
    const now = Date.now();
    const stale = parkStart(pipelineDir, start, now - PARKED_MAX_AGE_MS - 1);
    const future = parkStart(pipelineDir, start, now + PARKED_MAX_AGE_MS + 1);
    const good = parkStart(pipelineDir, start, now);
    const write = (name: string, text: string) => fs.writeFileSync(path.join(parkedDir, name), text);
    write('0b6a1c3e-cut-short.json', '{"repo": "/r", "description": "x"'); // cut short
    write('not-its-name.json', JSON.stringify({ ...good, id: 'another-id' })); // a copy under another name: it would run twice
    write('null.json', 'null');
    fs.mkdirSync(path.join(parkedDir, 'a-folder.json')); // not a file: never read
    write('notes.txt', 'not ours');
    assert.deepEqual(takeParkedStart(pipelineDir, () => true, now), good);
    assert.equal(takeParkedStart(pipelineDir, () => true, now), undefined);
    assert.deepEqual(fs.readdirSync(parkedDir).sort(), ['a-folder.json', 'notes.txt'], `removed: ${stale.id}, ${future.id} and the malformed ones`);
  });

  it('a .tmp or .claimed file a host that died left is removed once older than a start may live; a fresh one is left', () => {
    parkStart(pipelineDir, start);
    const leftovers = ['0b6a1c3e.json.4242.tmp', '0b6a1c3e.json.4242.0e7c2a9e.claimed'];
    for (const name of leftovers) fs.writeFileSync(path.join(parkedDir, name), '{}');
    parkedStarts(pipelineDir);
    for (const name of leftovers) assert.ok(fs.existsSync(path.join(parkedDir, name)), `${name} may still be in use`);
    parkedStarts(pipelineDir, Date.now() + PARKED_MAX_AGE_MS + 60_000);
    assert.deepEqual(fs.readdirSync(parkedDir), [], 'the leftovers and the start, stale by then, are gone');
  });

  it('a start parked by the previous version (pending-start.json) is still taken, once, by its own window', () => {
    const legacy = { id: 'e2e-parked-start', ...start, at: Date.now() - 1_000 };
    writeLegacy(legacy);
    const later = parkStart(pipelineDir, start);
    assert.equal(takeParkedStart(pipelineDir, (p) => p.workspaceFile === '/other.code-workspace'), undefined);
    assert.deepEqual(takeParkedStart(pipelineDir, forMain), legacy, 'the older of the two');
    assert.equal(fs.existsSync(path.join(pipelineDir, LEGACY_PARKED_FILE)), false);
    assert.deepEqual(takeParkedStart(pipelineDir, forMain), later);
    assert.deepEqual(fs.readdirSync(parkedDir), []);
  });

  it('a pending-start.json rewritten by the previous version between the look and the claim is not lost', () => {
    writeLegacy({ id: 'looked-at', ...start, at: Date.now() });
    const other = { id: 'written-meanwhile', ...start, repo: '/r-wt', workspaceFile: '/r/.git/build-pipeline/r-wt.code-workspace', at: Date.now() };
    const taken = takeParkedStart(pipelineDir, (p) => {
      if (p.id === 'looked-at') writeLegacy(other);
      return p.id === 'looked-at';
    });
    assert.equal(taken, undefined, 'not the start this host accepted');
    assert.deepEqual(parkedStarts(pipelineDir), [other], 'kept, as a start of its own, for its window');
    assert.deepEqual(fs.readdirSync(parkedDir), ['written-meanwhile.json']);
  });

  it('a malformed or stale pending-start.json is removed, never run', () => {
    const now = Date.now();
    for (const bad of ['{"repo": "/r", "description": "x"', { id: 'stale', ...start, at: now - PARKED_MAX_AGE_MS - 1 }]) {
      writeLegacy(bad);
      assert.equal(takeParkedStart(pipelineDir, () => true, now), undefined, JSON.stringify(bad));
      assert.equal(fs.existsSync(path.join(pipelineDir, LEGACY_PARKED_FILE)), false);
      assert.deepEqual(fs.readdirSync(parkedDir), [], 'no claim file left behind');
    }
  });

  it('a parked start whose id is not a plain token is refused: no file is named after it', () => {
    // As if written by someone else: an id with a path in it, in the file the previous version used.
    writeLegacy({ ...start, id: 'x/../../outside', at: Date.now() });
    assert.equal(takeParkedStart(pipelineDir, () => true), undefined);
    assert.equal(fs.existsSync(path.join(pipelineDir, LEGACY_PARKED_FILE)), false, 'removed as malformed');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['build-pipeline'], 'nothing moved outside its folder');
    assert.deepEqual(fs.readdirSync(parkedDir), []);
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
