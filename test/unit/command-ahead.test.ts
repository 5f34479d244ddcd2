/**
 * QC's test command started as the agent starts (agents/commandAhead.ts), through the real tool
 * chain (fileTools around the SDK's own persistent bash): the agent's first command, when it is that
 * command, gets the early run's result; any other first command stops the early run and gets a
 * fresh shell; closing the tools stops a run nobody asked for.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { fileTools } from '../../src/core/agents/tools';
import { isWarmable } from '../../src/core/agents/warmTools';

const quiet = { call: () => undefined, result: () => undefined };

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a command started ahead in the agent\'s shell', () => {
  let dir: string;
  let starts: string;
  let finished: string;
  let tools: BetaRunnableTool[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-ahead-'));
    fs.mkdirSync(path.join(dir, 'sub'));
    starts = path.join(dir, 'starts.log');
    finished = path.join(dir, 'finished.log');
  });
  afterEach(async () => {
    await Promise.allSettled(tools.map((t) => t.close?.()));
    tools = [];
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function bashWith(commandAhead: string): BetaRunnableTool & { warm(): void } {
    tools = fileTools(['bash'], { workdir: dir, readOnlyRoots: [], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir }, bashTimeoutMs: 30_000, commandAhead }, quiet);
    const bash = tools[0]!;
    assert.ok(isWarmable(bash), 'the bash tool can be started as its agent starts');
    return bash as BetaRunnableTool & { warm(): void };
  }
  const run = async (bash: BetaRunnableTool, command: string, signal?: AbortSignal) => bash.run({ command } as never, { signal } as never);
  const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

  it('the first command, when it is that command, gets the early run\'s result without running it again', async () => {
    const command = `echo start >> ${starts}; cd ${path.join(dir, 'sub')}; sleep 0.3; echo "tests pass in $(basename "$PWD")"`;
    const bash = bashWith(command);
    bash.warm();
    await until(() => lines(starts).length === 1, 'the early start');
    assert.equal(await run(bash, `  ${command}\n`), 'tests pass in sub');
    assert.deepEqual(lines(starts), ['start'], 'the command ran once, before the agent asked for it');
    // The shell is the agent's own: its state is what running the command itself would have left.
    assert.equal(await run(bash, 'basename "$PWD"'), 'sub');
    // Only the first command is answered early: the same command again runs again.
    assert.equal(await run(bash, command), 'tests pass in sub');
    assert.deepEqual(lines(starts), ['start', 'start']);
  });

  it('a failing early run fails the agent\'s call with its output, as its own run would', async () => {
    const command = `echo start >> ${starts}; echo "1 test failed"; (exit 3)`;
    const bash = bashWith(command);
    bash.warm();
    await until(() => lines(starts).length === 1, 'the early start');
    await assert.rejects(run(bash, command), (e: Error) => e.message === '1 test failed');
    assert.deepEqual(lines(starts), ['start']);
  });

  it('another first command stops the early run and gets a fresh shell', async () => {
    const bash = bashWith(`echo start >> ${starts}; cd sub; export AHEAD=1; sleep 5; echo done >> ${finished}`);
    bash.warm();
    await until(() => lines(starts).length === 1, 'the early start');
    const began = Date.now();
    assert.equal(await run(bash, 'echo "$(basename "$PWD") ${AHEAD:-unset}"'), `${path.basename(dir)} unset`);
    assert.ok(Date.now() - began < 4000, 'the agent did not wait for the early run');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(lines(finished), [], 'the early run was stopped');
  });

  it('another first command after the early run finished still gets a shell without its effects', async () => {
    const bash = bashWith(`cd sub; export AHEAD=1; echo done >> ${finished}`);
    bash.warm();
    await until(() => lines(finished).length === 1, 'the early run');
    assert.equal(await run(bash, 'echo "$(basename "$PWD") ${AHEAD:-unset}"'), `${path.basename(dir)} unset`);
  });

  it('commands of one turn keep their order when the first is another command: the second runs after it, in its shell', async () => {
    const bash = bashWith(`echo start >> ${starts}; sleep 5; echo done >> ${finished}`);
    bash.warm();
    await until(() => lines(starts).length === 1, 'the early start');
    const [one, two] = await Promise.all([run(bash, `cd ${path.join(dir, 'sub')}; echo one`), run(bash, 'echo "two in $(basename "$PWD")"')]);
    assert.equal(one, 'one');
    assert.equal(two, 'two in sub', 'the second command ran after the first, in the shell the first left');
    assert.deepEqual(lines(finished), []);
  });

  it('closing the tools stops an early run nobody asked for', async () => {
    const bash = bashWith(`echo start >> ${starts}; sleep 2; echo done >> ${finished}`);
    bash.warm();
    await until(() => lines(starts).length === 1, 'the early start');
    await bash.close?.();
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(lines(finished), []);
  });

  it('the agent\'s stop while it waits for the early run stops the run and the call', async () => {
    const command = `echo start >> ${starts}; sleep 5; echo done >> ${finished}`;
    const bash = bashWith(command);
    bash.warm();
    await until(() => lines(starts).length === 1, 'the early start');
    const stop = new AbortController();
    const call = run(bash, command, stop.signal);
    setTimeout(() => stop.abort(new Error('run cancelled')), 100);
    await assert.rejects(call, /run cancelled/, 'the call ends with the stop\'s own reason');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(lines(finished), []);
    // The shell after the stop is a fresh one that runs what it is asked.
    assert.equal(await run(bash, 'echo again'), 'again');
  });

  it('without a warm start the tool is the plain shell', async () => {
    const bash = bashWith(`echo start >> ${starts}`);
    assert.equal(await run(bash, 'echo plain'), 'plain');
    assert.deepEqual(lines(starts), [], 'nothing ran that the agent did not ask for');
  });
});
