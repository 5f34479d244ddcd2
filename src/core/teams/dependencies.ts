/**
 * A phased plan's dependencies (`implement`): installed once, in the run's integration worktree,
 * before any phase, as a build run's scaffold installs them; every phase and teammate worktree then
 * gets the installed folders (stack/dependencyStore.ts) instead of a fresh checkout without them,
 * where a suite that needs them could only fail. The command is `planInstallCommand`, else the one a
 * Node project's lockfile names (stack/repoTesting.ts); without either nothing is installed.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agentShellEnv } from '../agents/env';
import { commitOwnedChanges, ENGINE_IDENTITY, headCommit } from '../git';
import { networkRefusalHint } from '../sandbox/networkRefusal';
import { runCommand, stoppedError } from '../shell';
import { INSTALLED_DIRS } from '../stack/dependencyStore';
import { ensureIgnored } from '../stack/gitignore';
import { LOCKFILES, nodeInstallCommand } from '../stack/repoTesting';
import type { ModelSession } from '../plans/session';
import type { ImplementStore } from './state';

/** How much of a failed install's output the halt reason quotes: the end, where the error is. */
const OUTPUT_TAIL = 3000;

/**
 * The setting, else the command this run installed with (its own lockfile commit must not turn an
 * `npm install` into an `npm ci` on resume), else what the lockfile names.
 */
export function planInstallCommand(session: ModelSession, codeRoot: string, installedWith?: string): string | undefined {
  return session.config.planInstallCommand ?? installedWith ?? nodeInstallCommand(codeRoot);
}

/** The files an install reads: when a merged phase changed one, the next phase gets a new install. */
const MANIFESTS = ['package.json', ...LOCKFILES, 'requirements.txt', 'pyproject.toml', 'poetry.lock', 'uv.lock'];

function manifestsHash(wt: string): string {
  const hash = createHash('sha256');
  for (const f of MANIFESTS) {
    const file = path.join(wt, f);
    hash.update(`${f}\0${fs.existsSync(file) ? fs.readFileSync(file) : '-'}\0`);
  }
  return hash.digest('hex');
}

/**
 * Runs the install in the integration worktree unless this run already did for the manifests as they
 * are (and its folders are still there): before the first phase, and again before a later phase when
 * a merged one changed a manifest or a lockfile. The .gitignore entries for the installed folders and the lockfile the install wrote
 * are an engine commit on the integration branch; any other change it made (a rewritten
 * package.json) is discarded. Returns the halt reason when the install fails.
 */
export async function installPlanDependencies(session: ModelSession, store: ImplementStore, wt: string): Promise<string | undefined> {
  const done = store.state.dependencies;
  const command = planInstallCommand(session, wt, done?.command);
  if (!command) return undefined;
  if (done?.command === command && done.manifests === manifestsHash(wt) && INSTALLED_DIRS.some((d) => fs.existsSync(path.join(wt, d)))) return undefined;
  const engineHead = await headCommit(wt);
  const run = await runCommand(command, wt, agentShellEnv('engine'), session.config.testTimeoutMs, session.signal, session.sandbox);
  session.emit({ type: 'log', level: run.exitCode === 0 ? 'info' : 'warn', message: `install \`${command}\` exited ${run.exitCode} in ${run.durationMs} ms (integration worktree; lent to every phase and teammate)` });
  // Only the folders the install made are ignored (an existing repository keeps its own .gitignore
  // otherwise), and before the commit below, which would remove them as untracked files.
  const added = ensureIgnored(wt, INSTALLED_DIRS.filter((d) => fs.existsSync(path.join(wt, d))).map((d) => `${d}/`));
  if (added.length) session.emit({ type: 'log', level: 'info', message: `.gitignore: added ${added.join(' ')}` });
  await commitOwnedChanges(wt, {
    branch: store.state.integrationBranch,
    engineHead,
    allowed: (rel) => rel === '.gitignore' || LOCKFILES.includes(rel),
    message: `implement: .gitignore and lockfile after \`${command.slice(0, 60)}\``,
    author: ENGINE_IDENTITY,
  });
  // Committed either way (the worktree stays clean for the phases), but a stopped install did not fail.
  if (session.signal.aborted) throw stoppedError(`install \`${command}\``, session.signal);
  if (run.exitCode !== 0) {
    const outcome = run.timedOut ? 'timed out' : `exited with ${run.exitCode}`;
    const hint = networkRefusalHint(command, run.output, session.sandbox);
    return `the install command \`${command}\` ${outcome} in the integration worktree${hint ? `. ${hint}` : ''}; fix it, or set planInstallCommand (.build-pipeline.json or the VS Code setting), and run implement again. Output (end):\n${run.output.slice(-OUTPUT_TAIL)}`;
  }
  store.update((s) => (s.dependencies = { command, at: new Date().toISOString(), manifests: manifestsHash(wt) }));
  return undefined;
}
