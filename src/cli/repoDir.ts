/**
 * What the commands that work on a repository check first. A folder that is missing or not a git
 * repository is an error in the world (exit 1), not a mistake in how the command was written
 * (exit 2): the same command works once the folder is right.
 */
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { isRunId } from '../core/run/runDir';
import { UsageError } from './args';

export function requireRepoDir(dir: string): string {
  if (!fs.existsSync(dir)) throw new Error(`${dir}: no such directory (pass --cwd a folder inside a git repository)`);
  if (!fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory (pass --cwd a folder inside a git repository)`);
  try {
    execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, stdio: 'pipe' });
  } catch {
    throw new Error(`${dir} is not inside a git working tree (run \`git init\` there first, or pass --cwd a folder inside one)`);
  }
  return dir;
}

/** A RUN_ID that cannot be one (wrong shape) is a usage error; a well-formed one that does not exist is not. */
export function requireRunIdShape(runId: string): string {
  if (!isRunId(runId)) throw new UsageError(`"${runId}" is not a run id (they look like 20260101-120000-0123abcd; see \`build-pipeline status\`)`);
  return runId;
}

/** Commands with a fixed number of operands refuse extra ones instead of ignoring them. */
export function requireAtMost(positionals: string[], n: number, command: string): void {
  if (positionals.length > n) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(positionals[n])}`);
}
