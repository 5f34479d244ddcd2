/**
 * "Review Changes" at the ship gate (SPEC M3, U6): every file the integration branch changes against
 * the commit the run started from, in VS Code's multi-file diff editor, before the merge is approved.
 */
import * as vscode from 'vscode';
import type { RunState } from '../../core/contracts/schemas';
import { changedFiles, resolveRef } from '../git/gitCli';
import { gitUri } from './gitContentProvider';

export async function reviewIntegrationDiff(repo: string, state: RunState): Promise<void> {
  const head = await resolveRef(repo, state.integrationBranch);
  const base = await resolveRef(repo, state.baseCommit);
  if (!head || !base) throw new Error(`cannot find ${head ? state.baseCommit : state.integrationBranch} in ${repo}`);
  const files = await changedFiles(repo, base, head);
  if (files.length === 0) {
    void vscode.window.showInformationMessage(`Build Pipeline: ${state.integrationBranch} changes no files against ${state.baseBranch}.`);
    return;
  }
  const resources = files.map((f) => {
    const label = vscode.Uri.joinPath(vscode.Uri.file(repo), f.path);
    const original = f.status === 'A' ? undefined : gitUri(repo, base, f.oldPath ?? f.path);
    const modified = f.status === 'D' ? undefined : gitUri(repo, head, f.path);
    return [label, original, modified] as const;
  });
  await vscode.commands.executeCommand('vscode.changes', `${state.integrationBranch} vs ${state.baseBranch} (${base.slice(0, 8)})`, resources);
}
