/**
 * One run's sandbox: the policy every shell of the run gets (credential reads denied, writes only
 * where the role may write, the user's network allow-list) on top of the process-wide runtime.
 * Opened before the run starts; where it cannot start the run does not start either, unless the
 * user turned sandboxing off, and then `enabled` is false and everything says so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { checkSandbox } from './availability';
import { CommandShells, type CommandOutcome } from './commandShells';
import { sandboxedBashTool } from './bashTool';
import type { SandboxConfig } from './config';
import { gitWritePaths } from './gitPaths';
import { credentialPaths, envFilesIn, homeDir, type ShellPolicy } from './policy';
import { acquireSandboxRuntime, type SandboxLease } from './runtime';
import { SandboxedShell, sandboxTempExports, wrapForSandbox } from './shellSession';

export class SandboxUnavailableError extends Error {
  constructor(reason: string) {
    super(`the run did not start: ${reason}`);
    this.name = 'SandboxUnavailableError';
  }
}

export interface ShellSpec {
  cwd: string;
  /** False for QC and audit workers: they write nowhere but a private temp folder. */
  writable: boolean;
}

/** One of the engine's own commands (a test run, an install): where, with what, for how long. */
export interface EngineCommandSpec extends ShellSpec {
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The characters of output kept (the last ones). */
  outputLimit: number;
  /** Run at a lower CPU priority (nice 10). */
  background?: boolean;
}

export interface RunSandbox {
  readonly enabled: boolean;
  readonly allowedDomains: readonly string[];
  /** The SDK's bash tool with its body run in the sandbox (unchanged when sandboxing is off). */
  confineBash(sdkBash: BetaRunnableTool, spec: ShellSpec & { env: Record<string, string>; timeoutMs: number }): BetaRunnableTool;
  /** A command line for `/bin/bash -c` that runs `line` in the sandbox; `done` once it has ended. */
  wrapCommand(line: string, spec: ShellSpec): Promise<{ command: string; done: () => void }>;
  /**
   * Runs one of the engine's commands (tests, an install) in the sandbox, in a sandboxed shell kept
   * for its worktree (commandShells.ts); absent when sandboxing is off.
   */
  runCommand?(line: string, spec: EngineCommandSpec): Promise<CommandOutcome>;
  close(): Promise<void>;
}

/** Shells exactly as before: for runs where the user turned sandboxing off. */
export const UNSANDBOXED: RunSandbox = {
  enabled: false,
  allowedDomains: [],
  confineBash: (tool) => tool,
  wrapCommand: async (line) => ({ command: line, done: () => undefined }),
  close: async () => undefined,
};

export interface RunSandboxOptions {
  /** The user's repository, whose `.env` files are hidden; none known = only the home's credentials. */
  repoRoot?: string;
  /** Where the run's directories live; skipped when looking for the user's `.env` files. */
  runsRoot?: string;
  home?: string;
}

export async function openRunSandbox(cfg: SandboxConfig, opts: RunSandboxOptions): Promise<RunSandbox> {
  if (!cfg.enabled) return UNSANDBOXED;
  const available = await checkSandbox();
  if (!available.ok) throw new SandboxUnavailableError(available.reason);
  const lease = await acquireSandboxRuntime();
  const home = opts.home ?? homeDir();
  const envFiles = opts.repoRoot ? envFilesIn(opts.repoRoot, 4, opts.runsRoot ? [opts.runsRoot] : []) : [];
  const denyRead = [...credentialPaths(home), ...envFiles];
  return new ConfinedRun(lease, cfg.allowedDomains, denyRead);
}

function newTmpDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'bp-shell-'));
}

class ConfinedRun implements RunSandbox {
  readonly enabled = true;
  private readonly commandShells = new CommandShells((policy, env) => SandboxedShell.start(this.lease, policy, env), newTmpDir);
  constructor(
    private readonly lease: SandboxLease,
    readonly allowedDomains: readonly string[],
    private readonly denyRead: string[],
  ) {}

  private async policy(spec: ShellSpec, agent: boolean): Promise<ShellPolicy> {
    return { ...(await this.policyWithoutTmp(spec, agent)), tmpDir: newTmpDir() };
  }

  /**
   * `agent`: an agent's shell, whose worktree's own git admin folder (its index, say) is writable
   * so that git works in it as in any checkout, short of committing. The engine's own commands (tests,
   * installs, builds) run the project's code, which a builder wrote, so they get the worktree and no
   * git metadata at all.
   */
  private async policyWithoutTmp(spec: ShellSpec, agent: boolean): Promise<Omit<ShellPolicy, 'tmpDir'>> {
    // The worktree's `.git` pointer lies inside it: closed for both, since it says where git finds the config.
    const git = !spec.writable ? { allow: [], deny: [] } : agent ? await gitWritePaths(spec.cwd) : { allow: [], deny: [path.join(spec.cwd, '.git')] };
    return {
      cwd: spec.cwd,
      allowWrite: spec.writable ? [spec.cwd, ...git.allow] : [],
      denyWrite: git.deny,
      denyRead: this.denyRead,
      allowedDomains: [...this.allowedDomains],
    };
  }

  describe(spec: ShellSpec): string {
    const writes = spec.writable
      ? `writes only inside ${spec.cwd} and $TMPDIR (git reads work; git add and git commit do not: the engine commits your work)`
      : 'writes nowhere but $TMPDIR (this role is read-only)';
    const net = this.allowedDomains.length ? `network only to ${this.allowedDomains.join(', ')}` : 'no network';
    return `this shell runs in a sandbox: ${writes}; ${net}; credential files (~/.ssh, ~/.aws, ~/.npmrc, .env, ...) are hidden; processes outside it cannot be seen or signalled.`;
  }

  confineBash(sdkBash: BetaRunnableTool, spec: ShellSpec & { env: Record<string, string>; timeoutMs: number }): BetaRunnableTool {
    return sandboxedBashTool(sdkBash, {
      start: async () => SandboxedShell.start(this.lease, await this.policy(spec, true), spec.env),
      describe: this.describe(spec),
      hidden: this.denyRead,
      defaultTimeoutMs: spec.timeoutMs,
      writesWorkdir: spec.writable,
    });
  }

  async wrapCommand(line: string, spec: ShellSpec): Promise<{ command: string; done: () => void }> {
    const policy = await this.policy(spec, false);
    const wrapped = await wrapForSandbox(this.lease, `${sandboxTempExports(policy.tmpDir)}; ${line}`, policy);
    return {
      command: wrapped.command,
      done: () => {
        wrapped.done();
        rmSync(policy.tmpDir, { recursive: true, force: true });
      },
    };
  }

  async runCommand(line: string, spec: EngineCommandSpec): Promise<CommandOutcome> {
    const policy = await this.policyWithoutTmp(spec, false);
    return this.commandShells.run(policy, spec.env, { line, timeoutMs: spec.timeoutMs, signal: spec.signal, outputLimit: spec.outputLimit, background: spec.background });
  }

  close(): Promise<void> {
    this.commandShells.close();
    return this.lease.release();
  }
}
