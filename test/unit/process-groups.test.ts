import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { killProcessGroups, trackProcessGroup } from '../../src/core/processGroups';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('process groups the engine starts apart from itself', () => {
  it('kills every tracked group, the whole tree of each, and forgets a group once it has ended', async function () {
    if (process.platform === 'win32') this.skip();
    // A detached shell with a child of its own, as a command's bash and its test runner.
    const start = () => spawn('/bin/sh', ['-c', 'sleep 30 & echo $!; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const grandchildOf = (child: ReturnType<typeof start>) => new Promise<number>((r) => child.stdout!.once('data', (d: Buffer) => r(Number(d.toString().trim()))));
    const kept = start();
    const ended = start();
    trackProcessGroup(kept.pid);
    const forget = trackProcessGroup(ended.pid);
    const keptChild = await grandchildOf(kept);
    await grandchildOf(ended);
    forget(); // ended, as far as the registry knows: not touched
    assert.equal(killProcessGroups(), 1);
    await new Promise((r) => kept.once('exit', r));
    const deadline = Date.now() + 5_000;
    while (alive(keptChild) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(alive(keptChild), false, 'the child of the killed shell died with its group');
    assert.equal(alive(ended.pid!), true, 'a forgotten group is left alone');
    assert.equal(killProcessGroups(), 0, 'nothing left to kill');
    process.kill(-ended.pid!, 'SIGKILL');
  });
});
