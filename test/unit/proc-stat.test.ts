import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { procStatFields } from '../../src/core/procStat';

describe('procStatFields', function () {
  before(function () {
    if (!fs.existsSync('/proc/self/stat')) this.skip();
  });

  it('counts the fields after the last parenthesis, whatever the program name holds', async () => {
    // comm is the executable's file name: a copy of sleep named with spaces and parentheses.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-procstat-'));
    const odd = path.join(dir, 'a) S 1 (b');
    fs.copyFileSync(fs.realpathSync('/bin/sleep'), odd);
    fs.chmodSync(odd, 0o755);
    const child = spawn(odd, ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => child.once('spawn', r));
      let fields = procStatFields(child.pid!);
      // Right after spawn the child may still be node's fork, not yet the exec'd program.
      for (let i = 0; i < 200 && !fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').includes('(a) S 1 (b)'); i++) {
        await new Promise((r) => setTimeout(r, 10));
        fields = procStatFields(child.pid!);
      }
      assert.match(fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8'), /\(a\) S 1 \(b\)/);
      assert.equal(fields?.[1], String(process.pid), 'parent pid');
      assert.match(String(fields?.[0]), /^[RSD]$/, 'state');
      const selfStart = procStatFields(process.pid)![19];
      assert.match(String(fields?.[19]), /^\d+$/, 'start time');
      assert.ok(Number(fields![19]) >= Number(selfStart), 'the child started after this process');
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is undefined for a process that is gone', async () => {
    const child = spawn('true', { stdio: 'ignore' });
    await new Promise((r) => child.once('exit', r));
    assert.equal(procStatFields(child.pid!), undefined);
  });
});
