/**
 * Review before approval (SPEC U6, M3): every file a branch changes against a base commit, in VS Code's
 * multi-file diff editor (`vscode.changes`), for one module before its merge and for the whole
 * integration branch at the ship gate. One helper: both differ only in which two commits they compare.
 */
import * as vscode from 'vscode';
import type { RunState } from '../../core/contracts/schemas';
import { changedFiles, mergeBase, ownChangedPaths, resolveRef } from '../git/gitCli';
import { gitUri } from './gitContentProvider';

/** Opens the diff of `head` against `base`; says so instead when nothing changed. */
async function showChanges(repo: string, base: string, head: string, title: string, nothingChanged: string, only?: Set<string>): Promise<void> {
  const files = (await changedFiles(repo, base, head)).filter((f) => !only || only.has(f.path) || (f.oldPath !== undefined && only.has(f.oldPath)));
  if (files.length === 0) {
    void vscode.window.showInformationMessage(`Build Pipeline: ${nothingChanged}`);
    return;
  }
  const resources = files.map((f) => {
    const label = vscode.Uri.joinPath(vscode.Uri.file(repo), f.path);
    const original = f.status === 'A' ? undefined : gitUri(repo, base, f.oldPath ?? f.path);
    const modified = f.status === 'D' ? undefined : gitUri(repo, head, f.path);
    return [label, original, modified] as const;
  });
  await vscode.commands.executeCommand('vscode.changes', title, resources);
}

/** "Review Changes" at the ship gate: the integration branch against the commit the run started from. */
export async function reviewIntegrationDiff(repo: string, state: RunState): Promise<void> {
  const head = await resolveRef(repo, state.integrationBranch);
  const base = await resolveRef(repo, state.baseCommit);
  if (!head || !base) throw new Error(`cannot find ${head ? state.baseCommit : state.integrationBranch} in ${repo}`);
  await showChanges(repo, base, head, `${state.integrationBranch} vs ${state.baseBranch} (${base.slice(0, 8)})`, `${state.integrationBranch} changes no files against ${state.baseBranch}.`);
}

/**
 * Where a module's branch started: recorded by the engine, else (once merged) the integration commit
 * just before its merge, else its merge base with the integration branch.
 */
export async function moduleDiffBase(repo: string, state: RunState, module: string): Promise<string | undefined> {
  const m = state.modules.find((x) => x.name === module) as (RunState['modules'][number] & { baseCommit?: string }) | undefined;
  if (!m) return undefined;
  if (m.baseCommit && (await resolveRef(repo, m.baseCommit))) return m.baseCommit;
  if (m.mergeCommit) {
    const parent = await resolveRef(repo, `${m.mergeCommit}^1`);
    if (parent) return parent;
  }
  return mergeBase(repo, state.integrationBranch, m.branch);
}

/** One module's work before its merge is approved. */
export async function reviewModuleDiff(repo: string, state: RunState, module: string): Promise<void> {
  const m = state.modules.find((x) => x.name === module);
  if (!m) throw new Error(`module ${module} is not part of run ${state.runId}`);
  const head = (await resolveRef(repo, m.branch)) ?? (m.builtCommit ? await resolveRef(repo, m.builtCommit) : undefined);
  if (!head) {
    void vscode.window.showInformationMessage(`Build Pipeline: ${module} has no commits on ${m.branch} yet.`);
    return;
  }
  const base = await moduleDiffBase(repo, state, module);
  if (!base) throw new Error(`cannot find where ${m.branch} started`);
  // Only what the module's own commits changed: after a refix its branch also holds the integration
  // branch merged in, and every other module's files showed as this module's changes.
  const own = await ownChangedPaths(repo, base, head);
  await showChanges(repo, base, head, `${module}: ${m.branch} vs base (${base.slice(0, 8)})`, `${m.branch} changes no files against its base.`, own);
}
