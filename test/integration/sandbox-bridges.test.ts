/**
 * The sandbox runtime's host-side network bridges (socat processes the engine starts) end with the
 * engine, even when it is SIGKILLed and runs none of its exit handlers: before, each such kill left
 * them listening in /tmp for good (two per run of the kill-resume tests).
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import * as readline from 'node:readline';
import { procStatFields } from '../../src/core/procStat';
import { checkSandbox } from '../../src/core/sandbox/availability';
import { acquireSandboxRuntime, loadSandboxRuntime } from '../../src/core/sandbox/runtime';
import { socatDyingWithParent } from '../../src/core/sandbox/socatWithParent';

const RUNTIME = path.join(__dirname, '..', '..', 'src', 'core', 'sandbox', 'runtime.js');

/** Alive and not a zombie: a reparented child is reaped by whatever adopted it, which in a container may be slow. */
function running(pid: number): boolean {
  const state = procStatFields(pid)?.[0];
  return state !== undefined && state !== 'Z';
}

describe('sandbox network bridges (real sandbox runtime)', function () {
  this.timeout(60_000);
  let engine: ReturnType<typeof spawn> | undefined;
  afterEach(() => engine?.kill('SIGKILL'));

  it('a SIGKILLed engine takes its socat bridges with it, and they remove their sockets', async function () {
    // Where setpriv (with --pdeathsig) is missing the runtime keeps plain socat: nothing to test.
    if (!socatDyingWithParent()) this.skip();
    // A stand-in engine: it starts the runtime (and with it the bridges), names its socat children and waits to be killed.
    const script = `
      const fs = require('fs');
      require(${JSON.stringify(RUNTIME)}).acquireSandboxRuntime().then(() => {
        const kids = fs.readFileSync('/proc/' + process.pid + '/task/' + process.pid + '/children', 'utf8').trim().split(/\\s+/).filter(Boolean);
        const socats = kids.filter((pid) => { try { return fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('UNIX-LISTEN:'); } catch { return false; } });
        console.log(JSON.stringify(socats.map(Number)));
        setInterval(() => undefined, 1000);
      }, (e) => { console.log(JSON.stringify({ error: String(e) })); process.exit(1); });`;
    const child = (engine = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const line = await new Promise<string>((resolve) => readline.createInterface({ input: child.stdout! }).once('line', resolve));
    const bridges = JSON.parse(line) as number[];
    assert.ok(Array.isArray(bridges) && bridges.length > 0, `the runtime started its bridges: ${line}`);
    assert.ok(bridges.every(running));
    const sockets = bridges.map((pid) => /UNIX-LISTEN:([^,\0]+)/.exec(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'))![1]!);
    assert.ok(sockets.every((s) => fs.existsSync(s)));
    child.kill('SIGKILL');
    await exited;
    const deadline = Date.now() + 5_000;
    while (bridges.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const left = bridges.filter(running);
    for (const pid of left) process.kill(pid, 'SIGKILL'); // not left behind by the test either
    assert.deepEqual(left, [], 'no bridge outlived the engine');
    while (sockets.some((s) => fs.existsSync(s)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(sockets.filter((s) => fs.existsSync(s)), [], 'their sockets are gone from the temp folder');
  });

  it('a wrapper that can no longer be written does not stop the next run: plain socat is used', async function () {
    const wrapper = socatDyingWithParent();
    if (!wrapper) this.skip();
    // The runtime keeps the socat path it was last given after its lease ends, and checks it before the next run.
    await (await acquireSandboxRuntime()).release();
    const { SandboxManager } = await loadSandboxRuntime();
    assert.equal(SandboxManager.getConfig()?.socatPath, wrapper);
    // Gone (a temp cleaner), and this engine cannot write it again: its PATH has no setpriv now.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-nosetpriv-'));
    const savedPath = process.env.PATH;
    try {
      for (const tool of ['bwrap', 'socat', 'rg', 'bash', 'sh', 'git', 'which', 'env']) {
        const at = (savedPath ?? '').split(':').map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
        if (at) fs.symlinkSync(at, path.join(bin, tool));
      }
      process.env.PATH = bin;
      fs.rmSync(wrapper!);
      assert.deepEqual(await checkSandbox(), { ok: true });
      // And the run after it starts its bridges with plain socat.
      const lease = await acquireSandboxRuntime();
      assert.equal(SandboxManager.getConfig()?.socatPath, undefined);
      await lease.release();
    } finally {
      process.env.PATH = savedPath;
      fs.rmSync(bin, { recursive: true, force: true });
      socatDyingWithParent(); // back for the tests after this one
    }
  });
});
