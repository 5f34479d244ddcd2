/** Tree items of the Stages view: icon by status, duration and cost in the description, a tooltip with tokens. */
import * as vscode from 'vscode';
import type { StageStatus } from '../../core/contracts/schemas';
import { formatDuration, formatTokens, formatUsd, titleCase } from '../models/format';
import { totalTokens } from '../../core/usage';
import type { StagesNode } from '../models/stagesModel';
import { mdText } from '../models/inertText';

const STATUS_ICON: Record<StageStatus, [string, string?]> = {
  pending: ['circle-outline'],
  running: ['sync~spin', 'charts.blue'],
  waiting: ['debug-pause', 'charts.yellow'],
  done: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  skipped: ['circle-slash', 'disabledForeground'],
};

function icon(name: string, color?: string): vscode.ThemeIcon {
  return new vscode.ThemeIcon(name, color ? new vscode.ThemeColor(color) : undefined);
}

export function stageItem(node: StagesNode, now = Date.now()): vscode.TreeItem {
  if (node.kind === 'gate') {
    const item = new vscode.TreeItem(`Gate: ${titleCase(node.gate)} — waiting for you`, vscode.TreeItemCollapsibleState.None);
    item.id = `gate:${node.gate}`;
    item.iconPath = icon('bell-dot', 'charts.yellow');
    item.description = node.summary.split('\n')[0] ?? '';
    item.tooltip = new vscode.MarkdownString(`**${titleCase(node.gate)} gate**\n\n${mdText(node.summary)}\n\nApprove, request changes or reject.`);
    item.contextValue = 'gate gate-waiting';
    item.command = { command: 'buildPipeline.approveGate', title: 'Decide', arguments: [node] };
    return item;
  }
  const item = new vscode.TreeItem(titleCase(node.id), vscode.TreeItemCollapsibleState.None);
  item.id = `stage:${node.id}`;
  const [iconName, color] = node.gate ? ['debug-pause', 'charts.yellow'] : STATUS_ICON[node.status];
  item.iconPath = icon(iconName, color);
  const parts: string[] = [];
  if (node.gate) parts.push('waiting for approval');
  else if (node.status !== 'pending') parts.push(node.status);
  if (node.startedAt) parts.push(formatDuration((node.endedAt ?? now) - node.startedAt));
  const tokens = totalTokens(node.usage);
  if (tokens > 0) parts.push(`${formatTokens(tokens)} tok`, `≈${formatUsd(node.costUsd)}`);
  item.description = parts.join(' · ');
  const u = node.usage;
  item.tooltip = new vscode.MarkdownString(
    [
      `**${titleCase(node.id)}** — ${node.status}${node.gate ? ` (waiting at the ${node.gate} gate)` : ''}`,
      node.detail ? `\n\n${mdText(node.detail)}` : '',
      `\n\nTokens: ${u.input} in, ${u.output} out, ${u.cacheRead} cache read, ${u.cacheWrite} cache write (${u.calls} calls)`,
      `\n\nCost: ≈${formatUsd(node.costUsd)} (estimate)`,
    ].join(''),
  );
  item.contextValue = ['stage', `stage-${node.status}`, node.gate ? 'gate-waiting' : ''].filter(Boolean).join(' ');
  return item;
}
