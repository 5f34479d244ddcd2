import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { ShellNotStoppedError, freezer } from '../../src/core/sandbox/freeze';
import { descendantsOf } from '../../src/core/procStat';

/** The state letter of a process (R, S, T for stopped, …), from /proc. */
const stateOf = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
};

/** The two jobs of `shell`, once both are found below it (the shell is killed if they are not). */
async function twoJobsOf(shell: ReturnType<typeof spawn>): Promise<number[]> {
  let tree: number[] = [];
  for (let i = 0; i < 50 && tree.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 20));
    tree = descendantsOf(shell.pid!);
  }
  if (tree.length !== 2) killTree(shell.pid!);
  assert.equal(tree.length, 2, 'both jobs found below the shell');
  return tree;
}

/** Kills the shell and everything below it. */
function killTree(root: number): void {
  for (const pid of [root, ...descendantsOf(root)]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

describe('holding a shell\'s processes still while the engine works in its worktree', () => {
  it('stops the whole tree for the work, shared by overlapping calls, and lets it run again after the last', async function () {
    if (process.platform !== 'linux') this.skip();
    // A shell with a background job and a job of its own session (setsid), as an agent may leave.
    const shell = spawn('/bin/sh', ['-c', 'sleep 30 & setsid sleep 30 & wait'], { stdio: 'ignore' });
    // Busy processes on every core, as on a loaded CI machine: a signalled process then waits for a
    // core before it stops, which is the moment a check right after `kill` sees it still runnable.
    const hogs = Array.from({ length: 4 }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    try {
      const tree = await twoJobsOf(shell);
      const pause = freezer(() => shell.pid);
      let release: () => void = () => undefined;
      const long = pause(() => new Promise<void>((r) => (release = r)));
      await pause(async () => {
        for (const pid of [shell.pid!, ...tree]) assert.equal(stateOf(pid), 'T', `process ${pid} stopped`);
      });
      for (const pid of [shell.pid!, ...tree]) assert.equal(stateOf(pid), 'T', 'still stopped: the first call has not ended');
      release();
      await long;
      for (const pid of [shell.pid!, ...tree]) assert.notEqual(stateOf(pid), 'T', `process ${pid} runs again`);
      // No shell (not started, or gone): the work just runs.
      assert.equal(await freezer(() => undefined)(async () => 7), 7);
    } finally {
      for (const hog of hogs) hog.kill('SIGKILL');
      killTree(shell.pid!);
    }
  });

  it('does not run the work when a process will not stop, and lets every stopped process run again', async function () {
    if (process.platform !== 'linux') this.skip();
    const shell = spawn('/bin/sh', ['-c', 'sleep 30 & sleep 30 & wait'], { stdio: 'ignore' });
    const tree = await twoJobsOf(shell);
    try {
      // One job reads as never stopping, as a process in an uninterruptible wait (a hung mount) would.
      const stuck = tree[1]!;
      const rests = (pid: number) => pid !== stuck && stateOf(pid) === 'T';
      let ran = false;
      await assert.rejects(
        freezer(() => shell.pid, { waitMs: 100, atRest: rests })(async () => {
          ran = true;
        }),
        (e: unknown) => e instanceof ShellNotStoppedError && e.running === 1 && /did not run/.test(e.message),
      );
      assert.equal(ran, false, 'the file tool did not run');
      for (const pid of [shell.pid!, ...tree]) assert.notEqual(stateOf(pid), 'T', `process ${pid} runs again`);
      // The next call, with the usual reading of /proc, stops the tree as before.
      assert.equal(await freezer(() => shell.pid)(async () => [shell.pid!, ...tree].map(stateOf).join('')), 'TTT');
    } finally {
      killTree(shell.pid!);
    }
  });
});
