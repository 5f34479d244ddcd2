/** Tree items of the Locks view: groups, then decisions and interfaces with lock level and who locked them, then ADRs. */
import * as vscode from 'vscode';
import type { LockLevel } from '../../core/contracts/schemas';
import type { LocksTreeNode } from '../models/locksModel';
import { mdText } from '../models/inertText';

const GROUP_LABEL = { decisions: 'Decisions', interfaces: 'Interfaces', adrs: 'ADRs' } as const;
const LEVEL_ICON: Record<LockLevel, [string, string?]> = {
  critical: ['shield', 'charts.red'],
  locked: ['lock', 'charts.yellow'],
  unlocked: ['unlock'],
};

export function lockItem(node: LocksTreeNode): vscode.TreeItem {
  switch (node.kind) {
    case 'lock-group': {
      const item = new vscode.TreeItem(GROUP_LABEL[node.group], vscode.TreeItemCollapsibleState.Expanded);
      item.id = `group:${node.group}`;
      item.description = String(node.children.length);
      item.contextValue = 'lock-group';
      return item;
    }
    case 'lock': {
      const item = new vscode.TreeItem(node.key, vscode.TreeItemCollapsibleState.None);
      item.id = `lock:${node.group}:${node.key}`;
      const [name, color] = LEVEL_ICON[node.level];
      item.iconPath = new vscode.ThemeIcon(name, color ? new vscode.ThemeColor(color) : undefined);
      const last = node.lastChange;
      item.description = `${node.level} · by ${node.entry.locked_by}${last ? ` · changed ${last.at.slice(0, 16).replace('T', ' ')} by ${last.who.name}` : ''}`;
      const e = node.entry;
      item.tooltip = new vscode.MarkdownString(
        [
          // Everything but the level comes from the contracts or the audit trail, which agents write.
          `**${mdText(node.key)}** — ${node.level}${e.category ? ` (${mdText(e.category)})` : ''}`,
          mdText(e.assertion),
          mdText(`Locked by ${e.locked_by} at ${e.locked_at}`),
          e.affects.length ? mdText(`Affects: ${e.affects.join(', ')}`) : '',
          node.adr ? mdText(`ADR: ${node.adr.number}-${node.adr.topic}`) : '',
          last ? mdText(`Last change: ${last.at} by ${last.who.name} (${last.who.role}): ${last.reason}`) : '',
        ]
          .filter(Boolean)
          .join('\n\n'),
      );
      item.contextValue = ['lock', `lock-${node.level}`, node.adr ? 'has-adr' : '', 'has-history'].filter(Boolean).join(' ');
      if (node.adr) item.command = { command: 'buildPipeline.openAdr', title: 'Open ADR', arguments: [node] };
      return item;
    }
    case 'adr': {
      const item = new vscode.TreeItem(`${node.adr.number} ${node.adr.title}`, vscode.TreeItemCollapsibleState.None);
      item.id = `adr:${node.adr.file}`;
      item.iconPath = new vscode.ThemeIcon('book');
      item.tooltip = node.adr.file;
      item.contextValue = 'adr has-adr';
      item.command = { command: 'buildPipeline.openAdr', title: 'Open ADR', arguments: [node] };
      return item;
    }
  }
}
