/**
 * One TreeDataProvider per view over its model. Every change, in place or structural, goes through
 * one RefreshCoalescer per tree: at most one refresh per interval, covering the changed nodes (or the
 * whole tree when nodes were added or removed), so a burst of events from many parallel builders
 * renders a few times a second and never waits for the burst to end.
 *
 * And never faster than VS Code takes them up: VS Code queues every refresh it is told about and
 * works through the queue one round trip to the window at a time. When that round trip is slower
 * than the interval (a busy window, a loaded machine), one refresh per interval builds a queue that
 * grows for as long as the run goes on, and the tree shows the run later and later (seconds, then
 * tens of seconds). So the next refresh is announced once VS Code has taken up the previous one (it
 * asks for a tree item or for the children), the changes made meanwhile going into it; or after
 * ACK_TIMEOUT_MS without a call (a hidden view asks for nothing until it is shown).
 */
import * as vscode from 'vscode';
import type { Event } from '../../core/events';
import type { ModelChange } from '../models/changes';
import { PendingTreeChanges, RefreshCoalescer } from '../models/refreshCoalescer';
import { Disposable, toDisposable } from '../lifecycle';
import { timing } from '../diagnostics/timingLog';

/** How long a refresh may go untaken before the next one is announced anyway. */
export const ACK_TIMEOUT_MS = 2_000;
/**
 * Tokens and cost change with every agent turn: a row whose only change is those is drawn within this
 * long (or with the next other change), which spares the window most of its redraws.
 */
export const COUNTS_INTERVAL_MS = 1_000;

export interface TreeModel<T> {
  readonly onDidChange: Event<ModelChange<T>>;
  roots(): T[];
}

export class ModelTreeProvider<T extends object> extends Disposable implements vscode.TreeDataProvider<T> {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<T | T[] | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly pending = new PendingTreeChanges<T>();
  private readonly coalescer: RefreshCoalescer;
  private countsTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly model: TreeModel<T>,
    private readonly toItem: (node: T) => vscode.TreeItem,
    private readonly childrenOf: (node: T) => T[] = () => [],
    intervalMs?: number,
    /** The view's name in the timing log (diagnostics/timingLog.ts). */
    private readonly viewName = 'tree',
  ) {
    super();
    this.coalescer = new RefreshCoalescer(() => this.refresh(), intervalMs, undefined, ACK_TIMEOUT_MS);
    this._register(toDisposable(() => this.coalescer.dispose()));
    this._register(toDisposable(() => clearTimeout(this.countsTimer)));
    this._register(model.onDidChange((c) => this.onModelChange(c)));
  }

  getTreeItem(node: T): vscode.TreeItem {
    this.coalescer.acknowledge();
    const item = this.toItem(node);
    if (timing.enabled) timing.mark('item', { view: this.viewName, label: String(typeof item.label === 'object' ? item.label.label : item.label), desc: String(item.description ?? '') });
    return item;
  }

  getChildren(node?: T): T[] {
    this.coalescer.acknowledge();
    if (!node && timing.enabled) timing.mark('children', { view: this.viewName });
    return node ? this.childrenOf(node) : this.model.roots();
  }

  private onModelChange(change: ModelChange<T>): void {
    if (change.kind === 'structure') this.pending.addStructure();
    else this.pending.addNodes(change.nodes);
    if (change.kind === 'nodes' && change.minor) this.countsTimer ??= setTimeout(() => this.requestCounts(), COUNTS_INTERVAL_MS);
    else this.coalescer.request();
  }

  private requestCounts(): void {
    this.countsTimer = undefined;
    if (!this.isDisposed) this.coalescer.request();
  }

  /** False when nothing changed after all (no refresh announced, none to wait for). */
  private refresh(): boolean {
    const nodes = this.pending.take();
    if (nodes !== undefined && nodes.length === 0) return false;
    if (timing.enabled) timing.mark('fire', { view: this.viewName, nodes: nodes?.length ?? 'all' });
    this.changeEmitter.fire(nodes);
    return true;
  }
}
