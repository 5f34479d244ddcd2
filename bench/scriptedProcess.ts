/**
 * The scripted model in a process of its own, so the bench measures the engine's memory and CPU
 * alone. `node out/bench/scriptedProcess.js <latencyMs>` prints `{"url": …}` once listening and
 * stops on SIGTERM; `startScriptedModelProcess` is the engine's `offlineModel` for it.
 */
import { spawn } from 'node:child_process';
import { startScriptedModel } from '../src/scripted';
import type { OfflineModel } from '../src/core/api';

export async function startScriptedModelProcess(latencyMs: number): Promise<OfflineModel> {
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
