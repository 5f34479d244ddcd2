/**
 * The CLI as a real process (dist/cli.js, built by `npm run build`), with no API key or base URL
 * inherited from the developer's shell: every run in a test is offline unless the test says otherwise.
 */
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { projectRoot } from './harness';

export const CLI = path.join(projectRoot(), 'dist', 'cli.js');

export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const e = { ...process.env, ...extra };
  delete e.ANTHROPIC_API_KEY;
  delete e.ANTHROPIC_BASE_URL;
  return e;
}

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** Runs the CLI to its end (or the timeout, after which `code` is null). */
export function runCli(args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd,
    env: cliEnv(opts.env),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 170_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Starts the CLI and returns at once: for tests that kill it part-way. */
export function spawnCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdio?: StdioOptions } = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env: cliEnv(opts.env), stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'] });
}
