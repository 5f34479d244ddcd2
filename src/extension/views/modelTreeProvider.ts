/**
 * One TreeDataProvider per view over its model. In-place changes refresh only the changed elements;
 * structural changes (nodes added or removed) are coalesced into one full refresh per debounce tick,
 * so a burst of events from parallel builders does not re-render the tree each time.
 */
import * as vscode from 'vscode';
import type { Event } from '../../core/events';
import type { ModelChange } from '../models/changes';
import { Disposable, toDisposable } from '../lifecycle';

export interface TreeModel<T> {
  readonly onDidChange: Event<ModelChange<T>>;
  roots(): T[];
}

export class ModelTreeProvider<T extends object> extends Disposable implements vscode.TreeDataProvider<T> {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<T | T[] | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private fullRefresh: NodeJS.Timeout | undefined;
  private pending = new Set<T>();
  private nodeRefresh: NodeJS.Timeout | undefined;

  constructor(
    private readonly model: TreeModel<T>,
    private readonly toItem: (node: T) => vscode.TreeItem,
    private readonly childrenOf: (node: T) => T[] = () => [],
    private readonly debounceMs = 100,
  ) {
    super();
    this._register(model.onDidChange((c) => this.onModelChange(c)));
    this._register(
      toDisposable(() => {
        clearTimeout(this.fullRefresh);
        clearTimeout(this.nodeRefresh);
      }),
    );
  }

  getTreeItem(node: T): vscode.TreeItem {
    return this.toItem(node);
  }

  getChildren(node?: T): T[] {
    return node ? this.childrenOf(node) : this.model.roots();
  }

  private onModelChange(change: ModelChange<T>): void {
    if (change.kind === 'structure') {
      this.pending.clear();
      clearTimeout(this.fullRefresh);
      this.fullRefresh = setTimeout(() => {
        this.fullRefresh = undefined;
        this.changeEmitter.fire(undefined);
      }, this.debounceMs);
      return;
    }
    if (this.fullRefresh) return; // the full refresh will show these too
    for (const n of change.nodes) this.pending.add(n);
    this.nodeRefresh ??= setTimeout(() => {
      this.nodeRefresh = undefined;
      const nodes = [...this.pending];
      this.pending.clear();
      if (nodes.length && !this.fullRefresh) this.changeEmitter.fire(nodes);
    }, 30);
  }
}
