/** The status bar item (SPEC U7): the running stages, live cost, and a waiting gate; clicking it shows the log or decides the gate. */
import * as vscode from 'vscode';
import { statusText, type StatusSnapshot } from './models/statusText';
import { Disposable } from './lifecycle';

export type { StatusSnapshot } from './models/statusText';

export class RunStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('buildPipeline.status', vscode.StatusBarAlignment.Left, 50));

  constructor() {
    super();
    this.item.name = 'Build Pipeline';
    this.item.command = 'buildPipeline.showLog';
  }

  update(s: StatusSnapshot): void {
    const shown = statusText(s);
    if (!shown) {
      this.item.hide();
      return;
    }
    this.item.text = shown.text;
    this.item.tooltip = shown.tooltip;
    this.item.command = shown.command;
    this.item.backgroundColor = shown.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }
}
