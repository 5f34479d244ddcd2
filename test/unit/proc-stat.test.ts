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
    // comm is a script's file name when it runs through its #! line: one named with spaces and parentheses.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-procstat-'));
    const odd = path.join(dir, 'a) S 1 (b');
    fs.writeFileSync(odd, '#!/bin/sh\nsleep 30\n', { mode: 0o755 });
    const child = spawn(odd, [], { stdio: 'ignore' });
    try {
      await new Promise((r) => child.once('spawn', r));
      // Right after spawn the child may still be node's fork, not yet the script.
      const named = () => fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').includes('(a) S 1 (b)');
      for (let i = 0; i < 200 && !named(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(named(), fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8'));
      const fields = procStatFields(child.pid!);
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
