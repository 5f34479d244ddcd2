/** When the runtime's bridges get the wrapper that ends them with the engine, and when they keep plain socat. */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SOCAT_WRAPPER_PREFIX, socatDyingWithParent, socatWrapperScript } from '../../src/core/sandbox/socatWithParent';

describe('socat that ends with its parent', () => {
  let root: string;
  let bin: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-socat-'));
    bin = path.join(root, 'bin');
    fs.mkdirSync(bin);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const tool = (name: string, body = 'exit 0') => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });

  it('writes the wrapper once, with both programs by absolute path, and passes every argument through unchanged', () => {
    // A stand-in setpriv that prints what it was asked to run, so the arguments can be read back.
    tool('setpriv', 'for a in "$@"; do printf "%s|" "$a"; done');
    tool('socat');
    const cacheDir = path.join(root, 'cache');
    const file = socatDyingWithParent({ platform: 'linux', searchPath: `relative:${bin}`, dir: cacheDir });
    assert.equal(path.dirname(file!), cacheDir);
    assert.match(path.basename(file!), new RegExp(`^${SOCAT_WRAPPER_PREFIX}[0-9a-f]{12}$`));
    assert.equal(fs.readFileSync(file!, 'utf8'), socatWrapperScript(path.join(bin, 'setpriv'), path.join(bin, 'socat')));
    const out = execFileSync(file!, ['UNIX-LISTEN:/tmp/a b.sock,fork', "it's"], { encoding: 'utf8' });
    assert.equal(out, `--pdeathsig|TERM|--|${path.join(bin, 'socat')}|UNIX-LISTEN:/tmp/a b.sock,fork|it's|`);
    const before = fs.statSync(file!).mtimeMs;
    assert.equal(socatDyingWithParent({ platform: 'linux', searchPath: bin, dir: cacheDir }), file);
    assert.equal(fs.statSync(file!).mtimeMs, before, 'an up-to-date wrapper is not written again');
    assert.deepEqual(fs.readdirSync(cacheDir), [path.basename(file!)], 'nothing left aside');
  });

  it('engines that found other programs get wrappers of their own (named by content), and a damaged one is written again', () => {
    tool('setpriv');
    tool('socat');
    const otherBin = path.join(root, 'other');
    fs.mkdirSync(otherBin);
    fs.writeFileSync(path.join(otherBin, 'setpriv'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    fs.writeFileSync(path.join(otherBin, 'socat'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const cacheDir = path.join(root, 'cache');
    const mine = socatDyingWithParent({ platform: 'linux', searchPath: bin, dir: cacheDir })!;
    const theirs = socatDyingWithParent({ platform: 'linux', searchPath: otherBin, dir: cacheDir })!;
    assert.notEqual(mine, theirs);
    assert.match(fs.readFileSync(mine, 'utf8'), new RegExp(`'${path.join(bin, 'socat')}'`));
    assert.match(fs.readFileSync(theirs, 'utf8'), new RegExp(`'${path.join(otherBin, 'socat')}'`));
    fs.writeFileSync(mine, 'half a scr');
    assert.equal(socatDyingWithParent({ platform: 'linux', searchPath: bin, dir: cacheDir }), mine);
    assert.equal(fs.readFileSync(mine, 'utf8'), socatWrapperScript(path.join(bin, 'setpriv'), path.join(bin, 'socat')));
  });

  it("plain socat where setpriv has no --pdeathsig (util-linux before 2.33): every bridge would fail to start", () => {
    tool('setpriv', 'case "$1" in --pdeathsig) echo "setpriv: unrecognized option" >&2; exit 1;; esac; exit 0');
    tool('socat');
    assert.equal(socatDyingWithParent({ platform: 'linux', searchPath: bin, dir: path.join(root, 'c') }), undefined);
    assert.ok(!fs.existsSync(path.join(root, 'c')));
  });

  it('plain socat where there is no setpriv, no socat, no writable cache, or not Linux', () => {
    tool('socat');
    assert.equal(socatDyingWithParent({ platform: 'linux', searchPath: bin, dir: path.join(root, 'c1') }), undefined, 'no setpriv');
    tool('setpriv');
    assert.equal(socatDyingWithParent({ platform: 'darwin', searchPath: bin, dir: path.join(root, 'c2') }), undefined, 'not Linux');
    fs.rmSync(path.join(bin, 'socat'));
    assert.equal(socatDyingWithParent({ platform: 'linux', searchPath: bin, dir: path.join(root, 'c3') }), undefined, 'no socat');
    tool('socat');
    const aFile = path.join(root, 'file');
    fs.writeFileSync(aFile, '');
    assert.equal(socatDyingWithParent({ platform: 'linux', searchPath: bin, dir: path.join(aFile, 'cache') }), undefined, 'a cache that cannot be made');
    assert.deepEqual(fs.readdirSync(root).sort(), ['bin', 'file']);
  });

  it("plain socat where the folder is not the user's own: writable by others, or a link", () => {
    tool('setpriv');
    tool('socat');
    const open = path.join(root, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    assert.equal(socatDyingWithParent({ platform: 'linux', searchPath: bin, dir: open }), undefined, 'writable by others');
    assert.deepEqual(fs.readdirSync(open), []);
    const link = path.join(root, 'link');
    fs.mkdirSync(path.join(root, 'target'), { mode: 0o700 });
    fs.symlinkSync(path.join(root, 'target'), link);
    assert.equal(socatDyingWithParent({ platform: 'linux', searchPath: bin, dir: link }), undefined, 'a link');
    assert.deepEqual(fs.readdirSync(path.join(root, 'target')), []);
  });
});
