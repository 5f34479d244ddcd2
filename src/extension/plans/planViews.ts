/**
 * The Plans tree (a waiting plan gate, then plans → phases with status, dependencies, audit verdict,
 * review state), the Team tree (a run's phases → teammates with role, state, current task, tokens)
 * and the Tasks tree (a run's phases → the shared task list with claims). All three re-read
 * their model from disk on refresh; refreshes are coalesced (at most one per interval) so a burst of team events does not re-read the disk each time.
 */
import * as vscode from 'vscode';
import { Disposable, toDisposable } from '../lifecycle';
import { RefreshCoalescer } from '../models/refreshCoalescer';
import { phaseLabel, teamPhaseLabel, taskDescription, type MateNode, type PhaseNode, type PlanGateNode, type PlanNode, type TaskNode, type TaskPhaseNode, type TeamPhaseNode } from './plansModel';
import { mdText } from '../models/inertText';

type PlansTreeNode = PlanGateNode | PlanNode | PhaseNode;
type TeamTreeNode = TeamPhaseNode | MateNode;
type TasksTreeNode = TaskPhaseNode | TaskNode;

abstract class ReadingTree<T> extends Disposable implements vscode.TreeDataProvider<T> {
  private readonly emitter = this._register(new vscode.EventEmitter<undefined>());
  readonly onDidChangeTreeData = this.emitter.event;
  /** These trees re-read files on every refresh: at most one per interval, however many team events arrive. */
  private readonly coalescer = new RefreshCoalescer(() => this.emitter.fire(undefined), 150);

  constructor() {
    super();
    this._register(toDisposable(() => this.coalescer.dispose()));
  }

  refresh(): void {
    this.coalescer.request();
  }

  abstract getTreeItem(node: T): vscode.TreeItem;
  abstract getChildren(node?: T): T[];
}

const PHASE_ICONS: Record<string, string> = { done: 'pass', running: 'sync~spin', failed: 'error', pending: 'circle-outline', 'not started': 'circle-outline' };
const MATE_ICONS: Record<string, string> = { working: 'sync~spin', idle: 'debug-pause', dead: 'error' };
const TASK_ICONS: Record<string, string> = { pending: 'circle-outline', claimed: 'sync~spin', complete: 'pass', failed: 'error' };

export class PlansTree extends ReadingTree<PlansTreeNode> {
  constructor(
    private readonly read: () => PlanNode[],
    /** The plan gate waiting for the human, shown first with Approve/Reject on the row (as the Stages tree shows the pipeline's gates). */
    private readonly gate: () => PlanGateNode | undefined,
  ) {
    super();
  }

  getChildren(node?: PlansTreeNode): PlansTreeNode[] {
    if (!node) {
      const gate = this.gate();
      return gate ? [gate, ...this.read()] : this.read();
    }
    return node.kind === 'plan' ? node.phases : [];
  }

  getTreeItem(node: PlansTreeNode): vscode.TreeItem {
    if (node.kind === 'plan-gate') {
      const item = new vscode.TreeItem(`Gate: ${node.title} — waiting for you`, vscode.TreeItemCollapsibleState.None);
      item.id = `plan-gate:${node.gate}`;
      item.description = node.summary.split('\n')[0] ?? '';
      const hint = node.gate === 'ship' ? 'Approve to merge into the branch the run started from, Request Changes (click the row), or Reject.' : 'Approve to implement anyway, or reject.';
      item.tooltip = new vscode.MarkdownString(`**${mdText(node.title)}**\n\n${mdText(node.summary)}\n\n${hint}`);
      item.iconPath = new vscode.ThemeIcon('bell-dot', new vscode.ThemeColor('charts.yellow'));
      item.contextValue = 'plan-gate';
      item.command = { command: 'buildPipeline.decidePlanGate', title: 'Decide', arguments: [node] };
      return item;
    }
    if (node.kind === 'plan') {
      const item = new vscode.TreeItem(node.title, vscode.TreeItemCollapsibleState.Expanded);
      item.description = [node.runStatus, node.audit, node.problems ? `${node.problems} problem(s)` : undefined].filter(Boolean).join(' · ');
      item.tooltip = `${node.dir}${node.runId ? `\nlatest run ${node.runId}` : ''}`;
      item.contextValue = 'plan';
      item.iconPath = new vscode.ThemeIcon(node.problems ? 'warning' : 'notebook');
      item.resourceUri = vscode.Uri.file(node.dir);
      return item;
    }
    const item = new vscode.TreeItem(phaseLabel(node), vscode.TreeItemCollapsibleState.None);
    item.description = [node.status, node.dependsOn.length ? `after ${node.dependsOn.map((d) => String(d).padStart(2, '0')).join(', ')}` : undefined, `${node.tasks} task(s)`, node.review].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(PHASE_ICONS[node.status] ?? 'circle-outline');
    item.contextValue = `phase ${node.status}`;
    return item;
  }
}

export class TeamTree extends ReadingTree<TeamTreeNode> {
  constructor(private readonly read: () => TeamPhaseNode[]) {
    super();
  }

  getChildren(node?: TeamTreeNode): TeamTreeNode[] {
    if (!node) return this.read();
    return node.kind === 'team-phase' ? node.mates : [];
  }

  getTreeItem(node: TeamTreeNode): vscode.TreeItem {
    if (node.kind === 'team-phase') {
      const item = new vscode.TreeItem(teamPhaseLabel(node.phase), vscode.TreeItemCollapsibleState.Expanded);
      item.description = `${node.mates.length} teammate(s)`;
      return item;
    }
    const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
    item.description = [node.role, node.state, node.task ? `on ${node.task}` : undefined, `${node.tokens} tokens`].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(MATE_ICONS[node.state] ?? 'person');
    item.contextValue = `teammate ${node.state}`;
    return item;
  }
}

export class TasksTree extends ReadingTree<TasksTreeNode> {
  constructor(private readonly read: () => TaskPhaseNode[]) {
    super();
  }

  getChildren(node?: TasksTreeNode): TasksTreeNode[] {
    if (!node) return this.read();
    return node.kind === 'task-phase' ? node.tasks : [];
  }

  getTreeItem(node: TasksTreeNode): vscode.TreeItem {
    if (node.kind === 'task-phase') {
      const item = new vscode.TreeItem(teamPhaseLabel(node.phase), vscode.TreeItemCollapsibleState.Expanded);
      const done = node.tasks.filter((t) => t.status === 'complete').length;
      item.description = `${done}/${node.tasks.length} complete`;
      return item;
    }
    const item = new vscode.TreeItem(`${node.id} ${node.title}`, vscode.TreeItemCollapsibleState.None);
    item.description = taskDescription(node);
    // A plain-string tooltip is also what screen readers read for the row: it carries the claim too.
    item.tooltip = `${node.id} ${node.title}: ${taskDescription(node)} (${node.role} task in phase ${node.phase})`;
    item.iconPath = new vscode.ThemeIcon(TASK_ICONS[node.status] ?? 'circle-outline');
    item.contextValue = `task ${node.status}`;
    return item;
  }
}
