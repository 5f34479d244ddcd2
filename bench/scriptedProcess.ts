/**
 * The scripted model in a process of its own, so the bench measures the engine's memory and CPU
 * alone. `node out/bench/scriptedProcess.js <latencyMs>` prints `{"url": …}` once listening and
 * stops on SIGTERM; `startScriptedModelProcess` is the engine's `offlineModel` for it.
 */
import { spawn } from 'node:child_process';
import { startScriptedModel } from '../src/scripted';
import type { OfflineModel } from '../src/core/api';
import { procStatFields } from '../src/core/procStat';

/** CPU time (user + system) the process has used so far, from /proc (Linux; undefined elsewhere or when it is gone). */
export function cpuMsOfProcess(pid: number | undefined): number | undefined {
  const fields = pid === undefined ? undefined : procStatFields(pid);
  if (!fields) return undefined;
  // utime and stime, fields 14 and 15 of proc(5), in clock ticks of 1/100 s (USER_HZ on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * `onClose` gets the CPU time the model's process used, read just before it is stopped: the bench
 * prints it, since on this machine the scripted model takes CPU the real API would not.
 */
export async function startScriptedModelProcess(latencyMs: number, onClose?: (cpuMs: number | undefined) => void): Promise<OfflineModel> {
  const child = spawn(process.execPath, [__filename, String(latencyMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`scripted model process exited ${code} before listening`)));
  });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        onClose?.(cpuMsOfProcess(child.pid));
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

if (require.main === module) {
  void (async () => {
    const model = await startScriptedModel({ latencyMs: Number(process.argv[2] ?? 150) });
    process.stdout.write(JSON.stringify({ url: model.url }) + '\n');
    process.on('SIGTERM', () => void model.close().then(() => process.exit(0)));
  })();
}
