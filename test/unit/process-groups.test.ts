import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { killProcessGroups, killProcessTree, trackProcessGroup } from '../../src/core/processGroups';
import { procStatFields } from '../../src/core/procStat';

/**
 * Whether any process, a zombie included, is still in process group `pgid` (Linux). A member killed
 * with its group but re-parented (the shell's `ps` of the pipeline, say) stays in it until init reaps
 * it, and a kill of the group succeeds until then.
 */
const groupHasMembers = (pgid: number) =>
  fs.readdirSync('/proc').some((entry) => /^\d+$/.test(entry) && procStatFields(entry)?.[2] === String(pgid));

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

  it('kills what runs below a group but left it for a session of its own, as the sandbox\'s init does', async function () {
    if (process.platform !== 'linux') this.skip();
    this.timeout(20_000);
    // setsid forks when it leads a group already, so the sleeper is a child of the shell in a session (and group) of its own.
    const shell = spawn('/bin/sh', ['-c', 'setsid sleep 30 & sleep 0.2; ps -o pid= --ppid $$ | head -1; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const apart = await new Promise<number>((r) => shell.stdout!.once('data', (d: Buffer) => r(Number(d.toString().trim().split(/\s+/)[0]))));
    try {
      assert.ok(alive(apart));
      assert.notEqual(Number(fs.readFileSync(`/proc/${apart}/stat`, 'utf8').split(') ')[1]!.split(' ')[3]), shell.pid, 'in a group of its own');
      const exited = new Promise((r) => shell.once('exit', r));
      assert.equal(killProcessTree(shell.pid!), true);
      await exited;
      const deadline = Date.now() + 5_000;
      while (alive(apart) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(alive(apart), false, 'the process in a session of its own died too');
      while (groupHasMembers(shell.pid!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(groupHasMembers(shell.pid!), false, 'every member of the killed group reaped');
      assert.equal(killProcessTree(shell.pid!), false, 'a group that is gone');
    } finally {
      try {
        process.kill(apart, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  });
});
