import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { agentShellEnv } from '../../src/core/agents/env';
import { runCommand } from '../../src/core/shell';

describe('engine commands without a sandbox: background priority', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-shell-nice-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // The niceness (field 19 of /proc/<pid>/stat) of a process the command starts after a pause: the
  // priority is lowered right after bash starts, and what bash starts from then on inherits it.
  const niceness = 'sleep 1; cut -d" " -f19 /proc/$BASHPID/stat; (cut -d" " -f19 /proc/$BASHPID/stat)';

  it('runs a background command and what it starts at nice +10, and a normal one at the engine’s own', async function () {
    if (process.platform !== 'linux') this.skip();
    const env = agentShellEnv('engine');
    const normal = await runCommand(niceness, dir, env, 20_000);
    const background = await runCommand(niceness, dir, env, 20_000, undefined, undefined, { background: true });
    const base = os.getPriority();
    assert.deepEqual(normal.output.trim().split('\n').map(Number), [base, base]);
    assert.deepEqual(background.output.trim().split('\n').map(Number), [Math.min(19, base + 10), Math.min(19, base + 10)]);
    assert.equal(background.exitCode, 0);
  });
});
