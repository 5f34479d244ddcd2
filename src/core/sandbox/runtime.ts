/**
 * The sandbox runtime (`@anthropic-ai/sandbox-runtime`, the one Claude Code uses) is one object per
 * process: its network proxies start once and every wrapped command goes through them. Runs hold a
 * lease on it; the last lease to go stops the proxies, so a finished run leaves no server behind
 * (and a test process can exit).
 *
 * The base configuration allows nothing (no network, no writes); each command brings its own
 * filesystem rules and network allow-list (see policy.ts), so runs with different policies can share
 * the one runtime.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { socatDyingWithParent } from './socatWithParent';

export type SandboxRuntimeModule = typeof import('@anthropic-ai/sandbox-runtime', { with: { 'resolution-mode': 'import' } });

let loading: Promise<SandboxRuntimeModule> | undefined;

/** The runtime is an ES module; loaded on first use, so nothing pays for it when sandboxing is off. */
export function loadSandboxRuntime(): Promise<SandboxRuntimeModule> {
  loading ??= import('@anthropic-ai/sandbox-runtime').then((m) => {
    keepHelperExecutable();
    return m;
  });
  return loading;
}

/**
 * In the bundles the runtime's seccomp helper sits next to the bundle (dist/vendor/seccomp, see
 * esbuild.config.mjs); an installer that drops file modes (a .vsix is a zip) would leave it
 * unrunnable, and every shell would fail to start.
 */
function keepHelperExecutable(): void {
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const helper = path.join(__dirname, 'vendor', 'seccomp', arch, 'apply-seccomp');
  try {
    if (fs.existsSync(helper) && (fs.statSync(helper).mode & 0o111) === 0) fs.chmodSync(helper, 0o755);
  } catch {
    // read-only install: the runtime then reports what it cannot run
  }
}

/** `socatPath` only when there is one: the runtime's schema rejects an explicit undefined path. */
function withSocat(socatPath: string | undefined): { socatPath?: string } {
  return socatPath ? { socatPath } : {};
}

let leases = 0;
/** Initialising or resetting: the next change waits for it, so a reset never races an initialize. */
let transition: Promise<void> = Promise.resolve();

export interface SandboxLease {
  srt: SandboxRuntimeModule;
  release(): Promise<void>;
}

export async function acquireSandboxRuntime(): Promise<SandboxLease> {
  const srt = await loadSandboxRuntime();
  leases++;
  if (leases === 1) {
    transition = transition.then(() =>
      srt.SandboxManager.initialize({
        network: { allowedDomains: [], deniedDomains: [] },
        filesystem: { denyRead: [], allowWrite: [], denyWrite: [] },
        ...withSocat(socatDyingWithParent()),
      }),
    );
  }
  try {
    await transition;
  } catch (e) {
    leases--;
    transition = Promise.resolve();
    throw e;
  }
  let released = false;
  return {
    srt,
    release: async () => {
      if (released) return;
      released = true;
      leases--;
      if (leases === 0) {
        transition = transition.then(() => srt.SandboxManager.reset()).catch(() => undefined);
      }
      await transition;
    },
  };
}
