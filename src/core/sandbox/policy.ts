/**
 * What one sandboxed shell may do, and its translation into the sandbox runtime's per-command
 * configuration. Reads are open (a build needs the toolchain) except where credentials live; writes
 * are closed except the agent's worktree, that worktree's own git admin folder (gitPaths.ts; no ref
 * and no object), and a private temp folder; the network is closed except the user's allow-list.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SandboxRuntimeConfig } from '@anthropic-ai/sandbox-runtime' with { 'resolution-mode': 'import' };

export interface ShellPolicy {
  /** Where the shell starts. */
  cwd: string;
  /** Folders and files the shell may write (besides `tmpDir`); empty for read-only roles. */
  allowWrite: string[];
  /** Inside `allowWrite` but still closed: what would let a shell run code outside the sandbox later. */
  denyWrite: string[];
  denyRead: string[];
  /** A folder of its own for temporary files, removed when the shell ends. */
  tmpDir: string;
  allowedDomains: string[];
}

/** Where credentials live in a home folder: none of them is any agent's business. */
export function credentialPaths(home: string): string[] {
  const rel = [
    '.ssh',
    '.aws',
    '.azure',
    '.gnupg',
    '.kube',
    '.docker/config.json',
    '.config/gh',
    '.config/gcloud',
    '.config/hub',
    '.npmrc',
    '.yarnrc',
    '.yarnrc.yml',
    '.pypirc',
    '.netrc',
    '.git-credentials',
    '.env',
    // VS Code's secret storage: the OS keyring on Linux, the Keychain on macOS, and the encrypted
    // values in each flavour's global storage (desktop, OSS, remote server, code-server).
    '.local/share/keyrings',
    '.config/Code/User/globalStorage',
    '.config/Code - OSS/User/globalStorage',
    '.config/Code - Insiders/User/globalStorage',
    '.config/VSCodium/User/globalStorage',
    '.vscode-server/data/User/globalStorage',
    '.local/share/code-server/User/globalStorage',
    'Library/Keychains',
    'Library/Application Support/Code/User/globalStorage',
  ];
  return rel.map((r) => path.join(home, r));
}

const SKIP_DIRS = new Set(['.git', 'node_modules', '.venv', 'venv', '__pycache__']);

/**
 * `.env` files in the user's repository (outside every engine worktree, which live under `.git`):
 * read-denied by name, found once per run rather than by a glob on every command.
 */
export function envFilesIn(root: string, maxDepth = 4, skip: string[] = []): string[] {
  const found: string[] = [];
  const skipAbs = new Set(skip.map((s) => path.resolve(s)));
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < maxDepth && !SKIP_DIRS.has(e.name) && !skipAbs.has(full)) walk(full, depth + 1);
      } else if (e.name === '.env' || e.name.startsWith('.env.')) {
        found.push(full);
      }
    }
  };
  walk(root, 0);
  return found;
}

export function homeDir(env: Record<string, string | undefined> = process.env): string {
  return env.HOME || os.homedir();
}

/** The runtime's per-command configuration for `policy`. */
export function toRuntimeConfig(policy: ShellPolicy): Partial<SandboxRuntimeConfig> {
  return {
    filesystem: {
      denyRead: policy.denyRead.map((p) => ({ path: p, literal: true as const })),
      allowWrite: [...policy.allowWrite, policy.tmpDir].map((p) => ({ path: p, literal: true as const })),
      denyWrite: policy.denyWrite.map((p) => ({ path: p, literal: true as const })),
    },
    // The allow-list itself travels per command (registerCommandNetworkLists): the runtime's own
    // list stays empty, so one run's hosts never open the network for another run's shells.
    network: { allowedDomains: [], deniedDomains: [] },
  };
}
