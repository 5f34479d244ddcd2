/**
 * Shows each builder's worktree as a workspace folder while it works (SPEC U5). Folders are only
 * ever appended after the existing ones: changing the first folder restarts every extension, this
 * one included. VS Code refuses a second update before the first one's `onDidChangeWorkspaceFolders`
 * has fired, so requests wait; whatever piled up meanwhile is applied as one batch, in as few calls
 * as the API allows (models/folderPlan.ts): each call makes the whole window re-read its workspace,
 * and with dozens of builders one call per worktree kept it busy for minutes. Folders this class
 * added are remembered in workspace state, so ones left behind by a crash are removed on the next start.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Disposable } from './lifecycle';
import { planFolderUpdates, type FolderToAdd } from './models/folderPlan';
import { timing } from './diagnostics/timingLog';

const STATE_KEY = 'buildPipeline.addedWorktreeFolders';
/**
 * How long a folder update may take the window to confirm. Each one makes the window re-read its
 * workspace; with dozens of folders on a loaded machine that was seen to take well over 5 s, and an
 * update sent before the confirmation is refused (and was lost).
 */
const CONFIRM_TIMEOUT_MS = 30_000;
/** Tries of one batch against refusals before its requests are dropped (a folder that cannot be added stays out). */
const MAX_ATTEMPTS = 3;

export class WorktreeFolders extends Disposable {
  /** The latest request per worktree (normalized path): add with this folder name, or remove. */
  private readonly pending = new Map<string, { add: true; name: string } | { add: false }>();
  private draining: Promise<void> | undefined;

  constructor(
    private readonly memento: vscode.Memento,
    private readonly enabled: () => boolean,
  ) {
    super();
  }

  add(worktree: string, module: string): void {
    if (!this.enabled()) return;
    this.request(worktree, { add: true, name: `⚙ ${module} (builder worktree)` });
  }

  remove(worktree: string): void {
    this.request(worktree, { add: false });
  }

  /** Removes every worktree folder this extension added and has not removed yet. */
  removeLeftovers(): void {
    for (const p of this.memento.get<string[]>(STATE_KEY, [])) this.remove(p);
  }

  /** Resolves once every request made so far has been applied. */
  async settled(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private request(worktree: string, what: { add: true; name: string } | { add: false }): void {
    this.pending.set(path.resolve(worktree), what);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0 && !this.isDisposed) {
      const batch = [...this.pending];
      this.pending.clear();
      try {
        await this.apply(batch);
      } catch (e) {
        console.warn('[build-pipeline] workspace folder update failed', e);
      }
    }
  }

  private async apply(batch: [string, { add: true; name: string } | { add: false }][]): Promise<void> {
    const adds: FolderToAdd[] = [];
    const removes = new Set<string>();
    for (const [p, what] of batch) {
      if (what.add) adds.push({ path: p, name: what.name });
      else removes.add(p);
    }
    // VS Code refuses an update while the window has not confirmed the previous one (someone else's,
    // or ours after CONFIRM_TIMEOUT_MS): wait for that confirmation and plan again from what is there.
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const plan = planFolderUpdates(this.currentFolders(), adds, removes);
      if (plan.length === 0) break;
      let refused = false;
      for (const u of plan) {
        const accepted = await this.update(
          () => vscode.workspace.updateWorkspaceFolders(u.start, u.deleteCount, ...u.add.map((a) => ({ uri: vscode.Uri.file(a.path), name: a.name }))),
          u.deleteCount,
          u.add.length,
        );
        if (!accepted) {
          refused = true;
          break;
        }
      }
      if (!refused) break;
      await this.nextFolderChange();
    }
    const now = new Set(this.currentFolders());
    await this.remember(
      adds.map((a) => a.path).filter((p) => now.has(p)),
      [...removes].filter((p) => !now.has(p)),
    );
  }

  private currentFolders(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).map((f) => path.resolve(f.uri.fsPath));
  }

  /** Runs one update and waits for VS Code to confirm it (or CONFIRM_TIMEOUT_MS); false when VS Code refused it. */
  private update(change: () => boolean, removed: number, added: number): Promise<boolean> {
    timing.mark('folders-start', { folders: vscode.workspace.workspaceFolders?.length ?? 0, removed, added });
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(true), CONFIRM_TIMEOUT_MS);
      const sub = vscode.workspace.onDidChangeWorkspaceFolders(() => done(true));
      function done(accepted: boolean) {
        clearTimeout(timer);
        sub.dispose();
        timing.mark('folders-done', { folders: vscode.workspace.workspaceFolders?.length ?? 0, accepted });
        resolve(accepted);
      }
      if (!change()) done(false);
    });
  }

  /** The next confirmed workspace change (the one VS Code was still waiting for), or CONFIRM_TIMEOUT_MS. */
  private nextFolderChange(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), CONFIRM_TIMEOUT_MS);
      const sub = vscode.workspace.onDidChangeWorkspaceFolders(() => done());
      function done() {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
  }

  private async remember(added: readonly string[], removed: readonly string[]): Promise<void> {
    const set = new Set(this.memento.get<string[]>(STATE_KEY, []));
    for (const p of added) set.add(p);
    for (const p of removed) set.delete(p);
    await this.memento.update(STATE_KEY, [...set]);
  }
}
