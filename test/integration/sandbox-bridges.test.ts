/**
 * The sandbox runtime's host-side network bridges (socat processes the engine starts) end with the
 * engine, even when it is SIGKILLed and runs none of its exit handlers: before, each such kill left
 * them listening in /tmp for good (two per run of the kill-resume tests).
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';

const RUNTIME = path.join(__dirname, '..', '..', 'src', 'core', 'sandbox', 'runtime.js');

/** Alive and not a zombie: a reparented child is reaped by whatever adopted it, which in a container may be slow. */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('sandbox network bridges (real sandbox runtime)', function () {
  this.timeout(60_000);

  it('a SIGKILLed engine takes its socat bridges with it', async () => {
    // A stand-in engine: it starts the runtime (and with it the bridges), names its socat children and waits to be killed.
    const script = `
      const fs = require('fs');
      require(${JSON.stringify(RUNTIME)}).acquireSandboxRuntime().then(() => {
        const kids = fs.readFileSync('/proc/' + process.pid + '/task/' + process.pid + '/children', 'utf8').trim().split(/\\s+/).filter(Boolean);
        const socats = kids.filter((pid) => { try { return fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('UNIX-LISTEN:'); } catch { return false; } });
        console.log(JSON.stringify(socats.map(Number)));
        setInterval(() => undefined, 1000);
      }, (e) => { console.log(JSON.stringify({ error: String(e) })); process.exit(1); });`;
    const engine = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => engine.once('exit', resolve));
    const line = await new Promise<string>((resolve) => readline.createInterface({ input: engine.stdout! }).once('line', resolve));
    const bridges = JSON.parse(line) as number[];
    assert.ok(Array.isArray(bridges) && bridges.length > 0, `the runtime started its bridges: ${line}`);
    assert.ok(bridges.every(running));
    engine.kill('SIGKILL');
    await exited;
    const deadline = Date.now() + 5_000;
    while (bridges.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const left = bridges.filter(running);
    for (const pid of left) process.kill(pid, 'SIGKILL'); // not left behind by the test either
    assert.deepEqual(left, [], 'no bridge outlived the engine');
  });
});
