/** Tree items of the Modules view: status icon, verdict and fix cycles in the description, branch and worktree in the tooltip. */
import * as vscode from 'vscode';
import type { ModuleStatus } from '../../core/contracts/schemas';
import { formatTokens, formatUsd } from '../models/format';
import { totalTokens } from '../../core/usage';
import type { ModuleNode } from '../models/modulesModel';
import { mdText } from '../models/inertText';

const STATUS_ICON: Record<ModuleStatus, [string, string?]> = {
  pending: ['circle-outline'],
  building: ['tools', 'charts.blue'],
  qc: ['beaker', 'charts.blue'],
  fixing: ['wrench', 'charts.yellow'],
  passed: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  blocked: ['warning', 'charts.orange'],
  cancelled: ['circle-slash', 'disabledForeground'],
  merged: ['git-merge', 'charts.purple'],
};

export function moduleItem(node: ModuleNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
  item.id = `module:${node.name}`;
  const [name, color] = STATUS_ICON[node.status];
  item.iconPath = new vscode.ThemeIcon(name, color ? new vscode.ThemeColor(color) : undefined);
  const parts: string[] = [node.status];
  if (node.verdict) parts.push(`QC ${node.verdict}`);
  if (node.fixCycles > 0) parts.push(`${node.fixCycles} fix cycle${node.fixCycles > 1 ? 's' : ''}`);
  if (node.worktree) parts.push('worktree open');
  const tokens = totalTokens(node.usage);
  if (tokens > 0) parts.push(`≈${formatUsd(node.costUsd)}`);
  item.description = parts.join(' · ');
  const lines = [
    `**${node.name}** — ${node.status}${node.tier ? ` (${node.tier})` : ''}`,
    node.branch ? `Branch: \`${node.branch}\`` : '',
    node.worktree ? `Worktree: \`${node.worktree}\`` : '',
    node.verdict ? `QC: ${node.verdict} after ${node.qcAttempts} attempt(s); ${node.fixCycles} fix cycle(s)` : '',
    node.merge ? `Merge: ${node.merge.result}, integration tests ${node.merge.tests}` : '',
    tokens > 0 ? `Tokens: ${formatTokens(tokens)} · ≈${formatUsd(node.costUsd)} (estimate)` : '',
    node.detail ? mdText(node.detail) : '',
  ].filter(Boolean);
  item.tooltip = new vscode.MarkdownString(lines.join('\n\n'));
  item.contextValue = ['module', `module-${node.status}`, node.reportPath ? 'has-report' : '', node.branch ? 'has-branch' : '']
    .filter(Boolean)
    .join(' ');
  if (node.reportPath) {
    item.command = { command: 'buildPipeline.openQcReport', title: 'Open QC Report', arguments: [node] };
  }
  return item;
}
