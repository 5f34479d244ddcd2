/**
 * A CPU profile of the extension host while a run is attached, when `BP_CPU_PROFILE` names the file
 * to write (a `.cpuprofile`: open it in Chrome DevTools or VS Code). For issue #10: the engine, the
 * offline demo's scripted model and the tree providers share this one thread, and the profile shows
 * which of them holds it. Off by default; never used by the tests' assertions.
 */
import * as fs from 'node:fs';
import { Session } from 'node:inspector';

let session: Session | undefined;

export function startCpuProfile(): void {
  const file = process.env.BP_CPU_PROFILE;
  if (!file || session) return;
  try {
    session = new Session();
    session.connect();
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: 1000 });
    session.post('Profiler.start');
  } catch {
    session = undefined;
  }
}

export function stopCpuProfile(): void {
  const file = process.env.BP_CPU_PROFILE;
  const s = session;
  if (!file || !s) return;
  session = undefined;
  s.post('Profiler.stop', (err, result) => {
    if (!err && result?.profile) {
      try {
        fs.writeFileSync(file, JSON.stringify(result.profile));
      } catch {
        // Diagnostics must never break the extension.
      }
    }
    s.disconnect();
  });
}
