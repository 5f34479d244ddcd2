/**
 * One TreeDataProvider per view over its model. Every change, in place or structural, goes through
 * one RefreshCoalescer per tree: at most one refresh per interval, covering the changed nodes (or the
 * whole tree when nodes were added or removed), so a burst of events from many parallel builders
 * renders a few times a second and never waits for the burst to end.
 */
import * as vscode from 'vscode';
import type { Event } from '../../core/events';
import type { ModelChange } from '../models/changes';
import { PendingTreeChanges, RefreshCoalescer } from '../models/refreshCoalescer';
import { Disposable, toDisposable } from '../lifecycle';

export interface TreeModel<T> {
  readonly onDidChange: Event<ModelChange<T>>;
  roots(): T[];
}

export class ModelTreeProvider<T extends object> extends Disposable implements vscode.TreeDataProvider<T> {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<T | T[] | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly pending = new PendingTreeChanges<T>();
  private readonly coalescer: RefreshCoalescer;

  constructor(
    private readonly model: TreeModel<T>,
    private readonly toItem: (node: T) => vscode.TreeItem,
    private readonly childrenOf: (node: T) => T[] = () => [],
    intervalMs?: number,
  ) {
    super();
    this.coalescer = new RefreshCoalescer(() => this.refresh(), intervalMs);
    this._register(toDisposable(() => this.coalescer.dispose()));
    this._register(model.onDidChange((c) => this.onModelChange(c)));
  }

  getTreeItem(node: T): vscode.TreeItem {
    return this.toItem(node);
  }

  getChildren(node?: T): T[] {
    return node ? this.childrenOf(node) : this.model.roots();
  }

  private onModelChange(change: ModelChange<T>): void {
    if (change.kind === 'structure') this.pending.addStructure();
    else this.pending.addNodes(change.nodes);
    this.coalescer.request();
  }

  private refresh(): void {
    const nodes = this.pending.take();
    if (nodes === undefined) this.changeEmitter.fire(undefined);
    else if (nodes.length > 0) this.changeEmitter.fire(nodes);
  }
}
