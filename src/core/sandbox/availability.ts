/**
 * Can the sandbox start here? Checked before a run starts: where it cannot (Windows, no bubblewrap),
 * the run does not start unless the user turned sandboxing off, and the message says what to install.
 */
import { loadSandboxRuntime } from './runtime';
import { findOnPath, SOCAT_WRAPPER_PREFIX, socatDyingWithParent } from './socatWithParent';

export type SandboxAvailability = { ok: true } | { ok: false; reason: string };

export const INSTALL_HINT =
  'to install: Debian/Ubuntu: `sudo apt-get install bubblewrap socat`; Fedora: `sudo dnf install bubblewrap socat`; ' +
  'or turn sandboxing off (`"sandbox": {"enabled": false}` in .build-pipeline.json, or the setting buildPipeline.sandbox.enabled) ' +
  'to run with unsandboxed shells';

export async function checkSandbox(opts: { platform?: NodeJS.Platform; searchPath?: string } = {}): Promise<SandboxAvailability> {
  const platform = opts.platform ?? process.platform;
  const searchPath = opts.searchPath ?? process.env.PATH;
  if (platform === 'win32') {
    return { ok: false, reason: 'shell sandboxing is not available on Windows; turn it off (sandbox.enabled: false) to run with unsandboxed shells' };
  }
  if (platform === 'linux') {
    // Our own look first: the runtime's message does not say how to install what is missing.
    const missing = ['bwrap', 'socat'].filter((bin) => !findOnPath(bin, searchPath));
    if (missing.length) {
      const what = missing.map((m) => (m === 'bwrap' ? 'bubblewrap (bwrap)' : m)).join(' and ');
      return { ok: false, reason: `the shell sandbox needs ${what}, not installed here; ${INSTALL_HINT}` };
    }
  }
  let srt;
  try {
    srt = await loadSandboxRuntime();
  } catch (e) {
    return { ok: false, reason: `the sandbox runtime could not be loaded (${(e as Error).message})` };
  }
  const { SandboxManager } = srt;
  if (!SandboxManager.isSupportedPlatform()) return { ok: false, reason: `shell sandboxing is not supported on this platform (${platform})` };
  // The runtime checks the socat it was last given: written again first if a temp cleaner took it.
  // Where it cannot be written now, the next run starts with plain socat (found on PATH above), so
  // the runtime's complaint about the old wrapper is no reason to refuse the run.
  const wrapper = socatDyingWithParent();
  const deps = SandboxManager.checkDependencies();
  deps.errors = deps.errors.filter((e) => wrapper !== undefined || !e.includes(SOCAT_WRAPPER_PREFIX));
  if (deps.errors.length) return { ok: false, reason: `the shell sandbox cannot start: ${deps.errors.join('; ')}; ${INSTALL_HINT}` };
  return { ok: true };
}
