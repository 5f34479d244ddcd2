/**
 * Shows each builder's worktree as a workspace folder while it works (SPEC U5). Folders are only
 * ever appended after the existing ones: changing the first folder restarts every extension, this
 * one included. Changes are queued because VS Code refuses a second update before the first one's
 * `onDidChangeWorkspaceFolders` has fired. Folders this class added are remembered in workspace
 * state, so ones left behind by a crash are removed on the next start.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Disposable } from './lifecycle';

const STATE_KEY = 'buildPipeline.addedWorktreeFolders';

export class WorktreeFolders extends Disposable {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly memento: vscode.Memento,
    private readonly enabled: () => boolean,
  ) {
    super();
  }

  add(worktree: string, module: string): void {
    if (!this.enabled()) return;
    this.enqueue(async () => {
      const uri = vscode.Uri.file(worktree);
      if (this.indexOf(uri) !== -1) return;
      const at = vscode.workspace.workspaceFolders?.length ?? 0;
      if (at === 0) return; // no first folder to keep: adding one would make the worktree the first
      await this.update(() => vscode.workspace.updateWorkspaceFolders(at, 0, { uri, name: `⚙ ${module} (builder worktree)` }));
      await this.remember(worktree, true);
    });
  }

  remove(worktree: string): void {
    this.enqueue(async () => {
      const index = this.indexOf(vscode.Uri.file(worktree));
      if (index > 0) await this.update(() => vscode.workspace.updateWorkspaceFolders(index, 1));
      await this.remember(worktree, false);
    });
  }

  /** Removes every worktree folder this extension added and has not removed yet. */
  removeLeftovers(): void {
    for (const p of this.memento.get<string[]>(STATE_KEY, [])) this.remove(p);
  }

  /** Resolves once every queued change has been applied. */
  settled(): Promise<void> {
    return this.queue;
  }

  private indexOf(uri: vscode.Uri): number {
    const key = path.resolve(uri.fsPath);
    return (vscode.workspace.workspaceFolders ?? []).findIndex((f) => path.resolve(f.uri.fsPath) === key);
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch((e: unknown) => {
      console.warn('[build-pipeline] workspace folder update failed', e);
    });
  }

  /** Runs one update and waits for VS Code to confirm it (or a short timeout if it was refused). */
  private update(change: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), 5000);
      const sub = vscode.workspace.onDidChangeWorkspaceFolders(() => done());
      function done() {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
      if (!change()) done();
    });
  }

  private async remember(worktree: string, added: boolean): Promise<void> {
    const set = new Set(this.memento.get<string[]>(STATE_KEY, []));
    if (added) set.add(worktree);
    else set.delete(worktree);
    await this.memento.update(STATE_KEY, [...set]);
  }
}
