/**
 * The CLI process runs with the engine's V8 flags (ENGINE_NODE_FLAGS) and environment (ENGINE_ENV),
 * as VS Code's engine process does: started as `node dist/cli.js`, the running CLI's own command
 * line and environment (same pid, so a SIGKILL still reaches it) hold them; a value given in
 * NODE_OPTIONS or the environment is the user's and is kept.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, cliEnv, spawnCli } from './cliProcess';
import { ENGINE_ENV, ENGINE_NODE_FLAGS, missingEngineEnv, missingNodeFlags } from '../../src/core/engineNodeFlags';

/**
 * Starts `scripted-model` (it runs until signalled) and resolves once it listens, with its /proc view;
 * `nodeArgs` go on node's command line before the CLI's script.
 */
function startListening(env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Promise<{ child: ChildProcess; cmdline: string[]; environ: string[] }> {
  const cliArgs = ['scripted-model', '--port', '0'];
  const child = nodeArgs.length ? spawn(process.execPath, [...nodeArgs, CLI, ...cliArgs], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }) : spawnCli(cliArgs, { env });
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

  it('re-executes itself with the engine flags and environment when started without them, keeping its pid', async () => {
    const { child, cmdline, environ } = await startListening({ NODE_OPTIONS: '', MALLOC_ARENA_MAX: undefined });
    try {
      for (const flag of ENGINE_NODE_FLAGS) assert.ok(cmdline.includes(flag), `${flag} in ${JSON.stringify(cmdline)}`);
      assert.ok(cmdline.some((a) => a.endsWith('cli.js')), 'it is the CLI itself that runs with them');
      assert.equal(cmdline.filter((a) => a.startsWith('--max-semi-space-size')).length, 1, 'added once');
      for (const [name, value] of Object.entries(ENGINE_ENV)) assert.ok(environ.includes(`${name}=${value}`), `${name}=${value} in its environment`);
      assert.equal(environ.filter((e) => e.startsWith('MALLOC_ARENA_MAX=')).length, 1);
    } finally {
      await stop(child);
    }
  });

  it('re-executes itself for the environment alone when the flags were given', async () => {
    const { child, cmdline, environ } = await startListening({ NODE_OPTIONS: '', MALLOC_ARENA_MAX: undefined }, [...ENGINE_NODE_FLAGS]);
    try {
      assert.ok(environ.includes('MALLOC_ARENA_MAX=2'), JSON.stringify(environ.filter((e) => e.startsWith('MALLOC'))));
      for (const flag of ENGINE_NODE_FLAGS) assert.equal(cmdline.filter((a) => a === flag).length, 1, `${flag} once in ${JSON.stringify(cmdline)}`);
    } finally {
      await stop(child);
    }
  });

  it('re-executes at most once: the re-executed image runs with whatever it got', async () => {
    const { child, cmdline, environ } = await startListening({ NODE_OPTIONS: '', MALLOC_ARENA_MAX: undefined, BUILD_PIPELINE_ENGINE_REEXEC: '1' });
    try {
      for (const flag of ENGINE_NODE_FLAGS) assert.ok(!cmdline.includes(flag), `${flag} not added: ${JSON.stringify(cmdline)}`);
      assert.ok(!environ.some((e) => e.startsWith('MALLOC_ARENA_MAX=')));
    } finally {
      await stop(child);
    }
  });

  it('keeps a MALLOC_ARENA_MAX the user set instead of its own', async () => {
    const { child, environ } = await startListening({ NODE_OPTIONS: '', MALLOC_ARENA_MAX: '4' });
    try {
      assert.deepEqual(environ.filter((e) => e.startsWith('MALLOC_ARENA_MAX=')), ['MALLOC_ARENA_MAX=4']);
    } finally {
      await stop(child);
    }
  });

  it('keeps a value the user gave in NODE_OPTIONS instead of adding its own', async () => {
    const { child, cmdline, environ } = await startListening({ NODE_OPTIONS: '--max-semi-space-size=32' });
    try {
      assert.ok(!cmdline.some((a) => a.startsWith('--max-semi-space-size')), JSON.stringify(cmdline));
      assert.ok(environ.includes('NODE_OPTIONS=--max-semi-space-size=32'));
    } finally {
      await stop(child);
    }
  });
});

describe('missingEngineEnv', () => {
  it('gives the engine variables the environment does not set, and keeps any value the user set', () => {
    assert.deepEqual(missingEngineEnv({}), { ...ENGINE_ENV });
    assert.deepEqual(missingEngineEnv({ PATH: '/bin' }), { MALLOC_ARENA_MAX: '2' });
    assert.deepEqual(missingEngineEnv({ MALLOC_ARENA_MAX: '8' }), {});
    assert.deepEqual(missingEngineEnv({ MALLOC_ARENA_MAX: '' }), {}, 'set, if empty: the user\'s choice');
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
