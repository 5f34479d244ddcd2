// A command asked for after the run was stopped starts nothing (src/core/shell.ts runCommand).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCommand } from '../../src/core/shell';

describe('runCommand on a stopped run', () => {
  it('starts nothing and says why when the signal was aborted before the call', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-stopped-'));
    try {
      const stop = new AbortController();
      stop.abort();
      const result = await runCommand('touch ran', dir, { PATH: process.env.PATH ?? '' }, 10_000, stop.signal);
      assert.deepEqual([result.exitCode, result.output, result.timedOut], [null, 'not run: the run was stopped', false]);
      assert.ok(!fs.existsSync(path.join(dir, 'ran')), 'the command did not run');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
