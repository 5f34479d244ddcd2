/**
 * The CLI process runs with the engine's V8 flags (ENGINE_NODE_FLAGS), as VS Code's engine process
 * does: started as `node dist/cli.js`, the running CLI's own command line (same pid, so a SIGKILL
 * still reaches it) holds them; a value given in NODE_OPTIONS is the user's and is kept.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { spawnCli } from './cliProcess';
import { ENGINE_NODE_FLAGS, missingNodeFlags } from '../../src/core/engineNodeFlags';

/** Starts `scripted-model` (it runs until signalled) and resolves once it listens, with its /proc view. */
function startListening(env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; cmdline: string[]; environ: string[] }> {
  const child = spawnCli(['scripted-model', '--port', '0'], { env });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!/^http:\/\/127\.0\.0\.1:\d+/m.test(out)) return;
      const proc = (f: string) => fs.readFileSync(`/proc/${child.pid}/${f}`, 'utf8').split('\0').filter(Boolean);
      resolve({ child, cmdline: proc('cmdline'), environ: proc('environ') });
    });
    child.once('exit', (code) => reject(new Error(`the CLI exited ${code} before listening: ${out}${err}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('CLI process flags (dist/cli.js as a real process)', function () {
  this.timeout(60_000);
  before(function () {
    if (!fs.existsSync('/proc/self/cmdline')) this.skip();
  });

  it('re-executes itself with the engine flags when started without them, keeping its pid', async () => {
    const { child, cmdline } = await startListening({ NODE_OPTIONS: '' });
    try {
      for (const flag of ENGINE_NODE_FLAGS) assert.ok(cmdline.includes(flag), `${flag} in ${JSON.stringify(cmdline)}`);
      assert.ok(cmdline.some((a) => a.endsWith('cli.js')), 'it is the CLI itself that runs with them');
      assert.equal(cmdline.filter((a) => a.startsWith('--max-semi-space-size')).length, 1, 'added once');
    } finally {
      await stop(child);
    }
  });

  it('keeps a value the user gave in NODE_OPTIONS instead of adding its own', async () => {
    const { child, cmdline, environ } = await startListening({ NODE_OPTIONS: '--max-semi-space-size=8' });
    try {
      assert.ok(!cmdline.some((a) => a.startsWith('--max-semi-space-size')), JSON.stringify(cmdline));
      assert.ok(environ.includes('NODE_OPTIONS=--max-semi-space-size=8'));
    } finally {
      await stop(child);
    }
  });
});

describe('missingNodeFlags', () => {
  it('finds a flag by name on the command line or in NODE_OPTIONS, in either spelling', () => {
    const flags = ['--max-semi-space-size=16'];
    assert.deepEqual(missingNodeFlags(flags, [], undefined), flags);
    assert.deepEqual(missingNodeFlags(flags, ['--inspect'], '--trace-warnings'), flags);
    assert.deepEqual(missingNodeFlags(flags, ['--max-semi-space-size=32'], undefined), []);
    assert.deepEqual(missingNodeFlags(flags, [], '--trace-warnings  --max_semi_space_size=4'), []);
    assert.deepEqual(missingNodeFlags(flags, ['--max-semi-space-size-x=1'], ''), flags, 'a longer name is another flag');
  });
});
