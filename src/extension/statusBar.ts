/** The status bar item (SPEC U7): current stage, live cost, and a waiting gate; clicking it shows the log. */
import * as vscode from 'vscode';
import { costLabel, formatUsd, titleCase } from './models/format';
import { Disposable } from './lifecycle';

export interface StatusSnapshot {
  active: boolean;
  offline: boolean;
  stage?: string;
  costUsd: number;
  gate?: string;
  runStatus?: string;
}

export class RunStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('buildPipeline.status', vscode.StatusBarAlignment.Left, 50));

  constructor() {
    super();
    this.item.name = 'Build Pipeline';
    this.item.command = 'buildPipeline.showLog';
  }

  update(s: StatusSnapshot): void {
    if (!s.active && !s.gate) {
      this.item.hide();
      return;
    }
    const demo = s.offline ? ' (demo)' : '';
    const cost = costLabel(s.costUsd, s.offline);
    const costNote = s.offline
      ? ` Offline demo: the scripted model charges nothing; ${formatUsd(s.costUsd)} is what the same tokens would cost on the API.`
      : ' Cost is an estimate from token usage.';
    if (s.gate) {
      this.item.text = `$(bell-dot) Build Pipeline${demo}: ${titleCase(s.gate)} gate · ${cost}`;
      this.item.command = 'buildPipeline.approveGate';
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      this.item.tooltip = `A gate is waiting for your decision. Click to decide.${costNote}`;
    } else {
      this.item.text = `$(sync~spin) Build Pipeline${demo}: ${s.stage ? titleCase(s.stage) : 'starting'} · ${cost}`;
      this.item.command = 'buildPipeline.showLog';
      this.item.backgroundColor = undefined;
      this.item.tooltip = `Build Pipeline is running. Click to show the log.${costNote}`;
    }
    this.item.show();
  }
}
