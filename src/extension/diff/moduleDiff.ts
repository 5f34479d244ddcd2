/**
 * Review of one module's work before its merge is approved (SPEC U6): every file the module branch
 * changed against its base, in VS Code's multi-file diff editor (`vscode.changes`).
 * The base is where the branch started (recorded by the engine), else its merge base with the
 * integration branch; once merged, the integration commit just before the merge.
 */
import * as vscode from 'vscode';
import type { RunState } from '../../core/contracts/schemas';
import { changedFiles, mergeBase, resolveRef } from '../git/gitCli';
import { gitUri } from './gitContentProvider';

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
  const files = await changedFiles(repo, base, head);
  if (files.length === 0) {
    void vscode.window.showInformationMessage(`Build Pipeline: ${m.branch} changes no files against its base.`);
    return;
  }
  const resources = files.map((f) => {
    const label = vscode.Uri.joinPath(vscode.Uri.file(repo), f.path);
    const original = f.status === 'A' ? undefined : gitUri(repo, base, f.oldPath ?? f.path);
    const modified = f.status === 'D' ? undefined : gitUri(repo, head, f.path);
    return [label, original, modified] as const;
  });
  await vscode.commands.executeCommand('vscode.changes', `${module}: ${m.branch} vs base (${base.slice(0, 8)})`, resources);
}
